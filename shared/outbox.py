"""Transactional outbox: a state change and its event are written in one transaction;
a relay publishes pending rows with publisher confirms and marks them published (a batch is
published in one go and its confirms awaited together; only the confirmed rows are marked).

While the broker is down writes still succeed and rows wait; the relay retries with
backoff and publishes them in order when the broker is back. Nothing is lost; a row
may be published twice after a crash between confirm and mark, which idempotent
consumers absorb.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import socket
import time
from datetime import datetime
from typing import Any, Iterator

from kombu import Connection, Producer
from sqlalchemy import DateTime, Integer, String, Table, Text, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from shared.background import BackgroundProvider
from shared.db import Database, driver_url, insert_rows, sibling_dependency
from shared.events import Event, utcnow
from shared.leader import Leadership, leader_of, leads
from shared.settings import amqp_uri
from shared.topology import declare_topology, events_exchange

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL = 1.0  # seconds between two polls of a relay that no commit woke
# On PostgreSQL, where a service may run several replicas, only the leader's relay publishes:
# a write committed on another replica waits for its poll (one indexed read of the pending
# rows and one round trip to confirm the leadership, four times a second).
REPLICA_POLL_INTERVAL = 0.25
CONFIRM_TIMEOUT = 30.0  # seconds to wait for the broker to confirm a batch
GATHER_BYTES = 256 * 1024  # published frames sent to the socket together (see _writes_gathered)
PENDING = "pending"
PUBLISHED = "published"


class OutboxMixin:
    """Columns of a service's ``outbox`` table; mix into the service's declarative Base."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    aggregate_version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Indexed: retention deletes the published rows oldest first (shared/retention.py).
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)


def outbox_row(event: Event, now: datetime) -> dict[str, Any]:
    """The outbox row of ``event``, staged at ``now`` and waiting for the relay."""
    return {
        "event_id": event.id,
        "event_type": event.type,
        "aggregate_id": event.aggregate_id,
        "aggregate_version": event.aggregate_version,
        "body": json.dumps(envelope(event), ensure_ascii=False),
        "status": PENDING,
        "attempts": 0,
        "last_error": None,
        "created_at": now,
        "published_at": None,
    }


def envelope(event: Event) -> dict[str, Any]:
    """``event.to_dict()`` without ``dataclasses.asdict``'s deep copy of the payload: the
    same JSON, and thousands of pricing events in one fan-out add up."""
    return {field.name: getattr(event, field.name) for field in dataclasses.fields(event)}


# ``session.info`` key: the transaction staged outbox rows (the relay is woken after its commit).
STAGED = "etalase.outbox_staged"


def add_event(session: Session, outbox_model: type[OutboxMixin], event: Event) -> None:
    """Stage ``event`` in the same transaction as the state change it describes."""
    session.add(outbox_model(**outbox_row(event, utcnow())))
    session.info[STAGED] = True


OUTBOX_COLUMNS = ("event_id", "event_type", "aggregate_id", "aggregate_version", "body", "status", "attempts",
                  "last_error", "created_at", "published_at")


def add_events(session: Session, outbox_model: type[OutboxMixin], events: list[Event]) -> None:
    """Stage many events in the same transaction, in few round trips: one multi-row INSERT
    per page of rows (``shared.db.insert_rows``, straight to the driver: SQLAlchemy's
    executemany ran every row's parameters through the compiled statement, a quarter of a
    campaign start's CPU). Rows get their ids in the order given, which is the order the
    relay publishes them in."""
    if not events:
        return
    now = utcnow()
    table: Table = outbox_model.__table__  # type: ignore[attr-defined]  # a mapped subclass
    rows = [outbox_row(event, now) for event in events]
    insert_rows(session, table, OUTBOX_COLUMNS, [tuple(row[name] for name in OUTBOX_COLUMNS) for row in rows])
    session.info[STAGED] = True


class BrokerRefused(RuntimeError):
    """The broker did not confirm every message of a batch (a nack, or no answer in time)."""


class OutboxRelay:
    """Publishes pending outbox rows. Plain class: usable from a nameko extension, a CLI or a test."""

    def __init__(self, session_factory: sessionmaker[Session], outbox_model: type[OutboxMixin], broker_uri: str,
                 batch_size: int = 500):
        self.session_factory = session_factory
        self.model = outbox_model
        self.broker_uri = broker_uri
        self.batch_size = batch_size
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._first_tag = 1  # the delivery tag of the batch's first message (confirm mode)
        self._published_tags = 0  # messages published on the channel so far
        self._confirmed: set[int] = set()
        self._refused: set[int] = set()

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.broker_uri, connect_timeout=5, heartbeat=0)
            connection.ensure_connection(max_retries=1)
            declare_topology(connection)
            channel = connection.channel()
            # Confirm mode without waiting per message: a batch is published in one go and
            # its confirms are awaited together (``_await_confirms``).
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._connection = connection
            # declare_topology declared the exchange: no declare (a round trip) per publish.
            self._producer = Producer(channel, exchange=events_exchange(), auto_declare=False)
        return self._producer

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._confirmed.update(self._tags_up_to(delivery_tag) if multiple else [delivery_tag])

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._refused.update(self._tags_up_to(delivery_tag) if multiple else [delivery_tag])

    def _tags_up_to(self, delivery_tag: int) -> range:
        return range(self._first_tag, delivery_tag + 1)

    def _await_confirms(self, count: int) -> int:
        """Wait for the broker to confirm the ``count`` messages just published; how many of
        them, from the first, it confirmed (all, unless it refused one or stopped answering)."""
        assert self._connection is not None
        expected = range(self._first_tag, self._first_tag + count)
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        while not self._refused and len(self._confirmed.intersection(expected)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                self._connection.drain_events(timeout=remaining)
            except socket.timeout:
                break
        return self._confirmed_prefix(count)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail again
                pass
        self._connection = None
        self._producer = None
        self._published_tags = 0  # a new channel numbers its deliveries from 1 again

    def publish_pending(self) -> int:
        """Publish one batch of pending rows in order; returns how many were published.

        Raises on a broker error after recording it on the row; the caller backs off.
        """
        with self.session_factory() as session:
            rows = session.execute(
                select(self.model.id, self.model.event_id, self.model.event_type, self.model.body)
                .where(self.model.status == PENDING)
                .order_by(self.model.id)
                .limit(self.batch_size)
            ).all()
        if not rows:
            return 0
        sent = 0
        try:
            producer = self._ensure_producer()
            self._first_tag = self._published_tags + 1
            self._confirmed, self._refused = set(), set()
            with self._writes_gathered():
                for row in rows:
                    producer.publish(
                        row.body.encode("utf-8"),
                        routing_key=row.event_type,
                        content_type="application/json",
                        content_encoding="utf-8",
                        delivery_mode=2,
                        message_id=row.event_id,
                        headers={"event_type": row.event_type},
                        retry=False,
                    )
                    sent += 1
                    self._published_tags += 1
            confirmed = self._await_confirms(sent)
            if confirmed < len(rows):
                raise BrokerRefused(f"the broker confirmed {confirmed} of {len(rows)} events"
                                    + (" (it refused some)" if self._refused else ""))
        except Exception as exc:
            confirmed = self._confirmed_prefix(sent)
            self.close()
            self._mark([row.id for row in rows[:confirmed]])
            failed = rows[confirmed].id
            with self.session_factory() as session:
                session.execute(
                    update(self.model)
                    .where(self.model.id == failed)
                    .values(attempts=self.model.attempts + 1, last_error=repr(exc)[:2000])
                )
                session.commit()
            raise
        self._mark([row.id for row in rows])
        return len(rows)

    @contextlib.contextmanager
    def _writes_gathered(self) -> Iterator[None]:
        """The frames of the publishes inside go to the socket together, a send per
        ``GATHER_BYTES`` instead of one per message: under eventlet each send is a trip
        through the green socket's loop, which was a third of the relay's CPU. A publish
        that fails leaves its batch unsent and unconfirmed; the caller then drops the
        connection (``close``), so the delivery tags start again on the next one. What is
        gathered is sent before any read that waits, so a call that waits for the broker's
        answer still gets one."""
        assert self._connection is not None
        transport = self._connection.connection.transport  # amqp's, below kombu
        own = "_write" in vars(transport)
        send = transport._write
        read_frame = transport.read_frame
        pending: list[bytes] = []
        size = 0

        def gather(data: bytes) -> None:
            nonlocal size
            pending.append(bytes(data))  # amqp hands over a view of a buffer it reuses
            size += len(data)
            if size >= GATHER_BYTES:
                flush()

        def flush() -> None:
            nonlocal size
            if pending:
                data = b"".join(pending)
                pending.clear()
                size = 0
                send(data)

        def flushed_read(*args: Any, **kwargs: Any) -> Any:
            if transport.sock.gettimeout() != 0:  # not amqp's poll before each publish
                flush()
            return read_frame(*args, **kwargs)

        transport._write = gather
        transport.read_frame = flushed_read
        try:
            yield
            flush()
        finally:
            del transport.read_frame
            if own:
                transport._write = send
            else:
                del transport._write

    def _confirmed_prefix(self, sent: int) -> int:
        """How many of the batch's first messages the broker confirmed, in a row."""
        confirmed = 0
        for tag in range(self._first_tag, self._first_tag + sent):
            if tag not in self._confirmed:
                break
            confirmed += 1
        return confirmed

    def _mark(self, ids: list[int]) -> None:
        if not ids:
            return
        with self.session_factory() as session:
            session.execute(
                update(self.model)
                .where(self.model.id.in_(ids))
                .values(status=PUBLISHED, published_at=utcnow())
            )
            session.commit()

    def pending_count(self) -> int:
        with self.session_factory() as session:
            return session.scalar(select(func.count()).where(self.model.status == PENDING)) or 0


def poll_interval_for(database_url: str) -> float:
    """The relay's poll on this database: shorter on PostgreSQL (several replicas may write)."""
    postgresql = make_url(driver_url(database_url)).get_backend_name() == "postgresql"
    return REPLICA_POLL_INTERVAL if postgresql else DEFAULT_POLL_INTERVAL


class OutboxRelayRunner(BackgroundProvider):
    """Runs an ``OutboxRelay`` in a managed green thread of the service container.

    Woken right after a commit of the service's ``Database`` provider that staged events
    (``add_event``/``add_events``; a batch of search's or promotion's consumers mostly stages
    none, and a read of the outbox after each was ~8 % of promotion's CPU over a burst), and
    polls every ``poll_interval`` seconds anyway (rows written by the CLI, retries). While the
    broker is down it backs off (0.5 s, doubling up to ``max_backoff``); commits do not
    cut a back-off short, only a stop does.

    With ``leader`` (the attribute of the service's ``shared.leader.Leadership``), only the
    replica that leads relays: one publisher per outbox keeps each aggregate's events in
    order. The leader is asked before every batch; a replica that is not leading sleeps
    through its wakes and asks again at its next poll. Its own commits reach the broker when
    the leader polls: on PostgreSQL, where several replicas of a writing service run, the
    poll is ``REPLICA_POLL_INTERVAL`` unless ``poll_interval`` is given (docs/decisions/singletons.md).
    """

    thread_name = "outbox_relay"

    def __init__(self, database_attr: str, outbox_model: type[OutboxMixin], poll_interval: float | None = None,
                 max_backoff: float = 30.0, leader: str | None = None):
        super().__init__()
        self.database_attr = database_attr
        self.outbox_model = outbox_model
        self.poll_interval: float | None = poll_interval  # None: by the database, at start (poll_interval_for)
        self.max_backoff = max_backoff
        self.leader = leader
        self.leadership: Leadership | None = None
        self.relay: OutboxRelay | None = None
        self.published = 0  # events this replica's relay has published since its start

    def setup(self) -> None:
        self.database().after_commit.append(self.wake_if_staged)

    def wake_if_staged(self, session: Session) -> None:
        """After-commit hook: wake the relay when the committed transaction staged events."""
        if session.info.pop(STAGED, False):
            self.wake()

    def database(self) -> Database:
        """The service's ``Database`` provider this relay reads the outbox through."""
        database: Database = sibling_dependency(self.container, self.database_attr)
        return database

    def start(self) -> None:
        database = self.database()
        session_factory = database.session_factory
        assert session_factory is not None, "every provider's setup() runs before any start()"
        self.leadership = leader_of(self.container, self.leader)
        if self.poll_interval is None:
            self.poll_interval = poll_interval_for(database.settings.database_url)
        self.relay = OutboxRelay(session_factory, self.outbox_model, amqp_uri())
        super().start()

    def stop(self) -> None:
        super().stop()
        if self.relay is not None:
            self.relay.close()

    def kill(self) -> None:
        self.stop()

    def run(self) -> None:
        relay, poll = self.relay, self.poll_interval
        assert relay is not None and poll is not None, "run() starts from start(), which makes the relay"
        backoff = 0.5
        while self.loop.running:
            if not leads(self.leadership):
                # Another replica relays this outbox; a commit here does not help it. Asking
                # once per poll is what lets this replica take over when the leader dies.
                self.loop.pause(poll)
                continue
            try:
                count = relay.publish_pending()
                self.published += count
                backoff = 0.5
                if count:
                    continue  # more may be waiting
            except Exception as exc:  # noqa: BLE001 - broker down: back off and retry
                log.warning("outbox relay: publish failed (%s); retrying in %.1fs", exc, backoff)
                self.loop.pause(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            self.loop.wait(poll)

    def get_dependency(self, worker_ctx: Any) -> OutboxRelay | None:
        return self.relay
