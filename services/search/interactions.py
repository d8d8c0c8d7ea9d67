"""Impressions, views and WhatsApp contacts of products, counted by the search service and
sent to the promotion service in batches for campaign statistics.

The gateway reports what buyers saw and did through the ``record_interactions`` RPC (a list
of ``{"product_id", "kind"}`` with kind impression | view | contact). The search service
only adds them up in memory per (product, day, kind); every second a managed green thread
writes the counts as ``search.interactions_recorded`` events into the search database's
outbox (``OutboxRelayRunner`` publishes them). No buyer data: product, day, kind, count.

Event ``search.interactions_recorded`` (schema version 1; aggregate_id = a batch uuid,
aggregate_version = 1; at most ``BATCH_SIZE`` counts per event):

    {"batch_id": "<uuid>",
     "counts": [{"product_id": "p-1", "day": "2025-03-10",
                 "kind": "impression" | "view" | "contact", "count": 12}, ...]}

The promotion service adds them to its daily per-product counters
(``services/promotion/interactions.py``).
"""
from __future__ import annotations

import logging
import threading
import uuid
from datetime import date, datetime, timezone

import eventlet
from nameko.extensions import DependencyProvider

from services.search.models import Outbox
from shared.errors import ValidationFailed
from shared.events import INTERACTIONS_RECORDED, Event
from shared.outbox import OutboxRelayRunner, add_event
from shared.db import sibling_dependency

log = logging.getLogger(__name__)

KINDS = ("impression", "view", "contact")
MAX_ITEMS = 100  # per RPC call: a search page shows at most 50 products
BATCH_SIZE = 500  # counts per event


def parse_interactions(items) -> list[tuple[str, str]]:
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise ValidationFailed("Parameter tidak valid.", {"interactions": f"Harus daftar berisi paling banyak {MAX_ITEMS}."})
    parsed = []
    for item in items:
        product_id = item.get("product_id") if isinstance(item, dict) else None
        kind = item.get("kind") if isinstance(item, dict) else None
        if not isinstance(product_id, str) or not 1 <= len(product_id) <= 64 or kind not in KINDS:
            raise ValidationFailed("Parameter tidak valid.",
                                   {"interactions": "Setiap entri butuh product_id dan kind (impression, view, contact)."})
        parsed.append((product_id, kind))
    return parsed


class InteractionBuffer:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, date, str], int] = {}

    def add(self, interactions: list[tuple[str, str]], when: datetime | None = None) -> None:
        day = (when or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
        with self._lock:
            for product_id, kind in interactions:
                key = (product_id, day, kind)
                self._counts[key] = self._counts.get(key, 0) + 1

    def take(self) -> dict[tuple[str, date, str], int]:
        with self._lock:
            counts, self._counts = self._counts, {}
        return counts

    def put_back(self, counts: dict[tuple[str, date, str], int]) -> None:
        with self._lock:
            for key, value in counts.items():
                self._counts[key] = self._counts.get(key, 0) + value

    def flush(self, session_factory) -> int:
        """Stage the counts as batch events in the outbox; returns how many events."""
        counts = self.take()
        if not counts:
            return 0
        items = [{"product_id": p, "day": d.isoformat(), "kind": k, "count": c}
                 for (p, d, k), c in sorted(counts.items())]
        try:
            with session_factory() as session:
                events = 0
                for start in range(0, len(items), BATCH_SIZE):
                    batch_id = str(uuid.uuid4())
                    add_event(session, Outbox, Event(type=INTERACTIONS_RECORDED, aggregate_id=batch_id,
                                                     aggregate_version=1,
                                                     payload={"batch_id": batch_id,
                                                              "counts": items[start:start + BATCH_SIZE]}))
                    events += 1
                session.commit()
        except Exception:
            self.put_back(counts)
            raise
        return events


class InteractionRecorder(DependencyProvider):
    """Gives workers the service's ``InteractionBuffer``; a managed green thread moves it
    into the outbox every ``interval`` seconds, and once more when the service stops."""

    def __init__(self, database_attr: str = "db", interval: float = 1.0):
        self.database_attr = database_attr
        self.interval = interval
        self.buffer = InteractionBuffer()
        self._running = False

    def _session_factory(self):
        return sibling_dependency(self.container, self.database_attr).session_factory

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier="search_interactions")

    def _run(self):
        while self._running:
            eventlet.sleep(self.interval)
            self.flush()

    def flush(self) -> None:
        try:
            self.buffer.flush(self._session_factory())
        except Exception:  # noqa: BLE001 - kept in the buffer for the next flush
            log.exception("staging product interactions failed; retrying later")

    def stop(self):
        self._running = False
        self.flush()

    def kill(self):
        self._running = False

    def get_dependency(self, worker_ctx):
        return self.buffer


class PolledOutboxRelay(OutboxRelayRunner):
    """The outbox relay of the search service, polling every second. It is not woken after
    every commit: the consumer commits once per indexed batch (batching.py), and interaction batches are
    staged outside the worker's unit of work anyway."""

    def setup(self):
        self._database()  # fail early on a wrong attribute name; no after-commit hook
