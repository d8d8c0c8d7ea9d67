"""Impressions, views and contacts: counted in memory, staged in batches as
search.interactions_recorded events in the search outbox, on both databases."""
import json
from datetime import datetime, timezone

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import select

from services.search import interactions
from services.search.interactions import InteractionBuffer, InteractionRecorder, parse_interactions
from services.search.models import Outbox
from services.search.service import SearchService
from shared.errors import ValidationFailed
from shared.events import Event

from ops_helpers import ProviderHost, wait_for

NOON = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)


def staged(search_db):
    with search_db() as session:
        return [Event.from_dict(json.loads(body)) for body in session.scalars(select(Outbox.body).order_by(Outbox.id))]


def test_counts_are_staged_as_batch_events(search_db, monkeypatch):
    monkeypatch.setattr(interactions, "BATCH_SIZE", 2)
    buffer = InteractionBuffer()
    buffer.add([("p-1", "impression"), ("p-2", "impression"), ("p-1", "impression")], when=NOON)
    buffer.add([("p-1", "view"), ("p-1", "contact")], when=NOON)
    assert buffer.flush(search_db) == 2 and buffer.flush(search_db) == 0
    events = staged(search_db)
    assert {e.type for e in events} == {"search.interactions_recorded"}
    assert all(e.aggregate_version == 1 and e.payload["batch_id"] == e.aggregate_id for e in events)
    counts = sorted((c["product_id"], c["day"], c["kind"], c["count"]) for e in events for c in e.payload["counts"])
    assert counts == [("p-1", "2025-03-10", "contact", 1), ("p-1", "2025-03-10", "impression", 2),
                      ("p-1", "2025-03-10", "view", 1), ("p-2", "2025-03-10", "impression", 1)]


def test_a_failed_flush_keeps_the_counts():
    buffer = InteractionBuffer()
    buffer.add([("p-1", "view")], when=NOON)

    def broken():
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        buffer.flush(broken)
    assert list(buffer.take().values()) == [1]


@pytest.mark.parametrize("items", ["p-1", [{"product_id": "p-1", "kind": "klik"}], [{"kind": "view"}],
                                   [{"product_id": "p" * 65, "kind": "view"}],
                                   [{"product_id": "p", "kind": "view"}] * 101])
def test_bad_interactions_are_refused(items):
    with pytest.raises(ValidationFailed):
        parse_interactions(items)


def test_service_stages_reported_interactions(search_config, search_db, container_factory):
    container = container_factory(SearchService)
    container.start()
    with entrypoint_hook(container, "record_interactions") as record:
        record([{"product_id": "p-1", "kind": "impression"}, {"product_id": "p-1", "kind": "contact"}])
    container.stop()  # flushes what is buffered
    [event] = staged(search_db)
    assert sorted((c["kind"], c["count"]) for c in event.payload["counts"]) == [("contact", 1), ("impression", 1)]


def test_the_recorder_stages_every_interval_and_a_kill_stops_it(search_db):
    host = ProviderHost(search_db)
    recorder = host.host(InteractionRecorder("db", interval=0.05))
    recorder.start()
    recorder.get_dependency(None).add([("p-1", "view")], when=NOON)
    assert wait_for(lambda: len(staged(search_db)) == 1, timeout=5)
    recorder.kill()
    host.threads[0].wait()  # the loop has ended
