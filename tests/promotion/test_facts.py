"""The promotion service keeps its product facts from catalog events, on both databases."""
import pytest
from pydantic import ValidationError

from services.promotion import facts
from services.promotion.campaigns.times import aware
from services.promotion.models import ProductFact
from shared.events import Event, utcnow

from campaign_helpers import catalog_product_event, product_snapshot


def event(kind, version, **snapshot_fields):
    return catalog_product_event("p-1", version, kind, **snapshot_fields)


def test_facts_follow_the_catalog_and_ignore_stale_or_repeated_events(session):
    assert facts.apply_event(session, event("published", 1))
    assert facts.apply_event(session, event("updated", 3, price=20000))
    stale = event("updated", 2, price=1)
    assert not facts.apply_event(session, stale)
    session.commit()
    assert session.get(ProductFact, "p-1").price == 20000
    assert facts.product_count(session) == 1


def test_delete_removes_the_fact_and_a_late_update_does_not_bring_it_back(session):
    facts.apply_event(session, event("published", 1))
    facts.apply_event(session, event("deleted", 3))
    assert not facts.apply_event(session, event("updated", 2))
    session.commit()
    assert facts.product_count(session) == 0


def test_a_payload_that_breaks_the_contract_raises_and_records_nothing(session):
    bad = Event(type="catalog.product_published", aggregate_id="p-1", aggregate_version=1, payload={"id": "p-1"})
    with pytest.raises(ValidationError):
        facts.apply_event(session, bad)
    session.rollback()
    assert facts.apply_event(session, event("published", 1))


def test_an_unpublished_product_leaves_the_facts(session):
    facts.apply_event(session, event("published", 1))
    archived = Event(type="catalog.product_unpublished", aggregate_id="p-1", aggregate_version=2,
                     payload=product_snapshot(version=2, status="archived"))
    assert facts.apply_event(session, archived)
    session.commit()
    assert facts.product_count(session) == 0


def fact_fields(session, product_id="p-1"):
    session.expire_all()
    fact = session.get(ProductFact, product_id)
    return {column.name: getattr(fact, column.name) for column in ProductFact.__table__.c
            if column.name != "updated_at"}


def test_every_column_of_a_fact_is_written_and_then_follows_an_update(session):
    photo = {"id": "ph-1", "urls": {"thumb": "/media/p-1-320.webp"}, "width": 320, "height": 240}
    before = utcnow()
    facts.apply_event(session, event("published", 1, photos=[photo]))
    session.commit()
    assert fact_fields(session) == {
        "id": "p-1", "merchant_id": "m-1", "name": "Kacang Mete Goreng", "price": 15000, "category": "mete-kacang",
        "parent_category": "pertanian-perkebunan", "region": "7402", "merchant_kind": "koperasi",
        "merchant_verified": False, "halal": True, "slug": "kacang-mete-goreng", "merchant_name": "Mete Muna",
        "photo_url": "/media/p-1-320.webp", "version": 1}
    assert aware(session.get(ProductFact, "p-1").updated_at) >= before
    # Every column follows the next version (the upsert's update covers each one).
    changed = product_snapshot("p-1", 2, price=9000, region="7401", name="Mete Sangrai", slug="mete-sangrai",
                               verified=True)
    changed.update(halal=False, category={"slug": "kopi", "name": "Kopi", "parent_slug": "minuman",
                                          "parent_name": "Minuman"})
    changed.update(merchant_id="m-2")
    changed["merchant"].update(id="m-2", name="Mete Raha", kind="umkm")
    facts.apply_event(session, Event(type="catalog.product_updated", aggregate_id="p-1", aggregate_version=2,
                                     payload=changed))
    session.commit()
    assert fact_fields(session) == {
        "id": "p-1", "merchant_id": "m-2", "name": "Mete Sangrai", "price": 9000, "category": "kopi",
        "parent_category": "minuman", "region": "7401", "merchant_kind": "umkm", "merchant_verified": True,
        "halal": False, "slug": "mete-sangrai", "merchant_name": "Mete Raha", "photo_url": None, "version": 2}
