"""Group commit of catalog events for the search index (``shared.batching``): a batch is
applied as a set (``indexer.apply_events``), its changes merged (``engine.merge_changes``: a
later change to the same id wins), staged once in the batch's transaction and shown
(``engine.apply``) once it is committed; a batch that cannot commit is redone event by
event.

Events are applied in the order they arrived: the inbox (duplicates) and
``aggregate_state`` (stale versions, tombstones) see the earlier events of the same batch
exactly as if they had been committed separately.
"""
from __future__ import annotations

from typing import Callable

import eventlet
from sqlalchemy.orm import Session

from services.search.engine import Change, SearchEngine, merge_changes
from services.search.indexer import apply_events
from shared.batching import MAX_BATCH, BatcherProvider, BatchOutcome, PendingEvent
from shared.batching import EventBatcher as GroupCommit
from shared.db import UnitOfWork
from shared.events import Event

__all__ = ["EventBatcher", "IndexBatcher", "PendingEvent"]


class EventBatcher(GroupCommit):
    """Indexes events in group-committed batches; ``engine()`` gives the search engine
    (looked up late: nameko sets up providers concurrently). ``apply_events`` gives each
    event's index change (None for a duplicate, a stale version or an event not for search)."""

    def __init__(self, new_unit: Callable[[], UnitOfWork], engine: Callable[[], SearchEngine],
                 max_batch: int = MAX_BATCH):
        self.engine = engine
        super().__init__(new_unit, self.index_batch, max_batch=max_batch)

    def index_batch(self, session: Session, events: list[Event]) -> BatchOutcome:
        engine = self.engine()
        results = apply_events(session, events)
        eventlet.sleep(0)  # SQLite never yields: let searches run between the steps of a batch
        merged = merge_changes(result for result in results if isinstance(result, Change))
        if not merged:
            return results, None
        engine.stage(session, merged)
        return results, lambda: engine.apply(merged)


class IndexBatcher(BatcherProvider):
    """The search service's ``EventBatcher``, writing through the ``database_attr`` provider
    and the engine of the ``engine_attr`` provider."""

    def __init__(self, database_attr: str = "db", engine_attr: str = "engine", max_batch: int = MAX_BATCH):
        super().__init__(database_attr=database_attr, max_batch=max_batch)
        self.engine_attr = engine_attr

    def build(self, new_unit) -> EventBatcher:
        self.sibling(self.engine_attr)  # fail early on a wrong name
        return EventBatcher(new_unit, engine=lambda: self.sibling(self.engine_attr).engine, max_batch=self.max_batch)
