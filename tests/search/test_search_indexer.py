"""The indexer against a real search database (SQLite and PostgreSQL)."""
import random

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchQuery
from services.search.indexer import apply_event, process_event
from services.search.models import AggregateState, Inbox
from shared.db import UnitOfWork
from shared.events import Event

from search_factories import deleted, index_events, indexed, published, stored, updated


def test_published_product_becomes_searchable(search_db, engine):
    index_events(search_db, engine, [published("p1", name="Kain Tenun Ikat", region="7401")])
    result = engine.search(SearchQuery(q="tenun"))
    assert [item["id"] for item in result.items] == ["p1"]
    assert result.items[0]["region_name"] == "Buton"
    assert stored(search_db) == {"p1": 1}


def test_every_event_delivered_twice_is_applied_once(search_db, engine):
    events = [published("p1", 1, name="Kopi"), updated("p1", 2, name="Kopi Robusta"),
              published("p2", 1, name="Madu"), deleted("p2", 2)]
    index_events(search_db, engine, [e for event in events for e in (event, event)])
    assert indexed(engine) == {"p1": (2, "Kopi Robusta")}
    with search_db() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 4


def test_duplicate_is_a_no_op(search_db, engine):
    event = published("p1", name="Kopi")
    with search_db() as session:
        assert apply_event(session, event)
        session.commit()
        assert apply_event(session, event) is None


def test_late_update_after_delete_does_not_resurrect(search_db, engine):
    index_events(search_db, engine, [published("p1", 1), deleted("p1", 3), updated("p1", 2, name="Kopi Lama")])
    index_events(search_db, engine, [updated("p1", 4, name="Kopi Baru")])  # even a newer one: tombstone
    assert indexed(engine) == {} and stored(search_db) == {}
    with search_db() as session:
        state = session.get(AggregateState, ("product", "p1"))
        assert state.deleted and state.version == 3


def test_stale_update_is_dropped(search_db, engine):
    index_events(search_db, engine, [published("p1", 1, name="Kopi"), updated("p1", 3, name="Madu"),
                                     updated("p1", 2, name="Sarung")])
    assert indexed(engine) == {"p1": (3, "Madu")}


def test_unpublished_product_leaves_the_index_and_can_return(search_db, engine):
    index_events(search_db, engine, [published("p1", 1, name="Kopi"), updated("p1", 2, name="Kopi", status="archived")])
    assert indexed(engine) == {} and stored(search_db) == {}
    index_events(search_db, engine, [updated("p1", 3, name="Kopi Robusta")])
    assert indexed(engine) == {"p1": (3, "Kopi Robusta")}


def test_other_event_types_are_ignored(search_db, engine):
    for event in [
        Event(type="catalog.merchant_updated", aggregate_id="m1", aggregate_version=1, payload={"id": "m1"}),
        Event(type="promotion.campaign_started", aggregate_id="c1", aggregate_version=1, payload={}),
    ]:
        assert process_event(UnitOfWork(search_db, []), engine, event) is None
    with search_db() as session:
        # not recorded: once search uses these events, a replay must still apply them
        assert session.scalar(select(func.count()).select_from(Inbox)) == 0
        assert session.scalar(select(func.count()).select_from(AggregateState)) == 0


@pytest.mark.parametrize("event", [
    Event(type="catalog.product_published", aggregate_id="p1", aggregate_version=1, payload={"id": "p1"}),
    Event(type="catalog.product_deleted", aggregate_id="p1", aggregate_version=2, payload={"name": "x"}),
])
def test_invalid_payload_raises_and_records_nothing(search_db, engine, event):
    with pytest.raises(ValidationError):
        process_event(UnitOfWork(search_db, []), engine, event)
    with search_db() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 0


def test_payload_for_another_product_raises(search_db, engine):
    event = published("p1")
    event = Event(type=event.type, aggregate_id="p2", aggregate_version=1, payload=event.payload)
    with pytest.raises(ValueError):
        process_event(UnitOfWork(search_db, []), engine, event)


def test_rolled_back_change_is_not_shown(search_db, engine):
    # A failed commit must leave memory untouched: memory is updated only after commit.
    uow = UnitOfWork(search_db, [])

    def boom():
        raise RuntimeError("commit failed")

    uow.commit = boom
    with pytest.raises(RuntimeError):
        process_event(uow, engine, published("p1", name="Kopi"))
    uow.rollback()
    uow.close()
    assert engine.count() == 0 and stored(search_db) == {}


def product_history(rnd: random.Random, product_id: str) -> list[Event]:
    """A product's life: published, some updates (some unpublishing), maybe deleted."""
    events = [published(product_id, 1, name=f"Produk {product_id} v1", region=rnd.choice(["7401", "7402", "7471"]))]
    for version in range(2, rnd.randint(2, 7)):
        status = "published" if rnd.random() < 0.8 else "draft"
        events.append(updated(product_id, version, name=f"Produk {product_id} v{version}", status=status))
    if rnd.random() < 0.3:
        events.append(deleted(product_id, len(events) + 1))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_stream_converges_to_the_final_catalog(search_db, engine, seed):
    rnd = random.Random(seed)
    histories = [product_history(rnd, f"p{i:03d}") for i in range(40)]
    stream = [event for history in histories for event in history]
    stream += rnd.sample(stream, len(stream) // 3)  # redeliveries
    rnd.shuffle(stream)
    index_events(search_db, engine, stream)

    expected = {}
    for history in histories:
        last = max(history, key=lambda e: e.aggregate_version)
        if last.type != "catalog.product_deleted" and last.payload["status"] == "published":
            expected[last.aggregate_id] = (last.aggregate_version, last.payload["name"])
    assert indexed(engine) == expected
    assert stored(search_db) == {pid: version for pid, (version, _name) in expected.items()}
    restarted = EmbeddedEngine(search_db)
    restarted.start()
    assert indexed(restarted) == expected
    assert engine.search(SearchQuery(q="produk", per_page=50)).total == len(expected)


def test_the_catalog_unpublished_event_removes_the_product(search_db, engine):
    """An archived product comes as catalog.product_unpublished; it must leave search."""
    archived = updated("p1", 2, name="Kopi", status="archived")
    unpublished = Event(type="catalog.product_unpublished", aggregate_id="p1", aggregate_version=2, payload=archived.payload)
    index_events(search_db, engine, [published("p1", 1, name="Kopi"), unpublished])
    assert indexed(engine) == {} and stored(search_db) == {}
