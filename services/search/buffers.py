"""Counts kept in memory and written to the search database by a background loop: the shape
shared by query analytics (analytics.py) and product interactions (interactions.py).

A ``CountBuffer`` adds counts up per key; ``flush`` takes them all and writes them in one
go, and puts them back when the write fails, so the next flush retries them. A
``BufferFlusher`` is the nameko provider that flushes its buffer through the service's
``Database`` every ``interval`` seconds (sooner when woken) and once more when the service
stops; after a kill, what is still in memory is lost (these are statistics).
"""
from __future__ import annotations

import logging
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from shared.background import BackgroundProvider
from shared.counting import CountingBuffer
from shared.db import sibling_dependency

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


class CountBuffer(CountingBuffer[K, V]):
    """Counts per key, in memory (``shared.counting``), unbounded. Subclasses say how two
    counts of a key add up (``combine``), how much a count weighs in ``pending`` (``size``)
    and how a batch of counts is written (``write``). Counts put back after a failed write
    count in ``pending`` again."""

    def write(self, session_factory: sessionmaker[Session], counts: dict[K, V]) -> int:
        """Write ``counts`` to the database; returns how many rows or events it wrote."""
        raise NotImplementedError

    def flush(self, session_factory: sessionmaker[Session]) -> int:
        """Write what is buffered (see ``write``); on failure keep it for the next flush."""
        counts = self.take()
        if not counts:
            return 0
        try:
            return self.write(session_factory, counts)
        except Exception:
            self.put_back(counts)
            raise


class BufferFlusher(BackgroundProvider):
    """Flushes ``buffer`` through the session factory of the ``database_attr`` provider every
    ``interval`` seconds, or at once when woken (``wake``), and once more in ``stop``."""

    failure_message = "flushing a search buffer failed; retrying later"

    def __init__(self, buffer: CountBuffer, database_attr: str = "db", interval: float = 1.0):
        super().__init__()
        self.buffer = buffer
        self.database_attr = database_attr
        self.interval = interval

    def session_factory(self) -> sessionmaker[Session]:
        return sibling_dependency(self.container, self.database_attr).session_factory

    def run(self) -> None:
        while True:
            self.loop.wait(self.interval)
            if not self.loop.running:
                return  # stop() flushes by itself; after a kill the buffer is dropped
            self.flush()

    def flush(self) -> None:
        try:
            self.buffer.flush(self.session_factory())
        except Exception:  # noqa: BLE001 - kept in the buffer for the next flush
            log.exception(self.failure_message)

    def stop(self) -> None:
        super().stop()
        self.flush()
