"""Set-at-a-time database work for campaigns that touch thousands of products: rows in
multi-row INSERTs (ids go in ``shared.db.chunks`` for ``IN (...)`` lists)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from shared.db import insert_rows


def bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """Insert many rows (dicts with the same keys) in few round trips: multi-row INSERTs
    sent straight to the driver (``shared.db.insert_rows``), without SQLAlchemy's
    per-row parameter processing of an executemany."""
    if not rows:
        return
    session.flush()  # ORM changes of the same transaction go first, as session.execute would
    columns = tuple(rows[0])
    insert_rows(session, model.__table__, columns, [tuple(row[name] for name in columns) for row in rows])
