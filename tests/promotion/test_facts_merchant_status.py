"""A product of a suspended merchant is not on sale: it leaves the promotion facts and
comes back with the next snapshot once the merchant is reinstated."""

from services.promotion import facts
from services.promotion.models import ProductFact

from campaign_helpers import catalog_product_event


def product_event(version, merchant_status, verified):
    kind = "published" if version == 1 else "updated"
    return catalog_product_event("p-1", version, kind, price=85000, verified=verified, merchant_status=merchant_status)


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
