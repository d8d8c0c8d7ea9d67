"""Counts kept in memory per key until a background loop sends or writes them: the shape of
the gateway's interaction reports and of search's query analytics and interaction counts.

A ``CountingBuffer`` adds counts up per key, in the order the keys were first seen. Its owner
``take``\\ s everything at once, tries to send or write it, and ``put_back``\\ s what failed:
those counts are older than anything added since, so they go in front. ``pending`` is how
much was added since the last ``take``; an owner compares it to a threshold to flush early.

A buffer may be bounded (``max_keys``): beyond that many keys the oldest are dropped, so that
a destination out of reach for long cannot fill the memory. One lock guards every method, so
that OS threads as well as green threads (it is a green lock once eventlet has patched
``threading``) may add while the loop takes; ``combine`` and ``size`` run under it.
"""
from __future__ import annotations

import logging
import threading
from typing import Generic, Iterable, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


class CountingBuffer(Generic[K, V]):
    """Counts per key, in memory, oldest key first. Subclasses say how two counts of a key add
    up (``combine``) and how much a count weighs in ``pending`` (``size``).

    ``max_keys`` bounds the number of keys (None: unbounded); ``dropped`` is told how many of
    the oldest went. ``put_back_is_pending`` says whether counts put back after a failure
    count in ``pending`` again (then they alone can bring it to an owner's threshold and so
    make it retry early)."""

    def __init__(self, max_keys: int | None = None, put_back_is_pending: bool = True) -> None:
        if max_keys is not None and max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.max_keys = max_keys
        self.put_back_is_pending = put_back_is_pending
        self._lock = threading.Lock()
        self._counts: dict[K, V] = {}
        self.pending = 0  # the sizes added since the last take()

    def combine(self, known: V, value: V) -> V:
        """The count of a key that had ``known`` and gets ``value`` (may update ``known``)."""
        raise NotImplementedError

    def size(self, value: V) -> int:
        raise NotImplementedError

    def dropped(self, count: int) -> None:
        """Called (outside the lock) when a bound made ``count`` of the oldest keys go."""
        log.warning("counting buffer full: dropped the %d oldest keys", count)

    def __len__(self) -> int:
        return len(self._counts)

    def add_counts(self, counts: Iterable[tuple[K, V]]) -> None:
        """Add each (key, count) pair to what is buffered; a new key goes last."""
        pairs = list(counts)  # built before the lock is taken
        with self._lock:
            for key, value in pairs:
                known = self._counts.get(key)
                self._counts[key] = value if known is None else self.combine(known, value)
                self.pending += self.size(value)
            dropped = self._trim()
        if dropped:
            self.dropped(dropped)

    def take(self) -> dict[K, V]:
        """Everything buffered, oldest key first; the buffer is empty after it."""
        with self._lock:
            counts, self._counts, self.pending = self._counts, {}, 0
        return counts

    def put_back(self, counts: dict[K, V]) -> None:
        """Return counts that could not be sent or written, in front of what was added since."""
        with self._lock:
            merged = dict(counts)
            for key, value in self._counts.items():
                known = merged.get(key)
                merged[key] = value if known is None else self.combine(known, value)
            self._counts = merged
            if self.put_back_is_pending:
                self.pending += sum(self.size(value) for value in counts.values())
            dropped = self._trim()
        if dropped:
            self.dropped(dropped)

    def _trim(self) -> int:  # the lock is held
        """Drop the oldest keys beyond ``max_keys``; returns how many."""
        if self.max_keys is None:
            return 0
        excess = len(self._counts) - self.max_keys
        if excess <= 0:
            return 0
        for key in list(self._counts)[:excess]:
            del self._counts[key]
        return excess
