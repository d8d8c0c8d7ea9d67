"""Group commit of catalog events: a burst is indexed in batches, one transaction each.

Each event is still one nameko worker (so the consumer acks, retries or dead-letters each
message on its own), but the worker only hands its event to the ``EventBatcher`` and waits.
One green thread drains what is pending *right now* (no timer: a lone event is processed
at once, as fast as before) and, under a burst, what piled up while the previous batch
committed:

- one unit of work for up to ``max_batch`` events, applied as a set
  (``indexer.apply_events``: one inbox insert, one read and one upsert of the aggregate
  versions for the whole batch); an event whose payload is invalid fails alone, before
  anything of it is recorded, and its worker gets its exception, the others go on;
- the changes are merged (``engine.merge_changes``: a later change to the same id wins),
  staged once, committed once, then shown (``engine.apply``), and every waiter is woken;
- if the stage or the commit fails (or another transaction moved an aggregate of the
  batch meanwhile), nothing of the batch is kept and each event is processed again alone (``indexer.process_event``), so only the culprit fails.

Events are applied in the order they arrived, within one session: the inbox (duplicates)
and ``aggregate_state`` (stale versions, tombstones) see the earlier events of the same
batch exactly as if they had been committed separately.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider

from services.search.engine import Change, SearchEngine, merge_changes
from services.search.indexer import apply_events, process_event
from shared.background import Wakeable
from shared.db import UnitOfWork, sibling_dependency
from shared.events import Event

log = logging.getLogger(__name__)

MAX_BATCH = 200


class BatcherStopped(RuntimeError):
    """The service is being killed: the event was not indexed (the message is retried)."""


@dataclass
class PendingEvent:
    """An event handed in by a worker, and what became of it once its batch is done."""

    event: Event
    done: GreenEvent = field(default_factory=GreenEvent)
    change: Change | None = None
    error: BaseException | None = None

    def finish(self, change: Change | None = None, error: BaseException | None = None) -> None:
        self.change, self.error = change, error
        if not self.done.ready():
            self.done.send(None)


class EventBatcher:
    """Indexes submitted events in group-committed batches (see the module docstring).

    ``new_unit()`` gives a fresh ``UnitOfWork`` on the search database, ``engine()`` the
    search engine (both looked up late: nameko sets up providers concurrently). ``spawn``
    starts the drainer (nameko: ``container.spawn_managed_thread``).
    """

    def __init__(self, new_unit: Callable[[], UnitOfWork], engine: Callable[[], SearchEngine],
                 max_batch: int = MAX_BATCH, spawn: Callable = eventlet.spawn):
        self.new_unit = new_unit
        self.engine = engine
        self.max_batch = max_batch
        self.spawn = spawn
        self._pending: deque[PendingEvent] = deque()
        self.drainer = Wakeable()  # the drainer's running flag and wake-up signal
        self._thread = None
        self.batches = 0  # committed batches (tests and logs)
        self.fallbacks = 0  # batches re-done event by event

    # --- the worker side -------------------------------------------------------------------

    def submit(self, event: Event) -> Change | None:
        """Index ``event``; returns once it is committed and shown (its change, or None when
        it was a duplicate, stale or not for search). Raises the event's own exception."""
        if not self.drainer.running:
            # No drainer (not started, or stopping after the last batch): index it alone.
            return process_event(self.new_unit(), self.engine(), event)
        item = PendingEvent(event)
        self._pending.append(item)
        self.drainer.wake()
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.change

    # --- the drainer -----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = self.drainer.start(self.spawn, self._run)

    def stop(self) -> None:
        """Stop after what is pending (nameko stops entry points and waits for their workers
        first, so nothing new arrives); later submits are processed inline."""
        self.drainer.stop()

    def kill(self) -> None:
        """Stop at once: what is pending fails with ``BatcherStopped`` (its message is retried)."""
        self.drainer.stop()  # the drainer runs only after this returns and finds nothing pending
        while self._pending:
            self._pending.popleft().finish(error=BatcherStopped("search service killed before indexing"))

    def _run(self) -> None:
        while True:
            if not self._pending:
                if not self.drainer.running:
                    return
                self.drainer.wait()
                # Let workers that are already runnable hand in their events: one yield, no timer.
                eventlet.sleep(0)
                continue
            batch = [self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))]
            try:
                self.process(batch)
            except BaseException as exc:  # noqa: BLE001 - never leave a worker waiting
                log.exception("indexing a batch of %d events failed", len(batch))
                for item in batch:
                    item.finish(error=item.error or exc)
                if not isinstance(exc, Exception):
                    raise

    def process(self, batch: list[PendingEvent]) -> None:
        """Index ``batch`` in one transaction and wake its waiters."""
        engine = self.engine()
        unit = self.new_unit()
        accepted: list[PendingEvent] = []
        try:
            results = apply_events(unit.session, [item.event for item in batch])
            eventlet.sleep(0)  # SQLite never yields: let searches run between the steps of a batch
            for item, result in zip(batch, results):
                if isinstance(result, Exception):
                    item.error = result  # an invalid payload fails alone, nothing of it recorded
                    log.debug("event %s failed in its batch: %r", item.event.id, result)
                else:
                    item.change = result
                    accepted.append(item)
            merged = merge_changes(item.change for item in accepted if item.change)
            if merged:
                engine.stage(unit.session, merged)
            unit.commit()
        except Exception as exc:  # noqa: BLE001 - find the culprit event by event
            log.warning("committing a batch of %d events failed (%r); indexing them one by one", len(batch), exc)
            unit.rollback()
            unit.close()
            self.fallbacks += 1
            for item in batch:
                item.change, item.error = None, None
            self._one_by_one(engine, batch)
            return
        finally:
            unit.close()
        self.batches += 1
        try:
            if merged:
                engine.apply(merged)
        except Exception as exc:  # noqa: BLE001 - committed; as process_event, the workers see it
            log.exception("showing a committed batch failed")
            for item in accepted:
                item.error = exc
        for item in batch:
            item.finish(item.change, item.error)

    def _one_by_one(self, engine: SearchEngine, batch: list[PendingEvent]) -> None:
        for item in batch:
            unit = self.new_unit()
            try:
                item.finish(change=process_event(unit, engine, item.event))
            except Exception as exc:  # noqa: BLE001 - only this event fails
                unit.rollback()
                item.finish(error=exc)
            finally:
                unit.close()


class IndexBatcher(DependencyProvider):
    """Gives workers the service's ``EventBatcher``, writing through the ``database_attr``
    provider (a ``Database``) and the engine of the ``engine_attr`` provider; its drainer
    is a managed green thread of the container."""

    def __init__(self, database_attr: str = "db", engine_attr: str = "engine", max_batch: int = MAX_BATCH):
        self.database_attr = database_attr
        self.engine_attr = engine_attr
        self.max_batch = max_batch
        self.batcher: EventBatcher | None = None

    def setup(self):
        sibling_dependency(self.container, self.database_attr)  # fail early on a wrong name
        sibling_dependency(self.container, self.engine_attr)
        self.batcher = EventBatcher(
            new_unit=lambda: sibling_dependency(self.container, self.database_attr).new_unit(),
            engine=lambda: sibling_dependency(self.container, self.engine_attr).engine,
            max_batch=self.max_batch,
            spawn=lambda run: self.container.spawn_managed_thread(run, identifier="search_index_batcher"),
        )

    def start(self):
        self.batcher.start()

    def stop(self):
        self.batcher.stop()

    def kill(self):
        self.batcher.kill()

    def get_dependency(self, worker_ctx):
        return self.batcher
