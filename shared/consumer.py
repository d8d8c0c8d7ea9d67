"""Idempotent, version-ordered event consumption with bounded retries and a dead-letter queue.

Two layers:
- ``accept_event`` (plain function): inside the consumer's transaction, decides whether an
  event is new (not in the inbox) and newer than what the consumer has for that aggregate.
  Deletes leave a tombstone in ``aggregate_state`` so a late update cannot resurrect.
- ``event_consumer`` (nameko entrypoint): nameko acks a message whose handler raised, which
  would lose the event. This entrypoint instead republishes a failed message to the
  subscription's retry queue (redelivered after a delay) and, after ``max_attempts``, to its
  dead-letter queue; only then is the original acked.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from kombu import Connection, Producer
from kombu.exceptions import DecodeError
from nameko.messaging import Consumer
from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.amqp_move import move_messages
from shared.db import chunks, execute_driver_sql, insert_rows, parameter_style, placeholders, select_in
from shared.events import Event, InvalidEvent, utcnow
from shared.settings import amqp_uri
from shared.topology import SUBSCRIPTIONS, Subscription, declare_topology, main_queue

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-etalase-attempts"
ERROR_HEADER = "x-etalase-error"


class InboxMixin:
    """Event ids a consumer has processed: a redelivered event is a no-op."""

    __tablename__ = "inbox"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    # Indexed: retention deletes the rows oldest first (shared/retention.py).
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class AggregateStateMixin:
    """The last version a consumer applied per aggregate; ``deleted`` marks a tombstone."""

    __tablename__ = "aggregate_state"

    aggregate_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    aggregate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


def accept_event(session: Session, event: Event, inbox_model: type[InboxMixin],
                 state_model: type[AggregateStateMixin]) -> bool:
    """Record ``event`` and say whether the consumer should apply it.

    False for an event already processed, for a version not newer than the one applied,
    and for anything after a tombstone. The caller applies the event and commits in the
    same transaction, so the inbox and the consumer's state never disagree.
    """
    if not record_in_inbox(session, event, inbox_model):
        return False
    return accept_version(
        session, state_model, event.aggregate_type, event.aggregate_id, event.aggregate_version, event.is_delete
    )


def record_in_inbox(session: Session, event: Event, inbox_model: type[InboxMixin]) -> bool:
    """Add ``event`` to the inbox; False when it was processed before (a redelivery).

    One ``INSERT ... ON CONFLICT DO NOTHING``: two workers given the same event at once
    cannot both insert it (on PostgreSQL the second waits for the first's commit, then finds
    the row), so the loser gets False instead of a unique violation."""
    return event.id in record_many_in_inbox(session, [event], inbox_model)


def accept_version(
    session: Session, state_model: type[AggregateStateMixin], aggregate_type: str, aggregate_id: str, version: int, deleted: bool = False
) -> bool:
    """Move the consumer's known version of one aggregate to ``version`` if it is newer and
    the aggregate is not a tombstone (``accept_event``'s second half; a batch goes through
    ``accept_events``).

    One upsert (``write_versions``) whose update only happens when the stored version is
    older and not a tombstone; accepted means a row came back. The first event of an aggregate cannot race
    another one to insert the row (a SELECT ... FOR UPDATE locks nothing that does not exist
    yet), and the row stays locked until the caller commits, so the events of one aggregate
    are applied one at a time on PostgreSQL."""
    key = (aggregate_type, aggregate_id)
    return key in write_versions(session, state_model, {key: (version, deleted)})


@dataclass(frozen=True)
class VersionedWrite:
    """One aggregate version an event asks to apply: most events carry one, an import batch
    one per product. ``deleted`` leaves a tombstone."""

    aggregate_type: str
    aggregate_id: str
    version: int
    deleted: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.aggregate_type, self.aggregate_id


class ConcurrentVersionChange(RuntimeError):
    """Another transaction moved an aggregate this batch also moves: the batch is redone
    event by event (where each write is one guarded upsert)."""


def accept_events(
    session: Session, events: Sequence[tuple[Event, Sequence[VersionedWrite]]],
    inbox_model: type[InboxMixin], state_model: type[AggregateStateMixin],
) -> list[list[bool] | None]:
    """``accept_event`` for a whole batch, with a few statements instead of a few per event.

    For each (event, its writes) in arrival order: None when the event was processed before
    (in the inbox, or earlier in this batch), else for each write whether to apply it. The
    answers are exactly those of accepting the events one after another: the inbox takes
    the batch in one insert, the versions of every aggregate the batch touches are read in
    one query (locked on PostgreSQL), the events are walked in order in memory (a stale
    version, an equal one and anything after a tombstone are refused, including by an
    earlier event of the same batch), and the final version of each aggregate is written in
    one guarded upsert. If that upsert finds a version this batch did not read (another
    transaction inserted the aggregate's first row meanwhile), a lone write of it is
    refused, as ``accept_version`` would; after several writes of it in the batch
    ``ConcurrentVersionChange`` is raised: the caller rolls back and redoes the batch event
    by event.
    """
    new_ids = record_many_in_inbox(session, [event for event, _ in events], inbox_model)
    writes = [write for event, event_writes in events if event.id in new_ids for write in event_writes]
    known = known_versions(session, state_model, {write.key for write in writes})
    read = dict(known)
    answers: list[list[bool] | None] = []
    seen: set[str] = set()
    accepted_at: dict[tuple[str, str], list[tuple[int, int]]] = {}  # key -> (answer, write) positions
    for event, event_writes in events:
        if event.id not in new_ids or event.id in seen:
            answers.append(None)
            continue
        seen.add(event.id)
        accepted: list[bool] = []
        for write in event_writes:
            current = known.get(write.key)
            ok = current is None or (not current[1] and current[0] < write.version)
            if ok:
                known[write.key] = (write.version, write.deleted)
                accepted_at.setdefault(write.key, []).append((len(answers), len(accepted)))
            accepted.append(ok)
        answers.append(accepted)
    moved = {key: state for key, state in known.items() if read.get(key) != state}
    missed = moved.keys() - write_versions(session, state_model, moved) if moved else set()
    for key in missed:
        # Another transaction wrote this aggregate after the read (its first row, which no
        # lock could hold). With one write of it in the batch the answer is simply "not
        # newer", as ``accept_version`` would say; after several, the batch's walk is wrong.
        if len(accepted_at[key]) > 1:
            raise ConcurrentVersionChange(f"the version of {key} changed while the batch was applied")
        position, index = accepted_at[key][0]
        answer = answers[position]
        assert answer is not None
        answer[index] = False
    return answers


# What an event asks of a consumer, as its consumer plans it: each version-ordered write with
# what to do if the write is accepted (an index change, a fact to keep, ...).
PlannedWrites = Sequence[tuple[VersionedWrite, Any]]


def accepted_writes(
    session: Session, events: Sequence[Event], plan: Callable[[Event], PlannedWrites | None],
    inbox_model: type[InboxMixin], state_model: type[AggregateStateMixin],
) -> list[Any]:
    """A consumer's batch step up to what it must apply: each event planned (``plan``
    validates its payload and raises on a bad one, before anything is recorded; None: not
    for this consumer, and not recorded either), then the batch accepted at once
    (``accept_events``). Per event: the exception its plan raised, None when it is not for
    this consumer or was processed before, else its accepted (write, action) pairs in order."""
    outcomes: list[Any] = [None] * len(events)
    planned: list[tuple[int, Event, PlannedWrites]] = []
    for n, event in enumerate(events):
        try:
            writes = plan(event)
        except Exception as exc:  # noqa: BLE001 - this event fails alone
            outcomes[n] = exc
            continue
        if writes is not None:
            planned.append((n, event, writes))
    answers = accept_events(session, [(event, [write for write, _ in writes]) for _, event, writes in planned],
                            inbox_model, state_model)
    for (n, _, writes), accepted in zip(planned, answers):
        if accepted is not None:
            outcomes[n] = [pair for pair, ok in zip(writes, accepted) if ok]
    return outcomes


def record_many_in_inbox(session: Session, events: Sequence[Event], inbox_model: type[InboxMixin]) -> set[str]:
    """Add ``events`` to the inbox in one multi-row ``INSERT ... ON CONFLICT DO NOTHING``; the
    ids that were new (an id seen twice in ``events`` is new once)."""
    table = inbox_model.__table__  # type: ignore[attr-defined]  # a mapped subclass
    now = utcnow()
    rows = list({event.id: (event.id, event.type, now) for event in events}.values())
    inserted = insert_rows(session, table, ("event_id", "event_type", "processed_at"), rows,
                           tail="ON CONFLICT (event_id) DO NOTHING", returning=("event_id",))
    return {event_id for event_id, in inserted}


def known_versions(session: Session, state_model: type[AggregateStateMixin],
                   keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, bool]]:
    """(version, deleted) of each of ``keys`` the consumer knows, locked on PostgreSQL until
    the caller commits (one query per aggregate type and chunk)."""
    table = state_model.__table__  # type: ignore[attr-defined]  # a mapped subclass
    by_type: dict[str, list[str]] = {}
    for aggregate_type, aggregate_id in sorted(keys):
        by_type.setdefault(aggregate_type, []).append(aggregate_id)
    postgres = session.get_bind().dialect.name == "postgresql"
    found: dict[tuple[str, str], tuple[int, bool]] = {}
    for aggregate_type, ids in by_type.items():
        if postgres:
            rows = _locked_versions(session, table.name, aggregate_type, ids)
        else:
            rows = select_in(session, table, ("aggregate_id", "version", "deleted"), "aggregate_id", ids,
                             equal={"aggregate_type": aggregate_type})
        for aggregate_id, version, deleted in rows:
            found[(aggregate_type, aggregate_id)] = (version, bool(deleted))
    return found


def _locked_versions(session: Session, table: str, aggregate_type: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """PostgreSQL: the (id, version, deleted) rows of ``ids``, each looked up by its primary
    key and locked (FOR UPDATE), in the order of ``ids``. A plain ``aggregate_id IN (...)``
    was planned from the statistics of a table that grows during a burst: taken for a few
    rows, ``aggregate_type = 'product'`` was scanned whole (every row) and filtered, a
    batch's read cost grew with the table (5 ms at 15,000 rows); one index probe per id does
    not depend on them. The ids go as one JSON array: pg8000 escapes a list parameter
    character by character in Python (3 µs an id, against 0.1 for ``json.dumps``)."""
    connection = session.connection()
    ids_mark, type_mark = placeholders(parameter_style(connection.dialect), 2)
    sql = (f"SELECT k.id, s.version, s.deleted FROM json_array_elements_text({ids_mark}::json) AS k(id) "
           f"CROSS JOIN LATERAL (SELECT version, deleted FROM {table} WHERE aggregate_type = {type_mark} "
           f"AND aggregate_id = k.id FOR UPDATE) AS s")
    rows: list[tuple[Any, ...]] = []
    for chunk in chunks(ids):
        found = execute_driver_sql(connection, sql, (json.dumps(list(chunk)), aggregate_type)).fetchall()
        rows.extend(tuple(row) for row in found)
    return rows


def write_versions(session: Session, state_model: type[AggregateStateMixin],
                   states: dict[tuple[str, str], tuple[int, bool]]) -> set[tuple[str, str]]:
    """Upsert each aggregate's new (version, deleted), only over an older, live version; the
    keys written."""
    table = state_model.__table__  # type: ignore[attr-defined]  # a mapped subclass
    now = utcnow()
    rows = [(t, i, v, d, now) for (t, i), (v, d) in sorted(states.items())]
    written = insert_rows(
        session, table, ("aggregate_type", "aggregate_id", "version", "deleted", "updated_at"), rows,
        tail=(f"ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = excluded.version, "
              f"deleted = excluded.deleted, updated_at = excluded.updated_at "
              f"WHERE {table.name}.version < excluded.version AND NOT {table.name}.deleted"),
        returning=("aggregate_type", "aggregate_id"))
    return {(t, i) for t, i in written}


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The INSERT construct of the session's dialect (the one with ``on_conflict_do_*``), for
    upserts that two workers cannot race: PostgreSQL and SQLite."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"no upsert for the {name} dialect")


def _attempts(message: Any) -> int:
    try:
        return int((message.headers or {}).get(ATTEMPTS_HEADER, 0))
    except (TypeError, ValueError):
        return 0


class EventConsumer(Consumer):
    """Consumes a subscription's queue; failures go to retry, then to the dead-letter queue."""

    def __init__(self, subscription: str, **kwargs: Any):
        self.subscription_name = subscription
        # A body kombu cannot decode never reaches a worker: send it straight to the DLQ.
        kwargs.setdefault("on_decode_error", self._on_decode_error)
        kwargs.setdefault("prefetch_count", SUBSCRIPTIONS[subscription].prefetch)
        super().__init__(queue=main_queue(SUBSCRIPTIONS[subscription]), requeue_on_error=False, **kwargs)

    @property
    def subscription(self) -> Subscription:
        return SUBSCRIPTIONS[self.subscription_name]

    def setup(self) -> None:
        self.acks = GroupedAcks(self.container.spawn_managed_thread)
        # Declare the whole topology (exchange, retry and dead queues) before consuming.
        with Connection(amqp_uri(), connect_timeout=5) as connection:
            declare_topology(connection)
        super().setup()

    def _on_decode_error(self, message: Any, exc: BaseException) -> None:
        headers = dict(message.headers or {})
        headers[ERROR_HEADER] = f"undecodable body: {exc!r}"[:1000]
        log.warning("undecodable message %s -> %s", message.properties.get("message_id"), self.subscription.dead_queue_name)
        publish_raw(message, self.subscription.dead_queue_name, headers)
        message.ack()

    def handle_message(self, body: Any, message: Any) -> None:
        self.acks.delivered(message)
        super().handle_message(body, message)

    def handle_message_processed(self, message: Any, result: Any = None, exc_info: Any = None) -> None:
        if exc_info is not None:
            self._route_failure(message, exc_info[1])
        self.acks.finished(message)

    def _route_failure(self, message: Any, error: BaseException) -> None:
        sub = self.subscription
        attempts = _attempts(message) + 1
        headers = dict(message.headers or {})
        headers[ATTEMPTS_HEADER] = attempts
        headers[ERROR_HEADER] = repr(error)[:1000]
        # A malformed envelope will never succeed: no point retrying it.
        dead = attempts >= sub.max_attempts or isinstance(error, (DecodeError, InvalidEvent))
        target = sub.dead_queue_name if dead else sub.retry_queue_name
        log.warning(
            "event %s failed (attempt %d/%d): %r -> %s",
            message.properties.get("message_id"), attempts, sub.max_attempts, error, target,
        )
        publish_raw(message, target, headers)


class GroupedAcks:
    """Acks finished messages the way a batch finishes them: together. A batch wakes its
    workers at once; each one's message is marked finished here, and one green thread,
    started after them, acks the finished messages of a channel up to the first one still
    in progress with a single ``basic.ack(multiple=True)`` (the others one by one). One frame
    per batch instead of one per message; never an ack before a message is finished."""

    def __init__(self, spawn: Callable[..., Any]):
        self.spawn = spawn
        self.in_progress: dict[Any, set[int]] = {}  # channel -> delivery tags not finished
        self.done: dict[Any, list[Any]] = {}  # channel -> finished messages not acked yet
        self.flushing = False

    def delivered(self, message: Any) -> None:
        self.in_progress.setdefault(message.channel, set()).add(message.delivery_tag)

    def finished(self, message: Any) -> None:
        self.in_progress.get(message.channel, set()).discard(message.delivery_tag)
        self.done.setdefault(message.channel, []).append(message)
        if not self.flushing:
            self.flushing = True
            self.spawn(self.flush, identifier="grouped_acks")

    def flush(self) -> None:
        self.flushing = False
        done, self.done = self.done, {}
        for channel, messages in done.items():
            if not channel.connection:
                continue  # the connection is gone: the broker has taken the messages back
            still = self.in_progress.get(channel, set())
            first_unfinished = min(still) if still else None
            messages.sort(key=lambda m: m.delivery_tag)
            prefix = [m for m in messages if first_unfinished is None or m.delivery_tag < first_unfinished]
            rest = messages[len(prefix):]
            try:
                if prefix:
                    channel.basic_ack(prefix[-1].delivery_tag, multiple=True)
                for message in rest:
                    channel.basic_ack(message.delivery_tag)
            except ConnectionError:  # the connection closed meanwhile: same as above
                continue
            if not still:
                self.in_progress.pop(channel, None)


def publish_raw(message: Any, queue_name: str, headers: dict[str, Any]) -> None:
    """Publish a message's original bytes to ``queue_name`` through the default exchange, confirmed."""
    with Connection(amqp_uri(), transport_options={"confirm_publish": True}, connect_timeout=5) as connection:
        producer = Producer(connection.default_channel)
        producer.publish(
            message.body,
            exchange="",
            routing_key=queue_name,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=2,
            message_id=message.properties.get("message_id"),
            headers=headers,
            retry=True,
            retry_policy={"max_retries": 3},
        )


event_consumer = EventConsumer.decorator


def replay_dead_letters(subscription: str, limit: int = 1000, uri: str | None = None) -> int:
    """Move up to ``limit`` messages from the dead-letter queue back to the main queue, in
    order, their attempt count back to 0 (``shared.amqp_move``); how many."""
    sub = SUBSCRIPTIONS[subscription]
    with Connection(uri or amqp_uri()) as connection:
        declare_topology(connection)
        channel = connection.channel()
        try:
            return move_messages(channel, sub.dead_queue_name, sub.queue,
                                 limit=limit, rewrite_headers=lambda headers: {**headers, ATTEMPTS_HEADER: 0})
        finally:
            if channel.is_open:
                channel.close()
