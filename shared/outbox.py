"""Transactional outbox: a state change and its event are written in one transaction;
a relay publishes pending rows with publisher confirms and marks them published.

While the broker is down writes still succeed and rows wait; the relay retries with
backoff and publishes them in order when the broker is back. Nothing is lost; a row
may be published twice after a crash between confirm and mark, which idempotent
consumers absorb.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

import eventlet
from eventlet.event import Event as GreenEvent
from kombu import Connection, Producer
from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.events import Event, utcnow
from shared.settings import amqp_uri
from shared.topology import declare_topology, events_exchange
from shared.db import sibling_dependency

log = logging.getLogger(__name__)

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
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def add_event(session: Session, outbox_model, event: Event) -> None:
    """Stage ``event`` in the same transaction as the state change it describes."""
    session.add(
        outbox_model(
            event_id=event.id,
            event_type=event.type,
            aggregate_id=event.aggregate_id,
            aggregate_version=event.aggregate_version,
            body=json.dumps(event.to_dict(), ensure_ascii=False),
            status=PENDING,
            attempts=0,
        )
    )


class OutboxRelay:
    """Publishes pending outbox rows. Plain class: usable from a nameko extension, a CLI or a test."""

    def __init__(self, session_factory, outbox_model, broker_uri: str, batch_size: int = 500):
        self.session_factory = session_factory
        self.model = outbox_model
        self.broker_uri = broker_uri
        self.batch_size = batch_size
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            connection = Connection(
                self.broker_uri,
                transport_options={"confirm_publish": True},
                connect_timeout=5,
                heartbeat=0,
            )
            connection.ensure_connection(max_retries=1)
            declare_topology(connection)
            self._connection = connection
            self._producer = Producer(connection.default_channel, exchange=events_exchange())
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail again
                pass
        self._connection = None
        self._producer = None

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
        published: list[int] = []
        try:
            producer = self._ensure_producer()
            for row in rows:
                # With confirm_publish the call returns only once the broker has the message.
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
                published.append(row.id)
        except Exception as exc:
            self.close()
            self._mark(published)
            failed = rows[len(published)].id
            with self.session_factory() as session:
                session.execute(
                    update(self.model)
                    .where(self.model.id == failed)
                    .values(attempts=self.model.attempts + 1, last_error=repr(exc)[:2000])
                )
                session.commit()
            raise
        self._mark(published)
        return len(published)

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
        from sqlalchemy import func

        with self.session_factory() as session:
            return session.scalar(select(func.count()).where(self.model.status == PENDING)) or 0


class OutboxRelayRunner(DependencyProvider):
    """Runs an ``OutboxRelay`` in a managed green thread of the service container.

    Woken right after every commit of the service's ``Database`` provider, and polls
    every ``poll_interval`` seconds anyway (rows written by the CLI, retries).
    """

    def __init__(self, database_attr: str, outbox_model, poll_interval: float = 1.0, max_backoff: float = 30.0):
        self.database_attr = database_attr
        self.outbox_model = outbox_model
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self._wake = GreenEvent()
        self._running = False
        self.relay: OutboxRelay | None = None

    def setup(self):
        database = self._database()
        database.after_commit.append(self.wake)

    def _database(self):
        return sibling_dependency(self.container, self.database_attr)

    def start(self):
        database = self._database()
        self.relay = OutboxRelay(database.session_factory, self.outbox_model, amqp_uri())
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self):
        self._running = False
        self.wake()
        if self.relay is not None:
            self.relay.close()

    def kill(self):
        self.stop()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def _wait(self, seconds: float) -> None:
        with eventlet.Timeout(seconds, False):
            self._wake.wait()
        self._wake = GreenEvent()

    def _run(self):
        backoff = 0.5
        while self._running:
            try:
                count = self.relay.publish_pending()
                backoff = 0.5
                if count:
                    continue  # more may be waiting
            except Exception as exc:  # noqa: BLE001 - broker down: back off and retry
                log.warning("outbox relay: publish failed (%s); retrying in %.1fs", exc, backoff)
                self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            self._wait(self.poll_interval)

    def _sleep(self, seconds: float) -> None:
        # Sleep without being woken by commits: the broker is down, commits don't help.
        end = eventlet.hubs.get_hub().clock() + seconds
        while self._running and eventlet.hubs.get_hub().clock() < end:
            eventlet.sleep(0.1)

    def get_dependency(self, worker_ctx):
        return self.relay
