"""The leader lock on PostgreSQL (advisory lock on a connection of its own) and on a SQLite
file (flock): two holders, one leads; when the leader's connection or process dies the other
takes over at its next try; a stop releases it. Real databases, real processes. And a timer
that only the leader runs, in two nameko containers on one SQLite file."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nameko
import pytest
from pydantic_settings import SettingsConfigDict
from sqlalchemy import create_engine, text
from waiting import wait_for

from shared.db import Database
from shared.extensions import settings_timer
from shared.leader import LeaderLock, Leadership, advisory_key, lock_file_of
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lock_url(database_url):
    """A database both holders share: a SQLite file or a fresh PostgreSQL database."""
    if database_url.startswith("sqlite"):
        Path(database_url.split("///", 1)[1]).touch()
    return database_url


def test_two_holders_one_leads_and_a_release_hands_over(lock_url):
    first = LeaderLock(lock_url, "catalog", retry_interval=0)
    second = LeaderLock(lock_url, "catalog", retry_interval=0)
    other_name = LeaderLock(lock_url, "promotion", retry_interval=0)
    try:
        assert first.is_leader() is True
        assert second.is_leader() is False
        assert first.is_leader() is True  # confirmed, not taken twice
        assert second.is_leader() is False
        assert other_name.is_leader() is True  # another name is another lock
        first.release()
        assert first.is_leader() is False  # released for good
        assert second.is_leader() is True
        assert first.is_leader() is False
    finally:
        for lock in (first, second, other_name):
            lock.release()


def test_a_non_leader_tries_again_only_after_its_retry_interval(lock_url):
    first = LeaderLock(lock_url, "catalog", retry_interval=0)
    second = LeaderLock(lock_url, "catalog", retry_interval=0.3)
    try:
        assert first.is_leader() and not second.is_leader()
        first.release()
        assert second.is_leader() is False  # asked a moment ago: no new try yet
        assert wait_for(second.is_leader, timeout=5)
    finally:
        first.release()
        second.release()


def test_a_dropped_postgres_connection_is_noticed_before_the_next_leading_action(postgres_url):
    first = LeaderLock(postgres_url, "catalog", retry_interval=0)
    second = LeaderLock(postgres_url, "catalog", retry_interval=0)
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        assert first.is_leader() and not second.is_leader()
        with admin.connect() as connection:
            # a bigint key is shown as its high (classid) and low (objid) 32 bits
            key = advisory_key("catalog") & (2**64 - 1)
            holders = connection.execute(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                "AND classid::bigint = :high AND objid::bigint = :low "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"high": key >> 32, "low": key & 0xFFFFFFFF}).scalars().all()
            assert len(holders) == 1
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holders[0]})
        # the server dropped the session and its lock: the other holder takes it ...
        assert wait_for(second.is_leader)
        # ... and the old leader learns it at its next question, not by acting
        assert first.is_leader() is False
        assert first.leading is False
    finally:
        first.release()
        second.release()
        admin.dispose()


HOLDER = textwrap.dedent("""
    import sys, time
    from shared.leader import LeaderLock
    lock = LeaderLock(sys.argv[1], "catalog", retry_interval=0)
    while not lock.is_leader():
        time.sleep(0.05)
    print("leading", flush=True)
    while True:
        time.sleep(0.2)
        assert lock.is_leader()
""")


def test_the_leader_process_killed_hands_over_to_the_other(lock_url):
    """SIGKILL: no clean-up runs; the server (PostgreSQL) or the kernel (flock) frees it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, lock_url], cwd=ROOT, stdout=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    other = LeaderLock(lock_url, "catalog", retry_interval=0)
    try:
        assert holder.stdout.readline().strip() == b"leading"
        assert other.is_leader() is False
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        killed = time.monotonic()
        assert wait_for(other.is_leader, timeout=10)
        assert time.monotonic() - killed < 5  # "within a few seconds": at once, in fact
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        other.release()


def test_sqlite_lock_file_sits_next_to_the_database_and_memory_always_leads(tmp_path):
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    lock = LeaderLock(url, "catalog")
    try:
        assert lock.is_leader()
        assert lock_file_of(str(tmp_path / "catalog.db"), "catalog").exists()
    finally:
        lock.release()
    for memory in ("sqlite://", "sqlite:///:memory:"):
        one, two = LeaderLock(memory, "catalog"), LeaderLock(memory, "catalog")
        assert one.is_leader() and two.is_leader()


@pytest.mark.parametrize("name", ["", "a/b", "x" * 101, None])
def test_a_bad_name_or_database_is_refused_clearly(name, tmp_path):
    with pytest.raises(ValueError, match="leader lock name"):
        LeaderLock(f"sqlite:///{tmp_path / 'x.db'}", name)


def test_an_unknown_database_is_refused_clearly():
    with pytest.raises(ValueError, match="SQLite or PostgreSQL only"):
        LeaderLock("mysql://u@h/db", "catalog")


def test_an_unreachable_postgres_is_not_leader_and_says_why(caplog):
    lock = LeaderLock("postgresql://postgres@127.0.0.1:1/none", "catalog", retry_interval=0, connect_timeout=1)
    assert lock.is_leader() is False
    assert "could not take the lock" in caplog.text
    lock.release()


# --- the nameko side: a timer made with settings_timer(..., leader=...) ---------------------

class TickSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LEADERTEST_", extra="ignore", case_sensitive=False)
    config_section = "LEADERTEST"
    tick: float = 0.05


RAN: list = []  # the Leadership provider of each container whose timer body ran


class TickService:
    name = "leadertest"

    db = Database(TickSettings)
    leader = Leadership("db")

    @settings_timer(TickSettings, "tick", eager=True, leader="leader")
    def tick(self):
        RAN.append(self.leader)


def test_a_leader_only_timer_runs_on_one_replica_and_moves_when_it_stops(tmp_path, container_factory):
    RAN.clear()
    with nameko.config.patch({"LEADERTEST": {"DATABASE_URL": f"sqlite:///{tmp_path / 'tick.db'}"}}):
        first, second = container_factory(TickService), container_factory(TickService)
        first.start()
        second.start()
    leaders = [next(d for d in c.dependencies if isinstance(d, Leadership)) for c in (first, second)]
    timers = [next(iter(c.entrypoints)) for c in (first, second)]
    assert wait_for(lambda: len(RAN) >= 5 and timers[1].skipped_ticks >= 5)
    assert set(RAN) == {leaders[0]} and timers[0].skipped_ticks == 0

    first.stop()  # releases the lock: the other replica's next tick takes it
    ran_before = len(RAN)
    assert wait_for(lambda: leaders[1] in RAN[ran_before:], timeout=5)
    assert set(RAN[ran_before:]) == {leaders[1]}
