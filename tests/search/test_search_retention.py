"""Search after retention (SQLite and PostgreSQL): catalog and pricing events whose inbox
rows were pruned, redelivered, change nothing: their versions and tombstones refuse them."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.search.indexer import apply_events
from services.search.models import AggregateState, Inbox
from shared.retention import EventTablesPruner

from search_factories import deleted, pricing_changed, published, updated

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def clock(monkeypatch):
    now = {"at": T0}
    monkeypatch.setattr("shared.consumer.utcnow", lambda: now["at"])
    return now


def test_pruned_events_redelivered_to_search_change_nothing(search_db, clock):
    history = [published("p-1"), updated("p-1", 2, name="Kopi Robusta"), published("p-2"), deleted("p-2", 2),
               pricing_changed("p-1", 1), pricing_changed("p-1", 2, normal_price=30000)]
    with search_db() as session:
        changes = apply_events(session, history)
        session.commit()
    assert all(change is not None for change in changes)

    pruner = EventTablesPruner(search_db, inbox_model=Inbox, retention=timedelta(days=7), batch_size=4)
    assert pruner.prune(T0 + timedelta(days=8)) == {"inbox": len(history)}
    assert pruner.batches == 2

    with search_db() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 0
        assert session.scalar(select(func.count()).select_from(AggregateState)) == 3  # p-1, p-2, pricing of p-1
        # Every one again, the inbox no longer knows them: no index change, no error.
        assert apply_events(session, history) == [None] * len(history)
        session.commit()
