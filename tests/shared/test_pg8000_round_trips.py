"""On PostgreSQL (pg8000) a commit and the pool's ping each take one round trip; the ping
is sent only for a connection that sat idle, and it still replaces a connection the server
has closed (shared.db.make_engine, ping_when_idle)."""
import pytest
from pg8000 import core as pg8000_core
from sqlalchemy import text

from shared.db import make_engine, make_session_factory

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # pg8000 only


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url, idle_before_ping=0)  # every reused connection is pinged
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE seen (n int)"))
    yield engine
    engine.dispose()


@pytest.fixture
def round_trips(monkeypatch):
    flushes = []
    original = pg8000_core._flush
    monkeypatch.setattr(pg8000_core, "_flush", lambda sock: (flushes.append(1), original(sock)))
    return flushes


def test_a_commit_and_a_ping_are_one_round_trip_each(engine, round_trips):
    sessions = make_session_factory(engine)
    with sessions() as session:
        session.connection()  # the fixture's connection checked out again: the ping
        assert len(round_trips) == 1
        session.execute(text("INSERT INTO seen VALUES (1)"))  # BEGIN, then the statement
        before_commit = len(round_trips)
        session.commit()
        assert len(round_trips) == before_commit + 1
    with sessions() as session:
        assert session.scalars(text("SELECT n FROM seen")).all() == [1]


def test_the_ping_replaces_a_connection_the_server_closed(engine, database_url):
    sessions = make_session_factory(engine)
    with sessions() as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    other = make_engine(database_url)  # another pool's connection terminates the pooled one
    with other.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()
    with sessions() as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) != pid
        session.execute(text("INSERT INTO seen VALUES (2)"))
        session.commit()
    with sessions() as session:
        assert session.scalars(text("SELECT n FROM seen")).all() == [2]


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(database_url, round_trips):
    engine = make_engine(database_url, idle_before_ping=60)
    try:
        sessions = make_session_factory(engine)
        with sessions() as session:
            pid = session.scalar(text("SELECT pg_backend_pid()"))
        sent = len(round_trips)
        with sessions() as session:
            session.connection()
            assert len(round_trips) == sent  # no ping
            assert session.scalar(text("SELECT pg_backend_pid()")) == pid
    finally:
        engine.dispose()
