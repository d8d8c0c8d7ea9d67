"""shared.retention on both databases: a prune's statements read indexes, never a whole
table, and the background loop prunes on its interval and logs only what it deleted."""
import logging
import re
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from broker_helpers import wait_for
from sqlalchemy import func, select, text
from sqlalchemy.orm import DeclarativeBase

from shared.consumer import InboxMixin
from shared.db import insert_rows
from shared.outbox import PENDING, PUBLISHED, OutboxMixin
from shared.retention import EventRetention, RetentionSettings, deletion_by_key, oldest_processed, oldest_published

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class Settings(RetentionSettings):
    config_section = "TEST"


@pytest.fixture
def session_factory(tables):
    return tables(Base)


def fill(session_factory, rows=20_000, old=2_000):
    """``rows`` published outbox rows and inbox rows, one a minute from T0, plus 100 pending
    outbox rows; the first ``old`` of each are older than the cutoff ``T0 + old minutes``
    (a prune that runs every hour finds a small old slice of a large table)."""
    moments = [T0 + timedelta(minutes=n) for n in range(rows)]
    outbox_columns = ("event_id", "event_type", "aggregate_id", "aggregate_version", "body", "status", "attempts",
                      "created_at", "published_at")
    with session_factory() as session:
        insert_rows(session, Outbox.__table__, outbox_columns,
                    [(f"o-{n}", "t", "a", n + 1, "{}", PUBLISHED, 0, at, at) for n, at in enumerate(moments)]
                    + [(f"pending-{n}", "t", "a", 1, "{}", PENDING, 0, T0, None) for n in range(100)])
        insert_rows(session, Inbox.__table__, ("event_id", "event_type", "processed_at"),
                    [(f"i-{n}", "t", at) for n, at in enumerate(moments)])
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.connection().exec_driver_sql("ANALYZE outbox")
            session.connection().exec_driver_sql("ANALYZE inbox")
        else:
            session.connection().exec_driver_sql("ANALYZE")
        session.commit()
    return T0 + timedelta(minutes=old)


def plan(session, statement) -> str:
    """The database's plan of ``statement`` (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN)."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    values = tuple(params[name] for name in compiled.positiontup)
    postgres = connection.dialect.name == "postgresql"
    explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    rows = connection.exec_driver_sql(explain + compiled.string, values).all()
    return "\n".join(str(row[0] if postgres else row[-1]) for row in rows)


def full_scans(plan_text: str) -> list[str]:
    return re.findall(r"Seq Scan on \w+|\bSCAN \w+(?! USING)", plan_text)


@pytest.mark.parametrize("which", ["outbox", "inbox"])
def test_a_prune_reads_indexes_not_the_table(session_factory, which):
    """A batch is a small part of the table, as 1,000 rows of the millions a busy service
    keeps for 7 days (here 100 of 20,000: PostgreSQL reads a table of this size whole for a
    key list that is a twentieth of it, which is cheaper there)."""
    cutoff = fill(session_factory)
    if which == "outbox":
        oldest, key, index = oldest_published(Outbox, cutoff, 100), Outbox.id, "ix_outbox_published_at"
    else:
        oldest, key, index = oldest_processed(Inbox, cutoff, 100), Inbox.event_id, "ix_inbox_processed_at"
    with session_factory() as session:
        choice = plan(session, oldest)
        keys = session.scalars(oldest).all()
        deletion = plan(session, deletion_by_key(key, keys))
        session.rollback()
    assert len(keys) == 100
    assert index in choice, choice
    assert full_scans(choice) == [], choice
    assert full_scans(deletion) == [], deletion


def test_the_loop_prunes_on_its_interval_and_logs_only_what_it_deleted(session_factory, caplog):
    cutoff = fill(session_factory, rows=3_000, old=2_500)
    retention = EventRetention("db", Settings, outbox_model=Outbox, inbox_model=Inbox,
                               clock=lambda: cutoff + timedelta(days=7))
    retention.settings = Settings(retention_interval=0.01, retention_batch_pause=0)
    retention.pruner = retention.pruner_for(session_factory)
    caplog.set_level(logging.INFO, logger="shared.retention")
    retention.loop.start(eventlet.spawn, retention.run)
    try:
        assert wait_for(lambda: any("pruned" in r.getMessage() for r in caplog.records), timeout=30)
        with session_factory() as session:
            assert wait_for(lambda: session.scalar(select(func.count()).select_from(Inbox)) == 500, timeout=30)
            session.rollback()
            assert dict(session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()) == {
                PUBLISHED: 500, PENDING: 100}
        eventlet.sleep(0.1)  # several more intervals, each with nothing to delete
    finally:
        retention.loop.stop()
    messages = [r.getMessage() for r in caplog.records if r.name == "shared.retention"]
    assert messages == ["retention: pruned 2500 outbox rows, 2500 inbox rows (older than 7 days, 6 batches)"]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "shared.retention")


def test_a_failed_prune_is_logged_and_the_loop_goes_on(session_factory, caplog):
    with session_factory() as session:
        session.execute(text("DROP TABLE inbox"))
        session.commit()
    retention = EventRetention("db", Settings, inbox_model=Inbox)
    retention.settings = Settings()
    retention.pruner = retention.pruner_for(session_factory)
    caplog.set_level(logging.INFO, logger="shared.retention")
    assert retention.prune_once() == {}
    [record] = [r for r in caplog.records if r.name == "shared.retention"]
    assert record.levelno == logging.WARNING and "prune failed" in record.getMessage()
