"""Campaign statistics: batched search.interactions_recorded events become daily
per-product counters in the promotion service, once per batch, on both databases."""
import uuid

import pytest
from pydantic import ValidationError

from services.promotion import facts
from services.promotion.interactions import product_interactions
from services.promotion.models import ProductInteractionDay
from shared.events import Event

from campaign_helpers import interactions_batch


def test_batches_add_up_per_product_and_day(session):
    first = interactions_batch(("p-1", "2025-03-10", "impression", 12), ("p-1", "2025-03-10", "view", 3),
                               ("p-1", "2025-03-10", "impression", 2), ("p-2", "2025-03-10", "contact", 1))
    assert facts.apply_event(session, first)
    second = interactions_batch(("p-1", "2025-03-10", "contact", 1), ("p-1", "2025-03-11", "view", 5))
    assert facts.apply_event(session, second)
    session.commit()
    assert product_interactions(session, "p-1") == [
        {"day": "2025-03-10", "impressions": 14, "views": 3, "contacts": 1},
        {"day": "2025-03-11", "impressions": 0, "views": 5, "contacts": 0}]
    assert product_interactions(session, "p-2") == [{"day": "2025-03-10", "impressions": 0, "views": 0, "contacts": 1}]


def test_a_redelivered_batch_counts_once(session):
    event = interactions_batch(("p-1", "2025-03-10", "impression", 4))
    assert facts.apply_event(session, event)
    session.commit()
    assert not facts.apply_event(session, event)
    session.commit()
    assert product_interactions(session, "p-1")[0]["impressions"] == 4


@pytest.mark.parametrize("counts", [
    [{"product_id": "p-1", "day": "2025-03-10", "kind": "klik", "count": 1}],
    [{"product_id": "p-1", "day": "kemarin", "kind": "view", "count": 1}],
    [{"product_id": "p-1", "day": "2025-03-10", "kind": "view", "count": 0}],
])
def test_a_batch_that_breaks_the_shape_raises_and_records_nothing(session, counts):
    batch_id = str(uuid.uuid4())
    event = Event(type="search.interactions_recorded", aggregate_id=batch_id, aggregate_version=1,
                  payload={"batch_id": batch_id, "counts": counts})
    with pytest.raises(ValidationError):
        facts.apply_event(session, event)
    session.rollback()
    assert session.query(ProductInteractionDay).count() == 0


def test_batch_id_must_match_the_aggregate(session):
    event = interactions_batch(("p-1", "2025-03-10", "view", 1))
    wrong = Event(type=event.type, aggregate_id=str(uuid.uuid4()), aggregate_version=1, payload=event.payload)
    with pytest.raises(ValueError):
        facts.apply_event(session, wrong)
