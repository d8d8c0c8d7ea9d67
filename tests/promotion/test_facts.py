"""The promotion service keeps its product facts from catalog events, on both databases."""
import pytest
from pydantic import ValidationError

from services.promotion import facts
from services.promotion.models import ProductFact
from shared.events import Event

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
