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
from shared.db import chunks, insert_rows
from shared.events import utcnow


def store_documents(session: Session, docs: Iterable[dict]) -> None:
    """Keep each of ``docs`` in ``search_documents`` unless a newer version is stored."""
    now = utcnow()
    rows = {str(doc["id"]): (str(doc["id"]), int(doc.get("version") or 0), doc.get("region") or "", now,
                             json.dumps(doc, ensure_ascii=False)) for doc in docs}
    _upsert_newer(session, SearchDocument.__table__, ("id", "version", "region", "indexed_at", "document"),
                  list(rows.values()))


def store_pricings(session: Session, pricings: Iterable[dict]) -> None:
    """Keep each pricing payload in ``search_pricing`` unless a newer version is stored."""
    now = utcnow()
    rows = {str(p["product_id"]): (str(p["product_id"]), int(p.get("version") or 0),
                                   json.dumps(p, ensure_ascii=False), now) for p in pricings}
    _upsert_newer(session, SearchPricing.__table__, ("product_id", "version", "pricing", "updated_at"),
                  list(rows.values()))


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


def _upsert_newer(session: Session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` (the key first), or update a stored row whose version is older or equal."""
    key, updated = columns[0], columns[1:]
    insert_rows(session, table, columns, rows,
                tail=(f"ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updated)
                      + f" WHERE {table.name}.version <= excluded.version"))
