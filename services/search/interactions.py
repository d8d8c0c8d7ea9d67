"""Impressions, views and WhatsApp contacts of products, counted by the search service and
sent to the promotion service in batches for campaign statistics.

The gateway reports what buyers saw and did through the ``record_interactions`` RPC (a list
of ``{"product_id", "kind"[, "count"]}`` with kind impression | view | contact and count 1 when
absent: the gateway sends its buffered counts in batches). The search service
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

import uuid
from datetime import date, datetime, timezone

from services.search.buffers import BufferFlusher, CountBuffer
from services.search.models import Outbox
from shared.errors import ValidationFailed
from shared.events import INTERACTIONS_RECORDED, Event
from shared.outbox import OutboxRelayRunner, add_event

KINDS = ("impression", "view", "contact")
MAX_ITEMS = 100  # per RPC call: a search page shows at most 50 products
MAX_COUNT = 1_000_000  # one entry's count (the gateway adds up what it buffered)
BATCH_SIZE = 500  # counts per event

InteractionKey = tuple[str, date, str]  # (product id, day, kind)


def parse_interactions(items) -> list[tuple[str, str, int]]:
    """(product id, kind, count) of each entry, or ``ValidationFailed``."""
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise ValidationFailed("Parameter tidak valid.", {"interactions": f"Harus daftar berisi paling banyak {MAX_ITEMS}."})
    parsed = []
    for item in items:
        product_id = item.get("product_id") if isinstance(item, dict) else None
        kind = item.get("kind") if isinstance(item, dict) else None
        count = item.get("count", 1) if isinstance(item, dict) else None
        if not isinstance(product_id, str) or not 1 <= len(product_id) <= 64 or kind not in KINDS:
            raise ValidationFailed("Parameter tidak valid.",
                                   {"interactions": "Setiap entri butuh product_id dan kind (impression, view, contact)."})
        if type(count) is not int or not 1 <= count <= MAX_COUNT:
            raise ValidationFailed("Parameter tidak valid.",
                                   {"interactions": f"count harus bilangan bulat 1 sampai {MAX_COUNT}."})
        parsed.append((product_id, kind, count))
    return parsed


class InteractionBuffer(CountBuffer[InteractionKey, int]):
    """Counts interactions in memory per (product, day, kind)."""

    def combine(self, known: int, value: int) -> int:
        return known + value

    def size(self, value: int) -> int:
        return value

    def add(self, interactions: list[tuple[str, str]] | list[tuple[str, str, int]], when: datetime | None = None) -> None:
        """Count each (product id, kind[, count]) (once when no count is given), on the day of
        ``when`` (now by default)."""
        day = (when or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
        self.add_counts(((item[0], day, item[1]), item[2] if len(item) > 2 else 1) for item in interactions)

    def write(self, session_factory, counts: dict[InteractionKey, int]) -> int:
        """Stage ``counts`` as batch events in the outbox; returns how many events."""
        items = [{"product_id": p, "day": d.isoformat(), "kind": k, "count": c}
                 for (p, d, k), c in sorted(counts.items())]
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
        return events


class InteractionRecorder(BufferFlusher):
    """Gives workers the service's ``InteractionBuffer``; moves it into the outbox every
    ``interval`` seconds, and once more when the service stops (see buffers.py)."""

    thread_name = "search_interactions"
    failure_message = "staging product interactions failed; retrying later"

    def __init__(self, database_attr: str = "db", interval: float = 1.0):
        super().__init__(InteractionBuffer(), database_attr, interval)

    def get_dependency(self, worker_ctx):
        return self.buffer


class PolledOutboxRelay(OutboxRelayRunner):
    """The outbox relay of the search service, polling every second. It is not woken after
    every commit: the consumer commits once per indexed batch (batching.py), and interaction batches are
    staged outside the worker's unit of work anyway."""

    def setup(self):
        self.database()  # fail early on a wrong attribute name; no after-commit hook
