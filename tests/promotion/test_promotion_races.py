"""Catalog events of the same products and search's interaction batches of the same product
and day, delivered to several workers at once (as the promotion consumer's prefetch does),
during an active campaign: nothing fails and has to be retried, on PostgreSQL (really
concurrent) as on SQLite, and the result is what one worker would have made."""
import json
import random
from collections import defaultdict

from race_helpers import burst
from sqlalchemy import select

from services.promotion import campaigns, facts
from services.promotion.interactions import product_interactions
from services.promotion.models import Outbox, ProductFact, ProductPricingState

from campaign_helpers import PROMOTER, add_merchant, at, campaign_data, catalog_product_event, interactions_batch

WORKERS = 8
LAST = 5  # versions 1..LAST of each product; p-1 is then deleted (LAST + 1)


def schedule(seed=0):
    """Rounds of WORKERS deliveries: every catalog event twice, in a shuffled order (the
    first round holds several first versions of one product), and eight interaction batches
    that all count p-2's first interactions of a day (one of them delivered twice)."""
    rng = random.Random(seed)
    catalog = []
    for product_id in ("p-1", "p-2", "p-3"):
        catalog += [catalog_product_event(product_id, 1, "published", price=10_000)]
        catalog += [catalog_product_event(product_id, v, price=10_000 * v) for v in range(2, LAST + 1)]
    catalog.append(catalog_product_event("p-1", LAST + 1, "deleted"))
    deliveries = catalog * 2
    rng.shuffle(deliveries)
    batches = [interactions_batch(("p-2", "2026-12-03", "impression", n), ("p-3", "2026-12-03", "view", 1))
               for n in range(1, WORKERS + 1)]
    rounds = [deliveries[i:i + WORKERS] for i in range(0, len(deliveries), WORKERS)]
    rounds.insert(1, batches[:-1] + [batches[0]])
    rounds.append(batches[-1:])
    return rounds


def test_a_burst_of_events_of_the_same_products_needs_no_retry(promotion_db):
    with promotion_db() as session:
        add_merchant(session)
        # featured only: arriving products join without their owner, and get a pricing
        campaign = campaigns.create_campaign(session, PROMOTER, campaign_data(discount=None, featured=True), at())
        session.commit()
        assert campaigns.advance(session, at(hours=1))["started"] == [campaign["id"]]
        session.commit()
    rounds = schedule()
    assert len({e.aggregate_id for e in rounds[0]}) < len(rounds[0])

    failures = burst(promotion_db, rounds, lambda session, event: facts.apply_event(session, event, at(hours=2)))

    assert failures == []
    with promotion_db() as session:
        assert {f.id: (f.version, f.price) for f in session.scalars(select(ProductFact))} == {
            "p-2": (LAST, 10_000 * LAST), "p-3": (LAST, 10_000 * LAST)}
        impressions = sum(range(1, WORKERS + 1))
        assert product_interactions(session, "p-2") == [
            {"day": "2026-12-03", "impressions": impressions, "views": 0, "contacts": 0}]
        assert product_interactions(session, "p-3")[0]["views"] == WORKERS
        # One pricing sequence per product (no version published twice), ending with the
        # campaign's badge on the last version's price, or the revert of the deleted p-1.
        published = defaultdict(list)
        for (body,) in session.execute(select(Outbox.body).order_by(Outbox.id)):
            event = json.loads(body)
            published[event["aggregate_id"]].append(event)
        for product_id, events in published.items():
            assert [e["aggregate_version"] for e in events] == list(range(1, len(events) + 1)), product_id
        states = {s.product_id: s for s in session.scalars(select(ProductPricingState))}
        for product_id in ("p-2", "p-3"):
            assert (states[product_id].normal_price, states[product_id].campaign_id) == (10_000 * LAST, campaign["id"])
            assert published[product_id][-1]["payload"]["badge"] == "Produk Unggulan"
        assert "p-1" not in states or states["p-1"].campaign_id is None
        assert campaigns.member_ids(session, campaign["id"]) == ["p-2", "p-3"]
