"""catalog.products_imported: one event carries a batch of product snapshots. The batch is
recorded in the inbox once; each snapshot is ordered by its own product version."""
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from services.search.engine import SearchQuery
from services.search.indexer import apply_event
from services.search.models import AggregateState, Inbox
from shared.events import PRODUCTS_IMPORTED, Event

from search_factories import deleted, index_events, indexed, published, snapshot, stored


def batch(import_id: str, number: int, *snapshots: dict) -> Event:
    return Event(type=PRODUCTS_IMPORTED, aggregate_id=import_id, aggregate_version=number,
                 payload={"import_id": import_id, "merchant_id": "m-1", "batch": number, "products": list(snapshots)})


def test_every_product_of_a_batch_becomes_searchable(search_db, engine):
    index_events(search_db, engine, [batch("imp-1", 1, snapshot("p1", name="Kain Tenun Masalili"),
                                           snapshot("p2", name="Kopi Kolaka"), snapshot("p3", name="Madu Hutan"))])
    assert indexed(engine) == {"p1": (1, "Kain Tenun Masalili"), "p2": (1, "Kopi Kolaka"), "p3": (1, "Madu Hutan")}
    assert stored(search_db) == {"p1": 1, "p2": 1, "p3": 1}
    assert [d["id"] for d in engine.search(SearchQuery(q="kopi")).items] == ["p2"]
    with search_db() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 1
        assert session.scalar(select(func.count()).select_from(AggregateState)) == 3


def test_a_duplicate_batch_is_a_no_op(search_db, engine):
    event = batch("imp-1", 1, snapshot("p1", name="Kopi"), snapshot("p2", name="Madu"))
    index_events(search_db, engine, [event])
    engine.index.remove("p1")  # if the duplicate were applied, p1 would come back
    with search_db() as session:
        assert apply_event(session, event) is None
    index_events(search_db, engine, [event])
    assert set(indexed(engine)) == {"p2"}


def test_a_stale_snapshot_inside_a_batch_is_dropped_and_the_rest_applied(search_db, engine):
    index_events(search_db, engine, [published("p1", 3, name="Kopi Baru")])
    index_events(search_db, engine, [batch("imp-1", 1, snapshot("p1", 2, name="Kopi Lama"),
                                           snapshot("p2", 1, name="Madu"))])
    assert indexed(engine) == {"p1": (3, "Kopi Baru"), "p2": (1, "Madu")}
    assert stored(search_db) == {"p1": 3, "p2": 1}


def test_a_batch_after_a_delete_does_not_resurrect(search_db, engine):
    index_events(search_db, engine, [published("p1", 1, name="Kopi"), deleted("p1", 2)])
    index_events(search_db, engine, [batch("imp-1", 1, snapshot("p1", 3, name="Kopi Lagi"),
                                           snapshot("p2", 1, name="Madu"))])
    assert indexed(engine) == {"p2": (1, "Madu")} and stored(search_db) == {"p2": 1}
    with search_db() as session:
        state = session.get(AggregateState, ("product", "p1"))
        assert state.deleted and state.version == 2


def test_a_later_single_event_orders_after_a_batch_snapshot(search_db, engine):
    index_events(search_db, engine, [batch("imp-1", 1, snapshot("p1", 2, name="Kopi Impor"))])
    index_events(search_db, engine, [published("p1", 1, name="Kopi Awal")])  # older: dropped
    assert indexed(engine) == {"p1": (2, "Kopi Impor")}


def test_a_draft_or_archived_snapshot_leaves_the_index(search_db, engine):
    index_events(search_db, engine, [published("p1", 1, name="Kopi"), published("p2", 1, name="Madu")])
    index_events(search_db, engine, [batch("imp-1", 1, snapshot("p1", 2, name="Kopi", status="draft"),
                                           snapshot("p2", 2, name="Madu", status="archived"),
                                           snapshot("p3", 1, name="Gula"))])
    assert indexed(engine) == {"p3": (1, "Gula")} and stored(search_db) == {"p3": 1}


def test_a_batch_that_breaks_the_contract_raises_and_records_nothing(search_db, engine):
    bad = batch("imp-1", 1, {"id": "p1"})
    with search_db() as session:
        with pytest.raises(ValidationError):
            apply_event(session, bad)
        session.rollback()
        mismatched = batch("imp-2", 1, snapshot("p1"))
        mismatched = Event(type=mismatched.type, aggregate_id="lain", aggregate_version=1, payload=mismatched.payload)
        with pytest.raises(ValueError):
            apply_event(session, mismatched)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Inbox)) == 0
