"""Waiting in tests for something another process or green thread does: a condition polled
until a deadline, never a fixed sleep that asserts the machine's speed."""
import time


def wait_for(condition, timeout: float = 10.0, step: float = 0.05):
    """Poll ``condition`` until it is true or ``timeout`` seconds pass; its last value (truthy
    when it came true). ``time.sleep`` is green in the tests (tests/conftest.py)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def advisory_locks_awaited(connectable) -> int:
    """How many PostgreSQL advisory locks some session is waiting for (``pg_locks``), on an
    SQLAlchemy engine or session factory's database."""
    from sqlalchemy import text

    query = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            return int(connection.execute(query).scalar() or 0)
    with connectable() as session:
        return int(session.execute(query).scalar() or 0)
