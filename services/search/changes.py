"""The embedded engine's change log: how every search replica sees every change.

Replicas of the search service consume one queue as competing consumers, so each batch of
events reaches one replica only; its memory index (embedded.py) would hold only its share.
The store (``search_documents``, ``search_pricing``) is shared by all replicas, so each
transaction that changes it for the embedded engine also appends one row to
``search_changes`` with the ids it touched (``record``), and every replica follows that log
(``EmbeddedEngine.catch_up``): it reads the rows after the last seq it applied, loads the
*current* stored document and pricing of those ids and shows them. Loading the current row
makes applying idempotent and order-free; only the ids come from the log. One row per
transaction, not per id: a batch pays one small statement (a row per id cost a tenth of a
batch's stage on PostgreSQL, docs/decisions/search-replicas.md).

Commit order is seq order, so a follower never passes a row that commits later with a lower
seq: on PostgreSQL a writer takes a transaction-scoped advisory lock before it takes its seq
and keeps it to its commit (the insert is the last statement of its transaction, so it
holds every row lock it needs already and cannot deadlock on the lock); SQLite has one
writer at a time anyway.

Old rows are pruned (``prune``); the ``pruned_through`` mark says up to which seq rows may be
gone (seq holes say nothing: a rolled-back PostgreSQL transaction leaves one), and a
follower that has not applied that far reloads its whole index from the store instead. A
re-index, which rewrites the whole store, moves the mark past its own row for the same reason.
"""
from __future__ import annotations

import json
from typing import Iterable

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from services.search.engine import Change
from services.search.models import SearchChange, SearchChangeMark
from shared.db import execute_driver_sql, parameter_style, placeholders

# pg_advisory_xact_lock key of the log's writers (any fixed bigint no other code uses).
LOG_LOCK_KEY = 0x5EA4C4_0001
PRUNED_THROUGH = "pruned_through"
# Seqs (transactions) deleted per prune at most: one short transaction (a row holds the ids of
# a batch, a few KB), and more than a busy store writes between two prunes.
PRUNE_STEP = 2000


def touched_ids(change: Change) -> list[str]:
    """The product ids whose stored document or pricing ``change`` writes, sorted."""
    ids = {str(doc["id"]) for doc in change.upserts}
    ids.update(removal.id for removal in change.removals)
    ids.update(str(pricing["product_id"]) for pricing in change.pricings)
    return sorted(ids)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def record(session: Session, product_ids: Iterable[str]) -> None:
    """Append one row with ``product_ids`` to the log, in the caller's transaction, as its
    last statement (on PostgreSQL it takes the log's lock, held to the commit)."""
    ids = json.dumps(list(product_ids), ensure_ascii=False)
    if ids == "[]":
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One statement in one round trip: the lock is taken before the row (and its seq) is made.
        marks = placeholders(parameter_style(connection.dialect), 2)
        execute_driver_sql(connection, f"INSERT INTO search_changes (product_ids) SELECT {marks[0]} "
                                       f"FROM (SELECT pg_advisory_xact_lock({marks[1]})) AS log_lock",
                           (ids, LOG_LOCK_KEY))
    else:
        session.execute(insert(SearchChange).values(product_ids=ids))


def require_reload(session: Session) -> int:
    """Make every follower that has not applied this transaction reload its whole index (the
    store is being rewritten as a whole), as the transaction's last statement; its seq."""
    if _is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_KEY})
    seq = int(session.execute(insert(SearchChange).values(product_ids="[]").returning(SearchChange.seq)).scalar_one())
    _set_pruned_through(session, seq)
    return seq


def last_seq(session: Session) -> int:
    """The seq a replica that loads the store now has applied: read it *before* the load."""
    newest = session.execute(select(func.max(SearchChange.seq))).scalar()
    return max(int(newest or 0), pruned_through(session))


def pruned_through(session: Session) -> int:
    seq = session.execute(select(SearchChangeMark.seq).where(SearchChangeMark.name == PRUNED_THROUGH)).scalar()
    return int(seq or 0)


def read_after(session: Session, seq: int, limit: int) -> list[tuple[int, list[str]]]:
    """Up to ``limit`` rows after ``seq``, in seq order: (seq, product ids)."""
    rows = session.execute(select(SearchChange.seq, SearchChange.product_ids)
                           .where(SearchChange.seq > seq).order_by(SearchChange.seq).limit(limit))
    return [(int(row_seq), json.loads(ids)) for row_seq, ids in rows]


def prune(session: Session, keep: int) -> int:
    """Delete the rows older than the newest ``keep`` (at most ``PRUNE_STEP`` seqs of them)
    and move the mark; the caller commits. How many rows went."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    newest = session.execute(select(func.max(SearchChange.seq))).scalar()
    if newest is None:
        return 0
    done = pruned_through(session)
    oldest = session.execute(select(func.min(SearchChange.seq))).scalar()
    cut = min(int(newest) - keep, max(done, int(oldest) - 1) + PRUNE_STEP)
    if cut <= done:
        return 0
    deleted = session.execute(delete(SearchChange).where(SearchChange.seq <= cut)).rowcount
    _set_pruned_through(session, cut)
    return int(deleted or 0)


def _set_pruned_through(session: Session, seq: int) -> None:
    # Only forwards: two replicas pruning at once, or a prune beside a re-index.
    mark = SearchChangeMark.__table__
    session.execute(update(mark).where(mark.c.name == PRUNED_THROUGH, mark.c.seq < seq).values(seq=seq))
