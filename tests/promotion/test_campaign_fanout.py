"""Fan-out of pricing to many products, and campaigns following catalog events, on both
databases: after a start every targeted product has exactly one pricing event with the right
price; after the end every product reverts."""
import time
from collections import Counter

from sqlalchemy import text

from services.promotion import campaigns, facts
from services.promotion.models import CampaignMember, ProductPricingState
from shared.db import analyze_when_outgrown
from shared.events import Event

from campaign_helpers import (
    ADMIN,
    PROMOTER,
    add_merchant,
    add_products,
    at,
    campaign_data,
    catalog_product_event,
    join_all,
    last_outbox_id,
    pricing_events,
    product_snapshot,
)

COUNT = 10_000


def test_ten_thousand_products_start_and_revert(session):
    add_products(session, COUNT, price=100_000)
    add_products(session, 50, prefix="buton", region="7401")  # not targeted
    session.commit()
    campaign = campaigns.create_campaign(session, PROMOTER, campaign_data(discount={"type": "percent", "value": 15}),
                                         at())
    join_all(session, campaign["id"], now=at())  # the owner joins all 10,000 at once
    session.commit()

    started = time.perf_counter()
    assert campaigns.advance(session, at(hours=1))["started"] == [campaign["id"]]
    session.commit()
    start_seconds = time.perf_counter() - started
    events, mark = pricing_events(session)
    per_product = Counter(event["aggregate_id"] for event in events)
    assert len(per_product) == COUNT and set(per_product.values()) == {1}
    assert all(event["payload"]["effective_price"] == 85_000 and event["payload"]["discount_percent"] == 15
               and event["payload"]["campaign_id"] == campaign["id"] and event["aggregate_version"] == 1
               for event in events)

    started = time.perf_counter()
    assert campaigns.advance(session, at(hours=25))["ended"] == [campaign["id"]]
    session.commit()
    end_seconds = time.perf_counter() - started
    events, _ = pricing_events(session, mark)
    per_product = Counter(event["aggregate_id"] for event in events)
    assert len(per_product) == COUNT and set(per_product.values()) == {1}
    assert all(event["payload"]["effective_price"] == 100_000 and event["payload"]["campaign_id"] is None
               and event["payload"]["badge"] is None and event["aggregate_version"] == 2 for event in events)
    # Printed for the record (pytest -s); timings are judged in bench/promotion.py, not here.
    print(f"\n10k fan-out on {session.bind.dialect.name}: start {start_seconds:.2f}s, end {end_seconds:.2f}s")


# A product of a verified merchant, with a photo (the facts keep its thumbnail).
LISTED = {"price": 100_000, "verified": True, "merchant_status": "verified",
          "photos": [{"id": "ph1", "urls": {"thumb": "/media/p/ph1-160.webp", "large": "/media/p/ph1-1280.webp"},
                      "width": 1280, "height": 960}]}


def snapshot(product_id, version, **snapshot_fields):
    return product_snapshot(product_id, version, **(LISTED | snapshot_fields))


def product_event(product_id, version, kind="updated", **snapshot_fields):
    return catalog_product_event(product_id, version, kind, **(LISTED | snapshot_fields))


def merchant_event(version, status):
    return Event(type=f"catalog.merchant_{'suspended' if status == 'suspended' else 'updated'}", aggregate_id="m-1",
                 aggregate_version=version, payload={
                     "id": "m-1", "owner_id": "owner-1", "name": "Mete Muna", "kind": "koperasi", "region": "7402",
                     "region_name": "Muna", "whatsapp": "+6281234567890", "description": "", "verified": True,
                     "version": version, "created_at": "2026-11-26T00:00:00+00:00",
                     "updated_at": "2026-11-26T00:00:00+00:00", "status": status})


def latest(session, mark):
    events, _ = pricing_events(session, mark)
    return {event["aggregate_id"]: event["payload"] for event in events}


def test_a_first_large_start_plans_its_repricing_on_statistics_of_the_new_members(session):
    """On fresh PostgreSQL tables the members' join was planned for a few hundred rows until
    autovacuum came by (~2 s per 500 products at 100,000): the start analyses the table it
    just filled. SQLite plans without statistics of this kind."""
    add_products(session, 1_500, price=100_000)
    session.commit()
    campaign = campaigns.create_campaign(session, PROMOTER, campaign_data(discount={"type": "percent", "value": 15}),
                                         at())
    join_all(session, campaign["id"], now=at())
    session.commit()
    assert campaigns.advance(session, at(hours=1))["started"] == [campaign["id"]]
    session.commit()
    if session.bind.dialect.name == "postgresql":
        estimate = session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'campaign_members'")).scalar()
        assert estimate == 1_500
    members = CampaignMember.__table__
    assert not analyze_when_outgrown(session, members, 999)  # a small insert is left to autovacuum
    assert analyze_when_outgrown(session, members, 1_501) == (session.bind.dialect.name == "postgresql")
    assert not analyze_when_outgrown(session, members, 1_500)  # the estimate covers it now
    session.rollback()


def test_catalog_events_move_products_in_and_out_of_an_active_campaign(session):
    now = at(hours=2)
    for n in range(3):
        facts.apply_event(session, product_event(f"p{n}", 1, "published"), at())
    campaign = campaigns.create_campaign(session, PROMOTER, campaign_data(), at())
    join_all(session, campaign["id"], now=at())
    campaigns.advance(session, at(hours=1))
    assert session.get(ProductPricingState, "p0").effective_price == 80_000

    # a new product that matches is only invited (no price change until its owner joins);
    # one that moves away leaves and reverts; a price change reprices
    mark = last_outbox_id(session)
    facts.apply_event(session, product_event("p3", 1, "published"), now)
    facts.apply_event(session, product_event("p1", 2, region="7401"), now)
    facts.apply_event(session, product_event("p2", 2, price=50_000), now)
    changed = latest(session, mark)
    assert {pid: (p["normal_price"], p["effective_price"], p["campaign_id"]) for pid, p in changed.items()} == {
        "p1": (100_000, 100_000, None), "p2": (50_000, 40_000, campaign["id"])}
    assert campaigns.member_ids(session, campaign["id"]) == ["p0", "p2"]
    mark = last_outbox_id(session)
    campaigns.opt_in(session, ADMIN, campaign["id"], {"product_ids": ["p3"]}, now)  # its owner joins
    assert {pid: p["effective_price"] for pid, p in latest(session, mark).items()} == {"p3": 80_000}
    assert campaigns.member_ids(session, campaign["id"]) == ["p0", "p2", "p3"]

    # an unrelated change (stock) publishes nothing; a product that comes back joins again
    mark = last_outbox_id(session)
    facts.apply_event(session, product_event("p0", 2), now)
    assert latest(session, mark) == {}
    facts.apply_event(session, product_event("p1", 3), now)  # it had joined: it is back in
    assert latest(session, mark)["p1"]["effective_price"] == 80_000

    # deleted and unpublished products leave and revert
    mark = last_outbox_id(session)
    facts.apply_event(session, product_event("p0", 3, "deleted"), now)
    facts.apply_event(session, product_event("p3", 2, "unpublished", status="archived"), now)
    changed = latest(session, mark)
    assert {pid: (p["effective_price"], p["campaign_id"]) for pid, p in changed.items()} == {
        "p0": (100_000, None), "p3": (100_000, None)}
    assert campaigns.member_ids(session, campaign["id"]) == ["p1", "p2"]

    # a suspended merchant: every product leaves at once
    mark = last_outbox_id(session)
    facts.apply_event(session, merchant_event(2, "suspended"), now)
    changed = latest(session, mark)
    assert {pid: p["effective_price"] for pid, p in changed.items()} == {"p1": 100_000, "p2": 50_000}
    assert campaigns.member_ids(session, campaign["id"]) == []
    detail = campaigns.get_campaign(session, PROMOTER, campaign["id"], now)
    assert detail["product_count"] == 0


def test_max_products_holds_when_catalog_products_arrive(session):
    add_merchant(session)
    add_products(session, 2, prefix="a")
    # featured only: products are in without a join, so an arriving one would join but for the maximum
    campaign = campaigns.create_campaign(session, PROMOTER, campaign_data(max_products=2, discount=None, featured=True),
                                         at())
    campaigns.advance(session, at(hours=1))
    facts.apply_event(session, product_event("b0", 1, "published"), at(hours=2))
    assert campaigns.member_ids(session, campaign["id"]) == ["a00000", "a00001"]
    assert "b0" not in campaigns.pricing_for(session, ["b0"], at(hours=2))
    fact = session.get(facts.ProductFact, "b0")
    assert fact.slug == "kacang-mete-goreng" and fact.photo_url == "/media/p/ph1-160.webp"
    assert fact.merchant_name == "Mete Muna"


def test_import_batches_join_in_bulk(session):
    campaign = campaigns.create_campaign(session, PROMOTER, campaign_data(), at())
    featured = campaigns.create_campaign(session, PROMOTER, campaign_data(discount=None, featured=True), at())
    campaigns.advance(session, at(hours=1))
    batch = Event(type="catalog.products_imported", aggregate_id="imp-1", aggregate_version=1, payload={
        "import_id": "imp-1", "merchant_id": "m-1", "batch": 1,
        "products": [snapshot(f"i{n}", 1) for n in range(200)]})
    mark = last_outbox_id(session)
    assert facts.apply_event(session, batch, at(hours=2))
    changed = latest(session, mark)  # the featured-only campaign takes them without a join; the discount waits
    assert len(changed) == 200 and {(p["effective_price"], p["badge"]) for p in changed.values()} == {
        (100_000, "Produk Unggulan")}
    assert len(campaigns.member_ids(session, featured["id"])) == 200
    assert campaigns.member_ids(session, campaign["id"]) == []
    mark = last_outbox_id(session)
    join_all(session, campaign["id"], now=at(hours=2))  # "Ikut semua": one call, one event each
    changed = latest(session, mark)
    assert len(changed) == 200 and {p["effective_price"] for p in changed.values()} == {80_000}
    assert len(campaigns.member_ids(session, campaign["id"])) == 200
