"""Retention on the promotion database (SQLite and PostgreSQL): 10,000 catalog events go
through the consumer's batch path and outbox rows through the real relay and broker, the
clock moves past the retention, and the prune leaves what ordering still needs."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.promotion import facts
from services.promotion.models import AggregateState, Inbox, Outbox, ProductFact
from shared.events import Event
from shared.outbox import PENDING, PUBLISHED, OutboxRelay, add_events
from shared.retention import EventTablesPruner

from campaign_helpers import catalog_product_event

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PRODUCTS = 2_000  # x 5 versions = 10,000 events
DELETED = 400  # products whose fifth event is a deletion (a tombstone)
BATCH = 500  # events per consumer batch, as the service's batcher hands them over


class Clock:
    """The time the consumer and the relay stamp their rows with, moved by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(T0)
    monkeypatch.setattr("shared.consumer.utcnow", clock)  # inbox processed_at, aggregate_state
    monkeypatch.setattr("shared.outbox.utcnow", clock)  # outbox created_at, published_at
    return clock


def product_event(n: int, version: int) -> Event:
    product_id = f"p-{n}"
    if version == 1:
        return catalog_product_event(product_id, 1, "published", price=1000)
    if version == 5 and n < DELETED:
        return catalog_product_event(product_id, 5, "deleted")
    return catalog_product_event(product_id, version, "updated", price=1000 * version)


def consume(promotion_db, events, now):
    """The events through the consumer's batch step, a batch per transaction; nothing may fail."""
    applied = 0
    for start in range(0, len(events), BATCH):
        with promotion_db() as session:
            results = facts.apply_events(session, events[start:start + BATCH], now)
            session.commit()
        assert not [r for r in results if isinstance(r, Exception)]
        applied += sum(1 for r in results if r)
    return applied


def stage(promotion_db, count):
    events = [Event(type="promotion.pricing_changed", aggregate_id=f"p-{n}", aggregate_version=1, payload={})
              for n in range(count)]
    with promotion_db() as session:
        add_events(session, Outbox, events)
        session.commit()


def publish_all(promotion_db, amqp_uri):
    relay = OutboxRelay(promotion_db, Outbox, amqp_uri)
    try:
        while relay.publish_pending():
            pass
    finally:
        relay.close()


def count(promotion_db, statement):
    with promotion_db() as session:
        return session.scalar(statement)


def test_ten_thousand_events_pruned_past_retention_and_pruned_duplicates_still_refused(
        promotion_db, clock, amqp_uri):
    old = [product_event(n, v) for v in range(1, 5) for n in range(PRODUCTS)]  # 8,000
    recent = [product_event(n, 5) for n in range(PRODUCTS)]  # 2,000
    assert len(old) + len(recent) == 10_000

    # Day 0: the first four versions of every product; 1,000 outbox rows published.
    assert consume(promotion_db, old, clock()) == len(old)
    stage(promotion_db, 1_000)
    publish_all(promotion_db, amqp_uri)
    # Day 5: the fifth versions (400 deletions); 200 more rows published.
    clock.now = T0 + timedelta(days=5)
    assert consume(promotion_db, recent, clock()) == len(recent)
    stage(promotion_db, 200)
    publish_all(promotion_db, amqp_uri)
    # 300 rows staged on day 0 and never published (the broker was away for them): kept forever.
    clock.now = T0
    stage(promotion_db, 300)

    states_before = count(promotion_db, select(func.count()).select_from(AggregateState))
    tombstones = select(func.count()).select_from(AggregateState).where(AggregateState.deleted)
    assert states_before == PRODUCTS and count(promotion_db, tombstones) == DELETED
    assert count(promotion_db, select(func.count()).select_from(Inbox)) == 10_000

    # Day 8: past the 7 days of retention for day 0, not for day 5. Small batches.
    pauses: list[float] = []
    pruner = EventTablesPruner(promotion_db, Outbox, Inbox, timedelta(days=7), batch_size=300, batch_pause=0.25,
                               pause=pauses.append)
    assert pruner.prune(T0 + timedelta(days=8)) == {"outbox": 1_000, "inbox": 8_000}
    # ceil(1000/300) = 4 outbox statements, ceil(8000/300) = 27 inbox ones (the last of each
    # deletes fewer than a batch and ends its table); a pause between two of a table.
    assert pruner.batches == 4 + 27
    assert pauses == [0.25] * (3 + 26)

    with promotion_db() as session:
        outbox = session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
        assert dict(outbox) == {PUBLISHED: 200, PENDING: 300}
        assert session.scalar(select(func.min(Outbox.published_at))) is not None
        kept = set(session.scalars(select(Inbox.event_id)))
        assert kept == {event.id for event in recent}
        # The versions and tombstones are untouched: they refuse what the inbox no longer knows.
        assert session.scalar(select(func.count()).select_from(AggregateState)) == states_before
        assert session.scalar(tombstones) == DELETED

    # Pruned events redelivered: not applied again, and no error. A stale update of a live
    # product, the first publication of one, an update of a deleted product (its tombstone),
    # and an event still in the inbox.
    clock.now = T0 + timedelta(days=8)
    redelivered = [old[PRODUCTS * 2 + 1500], old[1600], old[PRODUCTS * 3 + 10], recent[1700]]
    assert [e.aggregate_id for e in redelivered] == ["p-1500", "p-1600", "p-10", "p-1700"]
    with promotion_db() as session:
        assert facts.apply_events(session, redelivered, clock()) == [False, False, False, False]
        session.commit()
    with promotion_db() as session:
        assert session.get(ProductFact, "p-1500").price == 5000  # its fifth version's
        assert session.get(ProductFact, "p-1500").version == 5
        assert session.get(ProductFact, "p-1600").version == 5
        assert session.get(ProductFact, "p-10") is None  # deleted stays deleted
        assert session.scalar(select(func.count()).select_from(ProductFact)) == PRODUCTS - DELETED

    # Nothing more is old enough: one statement per table, no pause.
    pauses.clear()
    assert pruner.prune(T0 + timedelta(days=8)) == {"outbox": 0, "inbox": 0}
    assert pruner.batches == 2 and pauses == []
    # Past day 5's retention too: every published row goes, the pending ones stay.
    assert pruner.prune(T0 + timedelta(days=13)) == {"outbox": 200, "inbox": 2_000}
    assert dict(count_statuses(promotion_db)) == {PENDING: 300}


def count_statuses(promotion_db):
    with promotion_db() as session:
        return session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
