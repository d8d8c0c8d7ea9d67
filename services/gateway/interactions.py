"""Interaction reports (impressions, views, WhatsApp contacts) buffered in the gateway and sent
to the search service in batches, instead of one RPC per search or page.

Pages add what they showed to an ``InteractionBuffer`` (counts per product and kind, no buyer
data); an ``InteractionReporter`` casts what is buffered to search's ``record_interactions``
every ``INTERVAL`` seconds (0.5), sooner once ``FLUSH_AT`` counts are waiting, and once more
when the gateway stops normally, so nothing is lost then. Wire format, at most
``MAX_PER_CALL`` entries per cast: ``[{"product_id", "kind"[, "count" when above 1]}]``.

When a cast fails (search never ran here, the broker is out of reach) the counts go back
into the buffer for the next flush. The buffer is bounded: beyond ``MAX_KEYS`` distinct
(product, kind) pairs the oldest are dropped, with a log line saying how many. (A search
service that is merely stopped does not fill it: its queue keeps the casts until it is back.)
After a kill, what is still in memory is lost: these are statistics.
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable

import eventlet

from shared.background import BackgroundProvider
from shared.counting import CountingBuffer
from shared.db import sibling_dependency

log = logging.getLogger(__name__)

KINDS = ("impression", "view", "contact")
INTERVAL = 0.5  # seconds between flushes
MAX_PER_CALL = 100  # entries per cast (search's record_interactions accepts up to 100)
FLUSH_AT = 2000  # counts waiting that wake the reporter before its interval
MAX_KEYS = 50_000  # distinct (product, kind) kept while search cannot be reached
STOP_FLUSH_SECONDS = 5.0  # the last flush on a normal stop gives up after this long

Key = tuple[str, str]  # (product id, kind)


class InteractionBuffer(CountingBuffer[Key, int]):
    """Counts per (product id, kind) in the order first seen, at most ``max_keys`` of them.
    ``pending`` is what pages added since the last take(): counts a failed cast put back do
    not count again, so that while search is out of reach pages do not wake the reporter
    for them at every report."""

    def __init__(self, max_keys: int = MAX_KEYS):
        super().__init__(max_keys=max_keys, put_back_is_pending=False)

    def combine(self, known: int, value: int) -> int:
        return known + value

    def size(self, value: int) -> int:
        return value

    def dropped(self, count: int) -> None:
        log.warning("interaction buffer full (search unreachable?): dropped the %d oldest product counts", count)

    def add(self, product_ids: Iterable[object], kind: str) -> None:
        """Count each product id once (ids that are not non-empty strings up to 64
        characters are skipped; a page passes what its search returned)."""
        self.add_counts(((pid, kind), 1) for pid in product_ids if isinstance(pid, str) and 1 <= len(pid) <= 64)


def as_entries(counts: dict[Key, int]) -> list[dict]:
    return [{"product_id": pid, "kind": kind} if count == 1 else {"product_id": pid, "kind": kind, "count": count}
            for (pid, kind), count in counts.items()]


def send_buffered(buffer: InteractionBuffer, cast: Callable[[list[dict]], None]) -> int:
    """Cast what ``buffer`` holds in chunks of ``MAX_PER_CALL``; returns the entries sent.
    When a cast fails, the chunks not yet sent go back into the buffer and the error is raised."""
    counts = buffer.take()
    keys = list(counts)
    for start in range(0, len(keys), MAX_PER_CALL):
        chunk = {key: counts[key] for key in keys[start:start + MAX_PER_CALL]}
        try:
            cast(as_entries(chunk))
        except BaseException:
            buffer.put_back({key: counts[key] for key in keys[start:]})
            raise
    return len(keys)


class Reports:
    """What a page gets: ``report(product_ids, kind)``, which only buffers."""

    def __init__(self, buffer: InteractionBuffer, wake: Callable[[], None]):
        self._buffer = buffer
        self._wake = wake

    def report(self, product_ids: Iterable[object], kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(kind)
        self._buffer.add(product_ids, kind)
        if self._buffer.pending >= FLUSH_AT:
            self._wake()


class InteractionReporter(BackgroundProvider):
    """Flushes the gateway's ``InteractionBuffer`` to search through the ``rpc_attr``
    provider (a ``shared.rpc.DeadlineRpc``) every ``interval`` seconds (``INTERVAL`` unless
    given), sooner when full, and once more in ``stop``."""

    thread_name = "gateway_interactions"

    def __init__(self, rpc_attr: str = "rpc", interval: float | None = None):
        super().__init__()
        self.rpc_attr = rpc_attr
        self.interval = interval
        self.buffer = InteractionBuffer()

    def setup(self) -> None:
        sibling_dependency(self.container, self.rpc_attr)  # fail early on a wrong name
        if self.interval is None:
            self.interval = INTERVAL  # read at setup, so that a test can lengthen it

    def run(self) -> None:
        while True:
            self.loop.wait(self.interval)
            if not self.loop.running:
                return  # stop() flushes by itself
            self.flush()

    def flush(self) -> None:
        client = sibling_dependency(self.container, self.rpc_attr).client()
        try:
            send_buffered(self.buffer, lambda entries: client.cast("search", "record_interactions", entries))
        except Exception:  # noqa: BLE001 - kept in the buffer for the next flush
            log.warning("could not report interactions to search; %d product counts kept for the next try",
                        len(self.buffer), exc_info=True)

    def stop(self) -> None:
        super().stop()
        with eventlet.Timeout(STOP_FLUSH_SECONDS, False):
            self.flush()

    def get_dependency(self, worker_ctx) -> Reports:
        return Reports(self.buffer, self.wake)
