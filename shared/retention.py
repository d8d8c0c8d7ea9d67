"""Retention of the event tables: published outbox rows and inbox rows older than the
retention (default 7 days) are deleted in small batches by a background loop in each service
that has them. An unpublished outbox row is never deleted, and ``aggregate_state`` (the last
version applied per aggregate, and the tombstones) is never touched: it is what refuses a
stale or repeated event once its inbox row is gone. What is kept, what is pruned and why it
is safe: docs/decisions/event-retention.md.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Sequence

from pydantic import Field
from sqlalchemy import Delete, Select, delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from shared.background import BackgroundProvider
from shared.consumer import InboxMixin
from shared.db import Database, sibling_dependency
from shared.events import utcnow
from shared.leader import Leadership, leader_of, leads
from shared.outbox import PUBLISHED, OutboxMixin
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


class RetentionSettings(ServiceSettings):
    """The retention settings of a service with event tables (env ``<SERVICE>_RETENTION_*``,
    or the ``RETENTION_*`` keys of its config section)."""

    # Age past which published outbox rows and inbox rows are deleted. At least a day: far
    # longer than any redelivery (a lost ack, a relay republishing after a crash).
    retention_days: int = Field(default=7, ge=1, le=3650)
    # Seconds between two prunes.
    retention_interval: float = Field(default=3600.0, gt=0, le=86400)
    # Rows deleted per statement (one short transaction each).
    retention_batch_size: int = Field(default=1000, ge=1, le=10000)
    # Seconds to wait between two batches, so the event path keeps the database.
    retention_batch_pause: float = Field(default=0.2, ge=0, le=60)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)


def oldest_published(outbox_model: type[OutboxMixin], before: datetime, limit: int) -> Select[tuple[int]]:
    """The ids of up to ``limit`` outbox rows published before ``before``, oldest first: a
    range of the ``published_at`` index read in order and stopped at ``limit``. A pending row
    has no ``published_at``, so it is never in that range (the status is checked as well)."""
    return (select(outbox_model.id)
            .where(outbox_model.status == PUBLISHED, outbox_model.published_at < before)
            .order_by(outbox_model.published_at).limit(limit))


def oldest_processed(inbox_model: type[InboxMixin], before: datetime, limit: int) -> Select[tuple[str]]:
    """The event ids of up to ``limit`` inbox rows processed before ``before``, oldest first,
    read from the ``processed_at`` index."""
    return (select(inbox_model.event_id).where(inbox_model.processed_at < before)
            .order_by(inbox_model.processed_at).limit(limit))


def deletion_by_key(key: InstrumentedAttribute[Any], keys: Sequence[Any]) -> Delete:
    """The DELETE of the rows whose primary key ``key`` is one of ``keys``. Chosen first,
    then deleted by key: PostgreSQL planned a ``DELETE ... WHERE id IN (SELECT ... LIMIT)``
    as a hash join over the whole table."""
    return delete(key.class_).where(key.in_(keys)).execution_options(synchronize_session=False)


def delete_oldest(session: Session, oldest: Select[Any], key: InstrumentedAttribute[Any]) -> int:
    """Delete the rows ``oldest`` chooses, in the session's transaction; how many."""
    keys = session.scalars(oldest).all()
    if not keys:
        return 0
    result = session.execute(deletion_by_key(key, keys))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE's CursorResult


class EventTablesPruner:
    """Prunes one service's outbox and/or inbox. Plain class: the background loop below, a
    CLI or a test runs it. Each batch is its own transaction; between two batches of a table
    ``pause(batch_pause)`` is called (a sleep that a stopping service cuts short), and
    ``running()`` is asked whether to go on."""

    def __init__(self, session_factory: sessionmaker[Session], outbox_model: type[OutboxMixin] | None = None,
                 inbox_model: type[InboxMixin] | None = None, retention: timedelta = timedelta(days=7),
                 batch_size: int = 1000, batch_pause: float = 0.0,
                 pause: Callable[[float], None] = lambda seconds: None, running: Callable[[], bool] = lambda: True):
        self.session_factory = session_factory
        self.outbox_model = outbox_model
        self.inbox_model = inbox_model
        self.retention = retention
        self.batch_size = batch_size
        self.batch_pause = batch_pause
        self.pause = pause
        self.running = running
        self.batches = 0  # statements run (batches) by the last ``prune``

    def prune(self, now: datetime) -> dict[str, int]:
        """Delete what is older than ``now`` minus the retention; the rows deleted per table."""
        before = now - self.retention
        self.batches = 0
        pruned: dict[str, int] = {}
        if self.outbox_model is not None:
            outbox = self.outbox_model
            pruned["outbox"] = self._in_batches(lambda session: delete_oldest(
                session, oldest_published(outbox, before, self.batch_size), outbox.id))
        if self.inbox_model is not None:
            inbox = self.inbox_model
            pruned["inbox"] = self._in_batches(lambda session: delete_oldest(
                session, oldest_processed(inbox, before, self.batch_size), inbox.event_id))
        return pruned

    def _in_batches(self, one_batch: Callable[[Session], int]) -> int:
        total = 0
        while True:
            with self.session_factory() as session:
                deleted = one_batch(session)
                session.commit()
            self.batches += 1
            total += deleted
            if deleted < self.batch_size or not self.running():
                return total
            self.pause(self.batch_pause)
            if not self.running():
                return total


class EventRetention(BackgroundProvider):
    """Runs an ``EventTablesPruner`` every ``retention_interval`` seconds in a managed green
    thread of the service container (the first prune one interval after the start), with the
    service's ``RetentionSettings``. Logs what it deleted, only when it deleted something; a
    failed prune is logged and tried again at the next interval. With ``leader`` (the
    attribute of the service's ``shared.leader.Leadership``), only the leading replica prunes."""

    thread_name = "event_retention"

    def __init__(self, database_attr: str, settings_cls: type[RetentionSettings],
                 outbox_model: type[OutboxMixin] | None = None, inbox_model: type[InboxMixin] | None = None,
                 clock: Callable[[], datetime] = utcnow, leader: str | None = None):
        super().__init__()
        self.leader = leader
        self.leadership: Leadership | None = None
        self.database_attr = database_attr
        self.settings_cls = settings_cls
        self.outbox_model = outbox_model
        self.inbox_model = inbox_model
        self.clock = clock
        self.settings: RetentionSettings | None = None
        self.pruner: EventTablesPruner | None = None

    def setup(self) -> None:
        self.settings = self.settings_cls.load()

    def start(self) -> None:
        database: Database = sibling_dependency(self.container, self.database_attr)
        assert database.session_factory is not None, "every provider's setup() runs before any start()"
        self.pruner = self.pruner_for(database.session_factory)
        self.leadership = leader_of(self.container, self.leader)
        super().start()

    def pruner_for(self, session_factory: sessionmaker[Session]) -> EventTablesPruner:
        """The pruner of this service's tables, with its settings, paused and stopped by the loop."""
        settings = self.settings
        assert settings is not None, "setup() loads the settings"
        return EventTablesPruner(
            session_factory, self.outbox_model, self.inbox_model, settings.retention,
            settings.retention_batch_size, settings.retention_batch_pause,
            pause=self.loop.pause, running=lambda: self.loop.running)

    def run(self) -> None:
        assert self.settings is not None and self.pruner is not None, "run() starts from start()"
        while self.loop.running:
            self.loop.wait(self.settings.retention_interval)
            if not self.loop.running:
                return
            self.prune_once()

    def prune_once(self) -> dict[str, int]:
        assert self.pruner is not None
        if not leads(self.leadership):
            return {}  # the leading replica prunes the shared tables
        try:
            pruned = self.pruner.prune(self.clock())
        except Exception as exc:  # noqa: BLE001 - the database may be away: next interval
            log.warning("retention: prune failed (%r); trying again in %.0fs", exc,
                        self.settings.retention_interval if self.settings else 0)
            return {}
        if any(pruned.values()):
            log.info("retention: pruned %s (older than %s days, %d batches)",
                     ", ".join(f"{count} {table} rows" for table, count in pruned.items()),
                     self.settings.retention_days if self.settings else "?", self.pruner.batches)
        return pruned

    def get_dependency(self, worker_ctx: Any) -> None:
        return None
