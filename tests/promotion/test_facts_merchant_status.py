"""A product of a rejected or suspended merchant is not on sale: it leaves the promotion
facts (and so every campaign and featured slot) and comes back with the next snapshot once
the merchant is verified or reinstated."""

from services.promotion import campaigns, facts
from services.promotion.models import ProductFact
from shared.events import Event

from campaign_helpers import NOW, PROMOTER, at, campaign_data, catalog_product_event


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


def merchant_event(version, status, event="updated"):
    """A ``catalog.merchant_<event>`` of merchant m-1 with ``status``."""
    snapshot = {"id": "m-1", "owner_id": "owner-1", "name": "Mete Muna", "kind": "koperasi", "region": "7402",
                "region_name": "Muna", "whatsapp": "+6281234567890", "description": "",
                "verified": status == "verified", "status": status, "version": version,
                "created_at": "2026-11-26T00:00:00+00:00", "updated_at": "2026-11-26T00:00:00+00:00"}
    return Event(type=f"catalog.merchant_{event}", aggregate_id="m-1", aggregate_version=version, payload=snapshot)


def featured_ids(session, moment):
    return [item["id"] for item in campaigns.featured_products(session, moment, slots=8)["items"]]


def featured_campaign(session, **target):
    campaign = campaigns.create_campaign(session, PROMOTER, campaign_data(
        discount=None, featured=True, target={"regions": ["7402"], **target}), NOW)
    campaigns.advance(session, at(hours=1))
    return campaign


def test_a_rejected_merchants_products_leave_the_facts_and_the_featured_slots(session):
    """What the product page refuses (a rejected or suspended merchant's product) is in no
    featured slot; the merchant's next snapshots bring it back."""
    assert facts.apply_event(session, product_event(1, "verified", True))
    featured_campaign(session)
    assert featured_ids(session, at(hours=2)) == ["p-1"]

    assert facts.apply_event(session, merchant_event(2, "rejected", "rejected"))  # before its products follow
    session.commit()
    assert facts.product_count(session) == 0 and featured_ids(session, at(hours=2)) == []
    assert facts.apply_event(session, product_event(2, "rejected", False))  # the catalog's re-publication
    session.commit()
    assert facts.product_count(session) == 0 and featured_ids(session, at(hours=2)) == []

    assert facts.apply_event(session, merchant_event(3, "verified", "verified"))  # a re-review
    assert facts.apply_event(session, product_event(3, "verified", True))
    session.commit()
    assert featured_ids(session, at(hours=2)) == ["p-1"]


def test_a_merchant_back_to_pending_leaves_verified_only_campaigns(session):
    """Re-verification: a verified merchant that changed its credentials is pending again;
    its products leave the campaigns for verified merchants only until an admin decides."""
    assert facts.apply_event(session, merchant_event(1, "verified", "verified"))
    assert facts.apply_event(session, product_event(1, "verified", True))
    featured_campaign(session, verified_only=True)
    assert featured_ids(session, at(hours=2)) == ["p-1"]

    assert facts.apply_event(session, merchant_event(2, "pending", "credentials_changed"))
    session.commit()
    fact = session.get(ProductFact, "p-1")
    assert fact is not None and fact.merchant_verified is False  # still on sale, not verified
    assert featured_ids(session, at(hours=2)) == []

    assert facts.apply_event(session, merchant_event(3, "verified", "verified"))
    session.commit()
    assert featured_ids(session, at(hours=2)) == ["p-1"]
