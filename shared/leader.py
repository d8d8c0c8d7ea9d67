"""Leadership of a singleton job among the replicas of a service: one lock per (database,
name), held by at most one replica at a time.

The outbox relay, event retention and the timers (campaign start/end, halal expiry,
idempotency-key pruning) must run in one replica only: two relays would publish the same
rows concurrently and out of order, two campaign timers would race each other. Each asks
``is_leader()`` before it acts; a replica that is not the leader tries to take the lock at
that moment, so when the leader dies another takes over at its next poll.

- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) on a key derived
  from the name, held on a connection of its own that stays open while leading (no pool, no
  transaction left open). The server drops the lock with the session: a leader killed with
  SIGKILL loses it at once (its socket closes). While leading, each ``is_leader()`` asks
  the server on that connection first (one round trip), so a dropped connection is noticed
  before the next leading action and the lock is tried again on a new connection.
- **SQLite file**: ``fcntl.flock`` on ``<database file>.<name>.lock`` next to the database
  (one machine; the kernel drops the lock when the holding process dies).
- **SQLite in memory**: one process owns the database, so it always leads.

Why an advisory-lock leader rather than ``FOR UPDATE SKIP LOCKED`` rows, and what is weak:
docs/decisions/singletons.md.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from shared.db import driver_url, sibling_dependency

log = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# Seconds between two tries of a replica that is not leading: with the callers' own polls
# (the relay's), a dead leader is replaced within about this plus one poll.
RETRY_INTERVAL = 0.5
CONNECT_TIMEOUT = 5.0  # seconds: a database that does not answer means "not leader" for now
# Server-side TCP keepalive of the lock's session (seconds): if the leader's machine vanishes
# without closing its socket, the server drops the session, and the lock, within about
# idle + interval * count (25 s) instead of the operating system's two hours.
KEEPALIVE = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}


def advisory_key(name: str) -> int:
    """The 64-bit advisory lock key of ``name``: stable across processes and versions (not
    Python's ``hash``), signed as PostgreSQL's bigint. Advisory locks are per database, so
    the same name on two databases is two locks."""
    digest = hashlib.sha256(f"etalase.leader:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file_of(database_path: str, name: str) -> Path:
    """The lock file of ``name`` next to a SQLite database file."""
    return Path(f"{database_path}.{name}.lock")


class _Backend(Protocol):
    def acquire(self) -> bool: ...  # try once, without waiting
    def confirm(self) -> bool: ...  # while held: is it still held?
    def release(self) -> None: ...


class _AlwaysLeader:
    """In-memory SQLite: the one process that has the database leads."""

    def acquire(self) -> bool:
        return True

    def confirm(self) -> bool:
        return True

    def release(self) -> None:
        pass


class _FileLock:
    """``flock`` on a lock file. Per open file: two holders in one process (two containers
    in a test) exclude each other as two processes do."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return True

    def confirm(self) -> bool:
        return self.fd is not None  # a held flock is not taken away while the file is open

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)  # closing the only descriptor of the open file drops the lock


class _AdvisoryLock:
    """``pg_try_advisory_lock`` on a dedicated connection (autocommit: no transaction stays
    open on it while it sits idle)."""

    def __init__(self, url: str, name: str, connect_timeout: float):
        self.key = advisory_key(name)
        self.engine: Engine = create_engine(
            driver_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT",
            connect_args={"timeout": connect_timeout})
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        # A replica that is not leading keeps its connection for the next try.
        if self.connection is None:
            connection = self.engine.connect()
            try:
                for setting, value in KEEPALIVE.items():
                    connection.exec_driver_sql(f"SET {setting} = {int(value)}")
            except BaseException:
                connection.close()
                raise
            self.connection = connection
        try:
            return bool(self.connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                                {"key": self.key}).scalar())
        except BaseException:
            self._drop()
            raise

    def confirm(self) -> bool:
        if self.connection is None:
            return False
        try:
            # The session is alive, so its session-level lock is still held.
            self.connection.exec_driver_sql("SELECT 1")
            return True
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises for a dropped session
            log.warning("leader lock %s: the lock's connection failed (%s)", self.key, exc)
            self._drop()
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                # Unlocked before the session ends: the server ends a closed session a moment
                # after the client has gone, and a successor asking at once must find it free.
                self.connection.execute(text("SELECT pg_advisory_unlock_all()"))
            except Exception:  # noqa: BLE001 - a broken session: its end releases the lock
                pass
        self._drop()
        self.engine.dispose()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()  # the server drops the session's locks with it
            except Exception:  # noqa: BLE001 - an already broken connection
                pass


class LeaderLock:
    """Leadership of ``name`` on the database at ``database_url``. Plain class: a nameko
    provider (``Leadership``), a CLI or a test uses it; safe to call from several green
    threads (they take turns on the one connection).

    ``is_leader()`` before every leading action: while leading it confirms the lock is still
    held (on PostgreSQL a round trip on the lock's connection); otherwise it tries to take
    it, without waiting, at most once per ``retry_interval`` (a False in between costs no I/O). ``release()`` gives it up for good (the holder is stopping)."""

    def __init__(self, database_url: str, name: str, retry_interval: float = RETRY_INTERVAL,
                 connect_timeout: float = CONNECT_TIMEOUT):
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ValueError(f"leader lock name must be 1-100 of A-Z a-z 0-9 _ . -, got {name!r}")
        if not 0 <= retry_interval <= 60:
            raise ValueError(f"retry_interval must be 0 to 60 seconds, got {retry_interval}")
        self.name = name
        self.retry_interval = retry_interval
        self.backend = self._backend(database_url, name, connect_timeout)
        self.leading = False  # as of the last call; no I/O to read it
        self.released = False
        self._next_try = 0.0  # monotonic time before which a non-leader does not try again
        self._mutex = threading.Lock()  # green under eventlet's monkey patching

    @staticmethod
    def _backend(url: str, name: str, connect_timeout: float) -> _Backend:
        parsed = make_url(driver_url(url))
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            path = parsed.database or ""
            if not path or path == ":memory:" or parsed.query.get("mode") == "memory":
                return _AlwaysLeader()
            return _FileLock(lock_file_of(path, name))
        if backend == "postgresql":
            return _AdvisoryLock(url, name, connect_timeout)
        raise ValueError(f"no leader lock for this database URL (SQLite or PostgreSQL only): {url.split(':', 1)[0]}")

    def is_leader(self) -> bool:
        with self._mutex:
            if self.released:
                return False
            was = self.leading
            if not was and time.monotonic() < self._next_try:
                return False  # tried a moment ago: a relay woken by every commit asks often
            try:
                self.leading = self.backend.confirm() if was else self.backend.acquire()
            except Exception as exc:  # noqa: BLE001 - database away: not leader until it answers
                log.warning("leader lock %s: could not take the lock (%s)", self.name, exc)
                self.leading = False
            if not self.leading:
                self._next_try = time.monotonic() + self.retry_interval
            if self.leading != was:
                log.info("leader lock %s: %s", self.name, "leading on this replica" if self.leading
                         else "no longer leading on this replica")
            return self.leading

    def release(self) -> None:
        with self._mutex:
            self.released = True
            if self.leading:
                log.info("leader lock %s: released", self.name)
            self.leading = False
            self.backend.release()


class Leadership(DependencyProvider):
    """A service's ``LeaderLock`` as a nameko dependency: the relay, retention and the timers
    of the service name this provider (``leader="leader"``) and ask ``is_leader()`` before
    each leading action; a worker gets the provider itself (``self.leader.is_leader()``).

    The lock is named after the service unless ``name`` is given, and first tried in
    ``setup`` (before any entrypoint or loop starts), so a single replica leads from its start
    as before. Released on stop and kill (a killed process loses it with its connection or file)."""

    def __init__(self, database_attr: str = "db", name: str | None = None):
        self.database_attr = database_attr
        self.name = name
        self.lock: LeaderLock | None = None
        self._making = threading.Lock()
        self._stopped = False

    def setup(self) -> None:
        # Taken now, before any entrypoint or background loop starts: a single replica leads
        # from its first timer tick and its relay's first poll, without a round trip more.
        lock = self._lock()
        if lock is not None:
            lock.is_leader()

    def _lock(self) -> LeaderLock | None:
        with self._making:
            if self.lock is None and not self._stopped:
                # The settings, not the provider's engine: every provider's setup runs at once.
                database = sibling_dependency(self.container, self.database_attr)
                url = database.settings_cls.load().database_url
                self.lock = LeaderLock(url, self.name or self.container.service_name)
            return self.lock

    def is_leader(self) -> bool:
        lock = self._lock()
        return lock is not None and lock.is_leader()

    def stop(self) -> None:
        with self._making:
            self._stopped = True
            lock, self.lock = self.lock, None
        if lock is not None:
            lock.release()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Leadership:
        return self


def leader_of(container: Any, leader_attr: str | None) -> Leadership | None:
    """The ``Leadership`` provider named ``leader_attr`` on the container (None: none asked)."""
    if leader_attr is None:
        return None
    leadership = sibling_dependency(container, leader_attr)
    if not isinstance(leadership, Leadership):
        raise TypeError(f"{leader_attr!r} is not a Leadership provider")
    return leadership


def leads(leadership: Leadership | None) -> bool:
    """Whether to do a singleton's work now: always without a leadership (one replica)."""
    return leadership is None or leadership.is_leader()
