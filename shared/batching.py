"""Consumers that take events from the broker in batches, and apply each batch as a set in
one transaction (group commit).

- ``BatchEventConsumer`` (the ``batch_event_consumer`` entrypoint): an ``EventConsumer``
  that does not spawn a nameko worker per message. Messages wait in a list while the
  previous batch is being applied (the subscription's prefetch is twice a batch, so the
  next batch arrives while one is applied); one green thread hands what is pending (up to
  a batch) to ONE worker of the
  service method, which gets the bodies and returns, per body, None or the exception that
  fails it. Each message is then retried or dead-lettered on its own, exactly as with
  ``event_consumer``, and acked only after its batch committed (``GroupedAcks``: one frame
  for the batch). A lone event is handed on at once: there is no timer.
- ``EventBatcher``: applies events in batches of up to ``max_batch``, each in one unit of
  work with the service's set-based ``apply_batch`` (for example one inbox insert and one
  read and one upsert of the aggregate versions for the whole batch:
  ``consumer.accept_events``), one commit, then the batch's after-commit step (the search
  engine shows the changes). An event whose payload is invalid fails alone, before
  anything of it is recorded. If a batch cannot commit (a database error, another
  transaction moved an aggregate of the batch), nothing of it is kept and each event is
  applied again alone (a batch of one), so only the culprit fails.
"""
from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Sequence

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.amqp.consume import Consumer as ConsumerCore
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from shared.amqp_json import plain_json_text
from shared.background import Wakeable
from shared.consumer import EventConsumer
from shared.db import UnitOfWork, sibling_dependency
from shared.events import Event, InvalidEvent
from shared.topology import SUBSCRIPTIONS

log = logging.getLogger(__name__)

MAX_BATCH = 200

# What ``apply_batch`` returns: per event its result or the exception that fails it alone,
# and what to do once the batch is committed (None: nothing).
BatchOutcome = tuple[Sequence[Any], Callable[[], None] | None]


@dataclass
class PendingEvent:
    """An event of a batch, and what became of it."""

    event: Event
    result: Any = None
    error: BaseException | None = None


class EventBatcher:
    """Applies events in group-committed batches (see the module docstring).

    ``new_unit()`` gives a fresh ``UnitOfWork`` on the service's database;
    ``apply_batch(session, events)`` applies a batch inside its transaction (alone, as a
    batch of one, when a batch fails).
    """

    def __init__(self, new_unit: Callable[[], UnitOfWork], apply_batch: Callable[[Session, list[Event]], BatchOutcome],
                 max_batch: int = MAX_BATCH):
        self.new_unit = new_unit
        self.apply_batch = apply_batch
        self.max_batch = max_batch
        self.batches = 0  # committed batches (tests and logs)
        self.fallbacks = 0  # batches re-done event by event

    def apply_events(self, events: Sequence[Event]) -> list[Any]:
        """Apply ``events`` in order, ``max_batch`` per transaction; per event its result,
        or the exception that failed it (only that event)."""
        items = [PendingEvent(event) for event in events]
        for start in range(0, len(items), self.max_batch):
            self.process(items[start:start + self.max_batch])
        return [item.error if item.error is not None else item.result for item in items]

    def apply_bodies(self, bodies: Sequence[Any]) -> list[BaseException | None]:
        """What a ``batch_event_consumer`` method returns: each message body decoded and
        applied; per body None, or the exception that fails its message."""
        errors: list[BaseException | None] = [None] * len(bodies)
        decoded: list[tuple[int, Event]] = []
        for n, body in enumerate(bodies):
            try:
                decoded.append((n, Event.from_dict(body)))
            except InvalidEvent as exc:  # a malformed envelope: dead-lettered at once
                errors[n] = exc
        results = self.apply_events([event for _, event in decoded])
        for (n, _), result in zip(decoded, results):
            if isinstance(result, BaseException):
                errors[n] = result
        return errors

    def process(self, batch: list[PendingEvent]) -> None:
        """Apply ``batch`` in one transaction (or event by event if it cannot commit)."""
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
                try:
                    item.result = self._apply_alone(item.event)
                except Exception as alone:  # noqa: BLE001 - only this event fails
                    item.error = alone
            return
        finally:
            unit.close()
        self.batches += 1
        if after_commit is not None:
            try:
                after_commit()
            except Exception as exc:  # noqa: BLE001 - committed; as when applied alone, the event fails
                log.exception("the after-commit step of a committed batch failed")
                for item in batch:
                    if item.error is None:
                        item.error = exc

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


class BatcherProvider(DependencyProvider):
    """Gives workers the service's ``EventBatcher``, applying batches with ``apply_batch``
    (a plain function, or ``build`` overridden) through the ``database_attr`` provider (a
    ``Database``)."""

    def __init__(self, apply_batch: Callable[[Session, list[Event]], BatchOutcome] | None = None,
                 database_attr: str = "db", max_batch: int = MAX_BATCH):
        self.apply_batch = apply_batch
        self.database_attr = database_attr
        self.max_batch = max_batch
        self.batcher: EventBatcher | None = None

    def build(self, new_unit: Callable[[], UnitOfWork]) -> EventBatcher:
        if self.apply_batch is None:
            raise TypeError("BatcherProvider needs apply_batch, or a subclass that overrides build")
        return EventBatcher(new_unit, self.apply_batch, max_batch=self.max_batch)

    def sibling(self, attr_name: str) -> Any:
        return sibling_dependency(self.container, attr_name)

    def setup(self) -> None:
        self.sibling(self.database_attr)  # fail early on a wrong name
        self.batcher = self.build(new_unit=lambda: self.sibling(self.database_attr).new_unit())

    def get_dependency(self, worker_ctx: Any) -> EventBatcher | None:
        return self.batcher


class UndecodedConsumer(ConsumerCore):
    """nameko's consumer, handing each message on undecoded (kombu's ``on_message``): kombu's
    JSON decoder calls a Python hook for every object of every body, which made decoding an
    event twice as slow as ``json.loads``, and events are plain JSON."""

    def get_consumers(self, consumer_cls: Any, channel: Any) -> list[Any]:
        consumer = consumer_cls(queues=self.queues, on_message=self._undecoded, accept=self.accept,
                                **self.consumer_options)
        consumer.qos(prefetch_count=self.prefetch_count)
        return [consumer]

    def _undecoded(self, message: Any) -> None:
        self.on_message(None, message)


def decode_body(message: Any) -> Any:
    """A message's body: plain JSON in UTF-8 (what the outbox relays publish) with
    ``json.loads``, anything else as kombu decodes it (its content types, its errors)."""
    text = plain_json_text(message)
    return json.loads(text) if text is not None else message.decode()


class BatchEventConsumer(EventConsumer):
    """Consumes a subscription's queue in batches (see the module docstring): the service
    method is called with a list of message bodies and returns a list, one None or
    exception per body."""

    consumer_cls = UndecodedConsumer

    def __init__(self, subscription: str, max_batch: int | None = None, **kwargs: Any):
        # Half the prefetch by default: while one batch is applied (its messages unacked),
        # the broker can already send the next one, so batches stay full under a burst.
        self.max_batch = max_batch or max(1, SUBSCRIPTIONS[subscription].prefetch // 2)
        super().__init__(subscription, **kwargs)

    def setup(self) -> None:
        super().setup()
        self._pending: deque[tuple[Any, Any]] = deque()
        self._drainer = Wakeable()

    def start(self) -> None:
        super().start()
        self._drainer.start(
            lambda run: self.container.spawn_managed_thread(run, identifier=f"{self.method_name}_batches"), self._run)

    def stop(self) -> None:
        super().stop()  # no more messages; what is pending was never handed on: redelivered
        self._drainer.stop()

    def kill(self) -> None:
        self._drainer.stop()
        super().kill()

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            body = decode_body(message)  # the consumer hands messages on undecoded
        except Exception as exc:  # noqa: BLE001 - as kombu's own decode error: dead-lettered
            self._on_decode_error(message, exc)
            return
        self.acks.delivered(message)
        self._pending.append((body, message))
        self._drainer.wake()

    def _run(self) -> None:
        while self._drainer.running:
            if not self._pending:
                self._drainer.wait()
                # Let the consumer take in what the broker already sent: one yield, no timer.
                eventlet.sleep(0)
                continue
            batch = [self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))]
            done = GreenEvent()
            try:
                self.container.spawn_worker(self, ([body for body, _ in batch],), {},
                                            handle_result=partial(self._batch_done, batch, done))
            except ContainerBeingKilled:
                for _, message in batch:
                    self.consumer.requeue_message(message)
                return
            done.wait()  # one batch at a time: the next one gathers meanwhile

    def _batch_done(self, batch: list[tuple[Any, Any]], done: GreenEvent, worker_ctx: Any,
                    result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        try:
            if exc_info is None and not (isinstance(result, list) and len(result) == len(batch)):
                exc_info = (None, TypeError(f"{self.method_name} must return one result per message"), None)
            for n, (_, message) in enumerate(batch):
                error = exc_info[1] if exc_info is not None else result[n]
                if error is not None:
                    self._route_failure(message, error)
                self.acks.finished(message)
        finally:
            done.send(None)
        return result, exc_info


batch_event_consumer = BatchEventConsumer.decorator
