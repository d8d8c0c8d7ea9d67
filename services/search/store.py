"""The search database's copies of documents and pricings, written as sets.

A batch of events stages its merged change here in a few multi-row statements: an upsert
that keeps a row only over an older or equal version (so a late, older write never replaces
a newer one), and a guarded delete. Both engines keep pricing here (it outlives a re-index);
the embedded engine keeps its documents here too (it rebuilds its memory index from them).
"""
from __future__ import annotations

import json
from typing import Iterable

from sqlalchemy import bindparam, delete
from sqlalchemy.orm import Session

from services.search.engine import Removal
from services.search.models import SearchDocument, SearchPricing
from shared.consumer import dialect_insert
from shared.db import chunks
from shared.events import utcnow


def store_documents(session: Session, docs: Iterable[dict]) -> None:
    """Keep each of ``docs`` in ``search_documents`` unless a newer version is stored."""
    now = utcnow()
    rows = {str(doc["id"]): {"id": str(doc["id"]), "version": int(doc.get("version") or 0),
                             "region": doc.get("region") or "", "indexed_at": now,
                             "document": json.dumps(doc, ensure_ascii=False)} for doc in docs}
    _upsert_newer(session, SearchDocument.__table__, "id", list(rows.values()),
                  ("version", "region", "document", "indexed_at"))


def store_pricings(session: Session, pricings: Iterable[dict]) -> None:
    """Keep each pricing payload in ``search_pricing`` unless a newer version is stored."""
    now = utcnow()
    rows = {str(p["product_id"]): {"product_id": str(p["product_id"]), "version": int(p.get("version") or 0),
                                   "pricing": json.dumps(p, ensure_ascii=False), "updated_at": now}
            for p in pricings}
    _upsert_newer(session, SearchPricing.__table__, "product_id", list(rows.values()),
                  ("version", "pricing", "updated_at"))


def remove_documents(session: Session, removals: Iterable[Removal]) -> None:
    """Delete the stored document of each removal unless a newer version is stored (a
    removal without a version deletes whatever is there)."""
    table = SearchDocument.__table__
    unversioned = sorted({r.id for r in removals if r.version is None})
    versioned = sorted({(r.id, int(r.version)) for r in removals if r.version is not None})
    for ids in chunks(unversioned):
        session.execute(delete(table).where(table.c.id.in_(ids)))
    if versioned:
        # executemany of one guarded delete: (id, version) pairs, a row goes only if not newer.
        session.execute(
            delete(table).where(table.c.id == bindparam("doc_id"), table.c.version <= bindparam("max_version")),
            [{"doc_id": doc_id, "max_version": version} for doc_id, version in versioned],
        )


def _upsert_newer(session: Session, table, key: str, rows: list[dict], columns: tuple[str, ...]) -> None:
    if not rows:
        return
    insert = dialect_insert(session)(table)
    # One executemany, compiled once. With RETURNING, SQLAlchemy sends it as multi-row
    # statements on pg8000 too ("insertmanyvalues"), which would otherwise send a statement
    # per row.
    session.execute(insert.on_conflict_do_update(
        index_elements=[key],
        set_={column: insert.excluded[column] for column in columns},
        where=table.c.version <= insert.excluded.version,
    ).returning(table.c[key]), rows).all()
