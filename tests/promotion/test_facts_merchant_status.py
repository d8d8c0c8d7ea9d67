"""A product of a suspended merchant is not on sale: it leaves the promotion facts and
comes back with the next snapshot once the merchant is reinstated."""
import pytest

from services.promotion import facts
from services.promotion.models import ProductFact
from shared.events import Event


def product_event(version, merchant_status, verified):
    payload = {
        "id": "p-1", "merchant_id": "m-1", "name": "Kacang Mete Goreng", "slug": "kacang-mete-goreng",
        "description": "", "price": 85000, "stock": 3, "unit": "bungkus",
        "category": {"slug": "mete-kacang", "name": "Jambu Mete & Kacang",
                     "parent_slug": "pertanian-perkebunan", "parent_name": "Pertanian & Perkebunan"},
        "halal": True, "status": "published", "region": "7402", "region_name": "Muna",
        "merchant": {"id": "m-1", "name": "Mete Muna", "kind": "koperasi", "region": "7402",
                     "verified": verified, "status": merchant_status},
        "version": version, "created_at": "2026-11-26T00:00:00+00:00", "updated_at": "2026-11-26T00:00:00+00:00",
    }
    event_type = "catalog.product_published" if version == 1 else "catalog.product_updated"
    return Event(type=event_type, aggregate_id="p-1", aggregate_version=version, payload=payload)


@pytest.fixture
def session(migrated):
    with migrated("promotion")() as session:
        yield session


def test_suspended_merchant_products_leave_the_facts_and_return(session):
    assert facts.apply_event(session, product_event(1, "pending", False))
    assert session.get(ProductFact, "p-1").merchant_verified is False
    assert facts.apply_event(session, product_event(2, "verified", True))
    assert session.get(ProductFact, "p-1").merchant_verified is True
    assert facts.apply_event(session, product_event(3, "suspended", False))
    session.commit()
    assert facts.product_count(session) == 0
    assert facts.apply_event(session, product_event(4, "verified", True))
    session.commit()
    assert session.get(ProductFact, "p-1").merchant_verified is True
