"""promotion.pricing_changed through the indexer, against a real search database (SQLite and PostgreSQL)."""
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchQuery
from services.search.models import SearchPricing
from shared.events import Event

from search_factories import deleted, index_events, pricing_changed, published, updated


def shown(engine, q="madu"):
    items = engine.search(SearchQuery(q=q)).items
    return [(item["id"], item["effective_price"], item["discount_percent"], item["promoted"], item["badge"])
            for item in items]


DISCOUNT = dict(normal_price=100000, effective_price=80000, discount_percent=20, badge="Diskon 20%")


def test_pricing_applies_to_the_indexed_product(search_db, engine):
    index_events(search_db, engine, [published("p1", name="Madu Hutan", price=100000),
                                     pricing_changed("p1", 1, **DISCOUNT)])
    assert shown(engine) == [("p1", 80000, 20, False, "Diskon 20%")]


def test_pricing_before_the_product_applies_when_it_arrives(search_db, engine):
    index_events(search_db, engine, [pricing_changed("p1", 1, **DISCOUNT)])
    assert engine.count() == 0
    index_events(search_db, engine, [published("p1", name="Madu Hutan", price=100000)])
    assert shown(engine) == [("p1", 80000, 20, False, "Diskon 20%")]


def test_pricing_survives_a_reindex_of_the_product_and_a_restart(search_db, engine):
    index_events(search_db, engine, [published("p1", name="Madu Hutan", price=100000),
                                     pricing_changed("p1", 1, **DISCOUNT),
                                     updated("p1", 2, name="Madu Hutan Asli", price=100000)])
    assert shown(engine) == [("p1", 80000, 20, False, "Diskon 20%")]
    restarted = EmbeddedEngine(search_db)
    restarted.start()
    assert shown(restarted) == [("p1", 80000, 20, False, "Diskon 20%")]
    # unpublished and published again: the pricing still applies
    index_events(search_db, restarted, [updated("p1", 3, name="Madu Hutan Asli", price=100000, status="archived"),
                                        updated("p1", 4, name="Madu Hutan Asli", price=100000)])
    assert shown(restarted) == [("p1", 80000, 20, False, "Diskon 20%")]


def test_pricing_events_are_idempotent_and_ordered(search_db, engine):
    index_events(search_db, engine, [published("p1", name="Madu Hutan", price=100000)])
    newer = pricing_changed("p1", 3, normal_price=100000, effective_price=70000, discount_percent=30)
    older = pricing_changed("p1", 2, **DISCOUNT)
    index_events(search_db, engine, [newer, newer, older])
    assert shown(engine) == [("p1", 70000, 30, False, None)]
    with search_db() as session:
        assert session.execute(select(SearchPricing.product_id, SearchPricing.version)).all() == [("p1", 3)]
    # the end of a campaign: back to the normal price
    index_events(search_db, engine, [pricing_changed("p1", 4, normal_price=100000)])
    assert shown(engine) == [("p1", 100000, 0, False, None)]


def test_expired_pricing_is_the_normal_price(search_db, engine):
    index_events(search_db, engine, [published("p1", name="Madu Hutan", price=100000),
                                     pricing_changed("p1", 1, **DISCOUNT, promoted=True, boost=1.0,
                                                     valid_until="2021-01-01T00:00:00+00:00")])
    assert shown(engine) == [("p1", 100000, 0, False, None)]
    index_events(search_db, engine, [pricing_changed("p1", 2, **DISCOUNT, valid_until="2999-01-01T00:00:00Z")])
    assert shown(engine) == [("p1", 80000, 20, False, "Diskon 20%")]


def test_promoted_pricing_does_not_bring_a_product_into_other_queries(search_db, engine):
    index_events(search_db, engine, [published("p1", name="Madu Hutan"), published("p2", name="Kopi Robusta"),
                                     pricing_changed("p1", 1, promoted=True, boost=1.0, badge="Produk Unggulan")])
    assert shown(engine) == [("p1", 25000, 0, True, "Produk Unggulan")]
    assert [item["id"] for item in engine.search(SearchQuery(q="kopi")).items] == ["p2"]
    index_events(search_db, engine, [deleted("p1", 2)])
    assert engine.search(SearchQuery(q="madu")).total == 0


def test_bad_pricing_payload_raises_and_is_not_recorded(search_db, engine):
    bad = Event(type="promotion.pricing_changed", aggregate_id="p1", aggregate_version=1,
                payload={"product_id": "p1"})
    with pytest.raises(ValidationError):
        index_events(search_db, engine, [bad])
    mismatched = pricing_changed("p1", 1)
    mismatched = Event(type=mismatched.type, aggregate_id="p9", aggregate_version=1, payload=mismatched.payload)
    with pytest.raises(ValueError):
        index_events(search_db, engine, [mismatched])
    with search_db() as session:
        assert session.scalar(select(SearchPricing.product_id)) is None
