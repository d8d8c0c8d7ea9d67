"""Group commit of consumed events: a burst is applied in batches, one transaction each.

Each message is still one nameko worker, so the consumer acks, retries or dead-letters each
message on its own, and only after its batch is committed: the worker hands its event to
the ``EventBatcher`` and waits. One green thread drains what is pending *right now* (no
timer: a lone event is applied at once) and, under a burst, what piled up while the previous
batch committed (up to the subscription's prefetch, which is sized for it):

- one unit of work for up to ``max_batch`` events, applied as a set by the service's
  ``apply_batch`` (for example one inbox insert and one read and one upsert of the
  aggregate versions for the whole batch: ``consumer.accept_events``); an event whose
  payload is invalid fails alone, before anything of it is recorded, and its worker gets
  its exception, the others go on;
- one commit, then the batch's ``after_commit`` step (the search engine shows the changes)
  and every waiter is woken;
- if the batch cannot commit (a database error, another transaction moved an aggregate of
  the batch), nothing of it is kept and each event is applied again alone (a batch of
  one), so only the culprit fails.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from shared.background import Wakeable
from shared.db import UnitOfWork, sibling_dependency
from shared.events import Event

log = logging.getLogger(__name__)

MAX_BATCH = 200

# What ``apply_batch`` returns: per event its result or the exception that fails it alone,
# and what to do once the batch is committed (None: nothing).
BatchOutcome = tuple[Sequence[Any], Callable[[], None] | None]


class BatcherStopped(RuntimeError):
    """The service is being killed: the event was not applied (the message is retried)."""


@dataclass
class PendingEvent:
    """An event handed in by a worker, and what became of it once its batch is done."""

    event: Event
    done: GreenEvent = field(default_factory=GreenEvent)
    result: Any = None
    error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        if not self.done.ready():
            self.done.send(None)


class EventBatcher:
    """Applies submitted events in group-committed batches (see the module docstring).

    ``new_unit()`` gives a fresh ``UnitOfWork`` on the service's database;
    ``apply_batch(session, events)`` applies a batch inside its transaction (alone, as a
    batch of one, when a batch fails); ``spawn`` starts the drainer (nameko:
    ``container.spawn_managed_thread``).
    """

    def __init__(self, new_unit: Callable[[], UnitOfWork], apply_batch: Callable[[Session, list[Event]], BatchOutcome],
                 max_batch: int = MAX_BATCH, spawn: Callable[[Callable[[], Any]], Any] = eventlet.spawn):
        self.new_unit = new_unit
        self.apply_batch = apply_batch
        self.max_batch = max_batch
        self.spawn = spawn
        self._pending: deque[PendingEvent] = deque()
        self.drainer = Wakeable()  # the drainer's running flag and wake-up signal
        self.batches = 0  # committed batches (tests and logs)
        self.fallbacks = 0  # batches re-done event by event

    # --- the worker side -------------------------------------------------------------------

    def submit(self, event: Event) -> Any:
        """Apply ``event``; returns once it is committed (its result). Raises the event's own
        exception."""
        if not self.drainer.running:
            # No drainer (not started, or stopping after the last batch): apply it alone.
            return self._apply_alone(event)
        item = PendingEvent(event)
        self._pending.append(item)
        self.drainer.wake()
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.result

    # --- the drainer -----------------------------------------------------------------------

    def start(self) -> None:
        self.drainer.start(self.spawn, self._run)

    def stop(self) -> None:
        """Stop after what is pending (nameko stops entry points and waits for their workers
        first, so nothing new arrives); later submits are applied inline."""
        self.drainer.stop()

    def kill(self) -> None:
        """Stop at once: what is pending fails with ``BatcherStopped`` (its message is retried)."""
        self.drainer.stop()  # the drainer runs only after this returns and finds nothing pending
        while self._pending:
            self._pending.popleft().finish(error=BatcherStopped("service killed before the event was applied"))

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
                log.exception("applying a batch of %d events failed", len(batch))
                for item in batch:
                    item.finish(error=item.error or exc)
                if not isinstance(exc, Exception):
                    raise

    def process(self, batch: list[PendingEvent]) -> None:
        """Apply ``batch`` in one transaction and wake its waiters."""
        unit = self.new_unit()
        try:
            results, after_commit = self.apply_batch(unit.session, [item.event for item in batch])
            for item, result in zip(batch, results):
                if isinstance(result, Exception):
                    item.error = result
                    log.debug("event %s failed in its batch: %r", item.event.id, result)
                else:
                    item.result = result
            unit.commit()
        except Exception as exc:  # noqa: BLE001 - find the culprit event by event
            log.warning("committing a batch of %d events failed (%r); applying them one by one", len(batch), exc)
            unit.rollback()
            unit.close()
            self.fallbacks += 1
            for item in batch:
                item.result, item.error = None, None
            self._one_by_one(batch)
            return
        finally:
            unit.close()
        self.batches += 1
        if after_commit is not None:
            try:
                after_commit()
            except Exception as exc:  # noqa: BLE001 - committed; as apply_one would, the workers see it
                log.exception("the after-commit step of a committed batch failed")
                for item in batch:
                    if item.error is None:
                        item.error = exc
        for item in batch:
            item.finish(item.result, item.error)

    def _apply_alone(self, event: Event) -> Any:
        """The whole step for one event in its own transaction: apply, commit, after-commit."""
        unit = self.new_unit()
        try:
            results, after_commit = self.apply_batch(unit.session, [event])
            if isinstance(results[0], Exception):
                raise results[0]
            unit.commit()
        except Exception:
            unit.rollback()
            raise
        finally:
            unit.close()
        if after_commit is not None:
            after_commit()
        return results[0]

    def _one_by_one(self, batch: list[PendingEvent]) -> None:
        for item in batch:
            try:
                item.finish(result=self._apply_alone(item.event))
            except Exception as exc:  # noqa: BLE001 - only this event fails
                item.finish(error=exc)


class BatcherProvider(DependencyProvider):
    """Gives workers the service's ``EventBatcher``, applying batches with ``apply_batch``
    (a plain function, or ``build`` overridden) through the ``database_attr`` provider (a
    ``Database``); its drainer is a managed green thread of the container."""

    def __init__(self, apply_batch: Callable[[Session, list[Event]], BatchOutcome] | None = None,
                 database_attr: str = "db", max_batch: int = MAX_BATCH):
        self.apply_batch = apply_batch
        self.database_attr = database_attr
        self.max_batch = max_batch
        self.batcher: EventBatcher | None = None

    def build(self, new_unit: Callable[[], UnitOfWork], spawn: Callable[[Callable[[], Any]], Any]) -> EventBatcher:
        if self.apply_batch is None:
            raise TypeError("BatcherProvider needs apply_batch, or a subclass that overrides build")
        return EventBatcher(new_unit, self.apply_batch, max_batch=self.max_batch, spawn=spawn)

    def sibling(self, attr_name: str) -> Any:
        return sibling_dependency(self.container, attr_name)

    def setup(self) -> None:
        self.sibling(self.database_attr)  # fail early on a wrong name
        self.batcher = self.build(
            new_unit=lambda: self.sibling(self.database_attr).new_unit(),
            spawn=lambda run: self.container.spawn_managed_thread(run, identifier=f"{self.container.service_name}_event_batcher"),
        )

    def start(self) -> None:
        assert self.batcher is not None
        self.batcher.start()

    def stop(self) -> None:
        assert self.batcher is not None
        self.batcher.stop()

    def kill(self) -> None:
        assert self.batcher is not None
        self.batcher.kill()

    def get_dependency(self, worker_ctx: Any) -> EventBatcher | None:
        return self.batcher
