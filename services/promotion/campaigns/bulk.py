"""Set-at-a-time database work for campaigns that touch thousands of products: rows in
multi-row INSERTs (ids go in ``shared.db.chunks`` for ``IN (...)`` lists)."""
from __future__ import annotations

from sqlalchemy.orm import Session


def bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """Insert many rows in few round trips. With RETURNING, SQLAlchemy batches an executemany
    into multi-row INSERTs ("insertmanyvalues") on SQLite and on pg8000, which would
    otherwise send one statement per row."""
    if not rows:
        return
    table = model.__table__
    statement = table.insert().returning(*table.primary_key.columns)
    session.execute(statement, rows).all()
