"""Set-at-a-time database work for campaigns that touch thousands of products: ids in
chunks for ``IN (...)`` lists, rows in multi-row INSERTs."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy.orm import Session

CHUNK = 500  # ids per IN (...) list


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """Insert many rows in few round trips. With RETURNING, SQLAlchemy batches an executemany
    into multi-row INSERTs ("insertmanyvalues") on SQLite and on pg8000, which would
    otherwise send one statement per row."""
    if not rows:
        return
    table = model.__table__
    statement = table.insert().returning(*table.primary_key.columns)
    session.execute(statement, rows).all()
