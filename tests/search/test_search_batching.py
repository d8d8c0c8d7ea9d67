"""Group commit of catalog events (services/search/batching.py) against a real search
database (SQLite and PostgreSQL) and the embedded engine; no broker."""
import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from services.search import batching, indexer
from services.search.batching import EventBatcher, PendingEvent
from services.search.embedded import EmbeddedEngine
from services.search.engine import Change, Removal, SearchQuery, merge_changes
from services.search.models import AggregateState, Inbox
from services.search.service import SearchService
from shared.db import UnitOfWork
from shared.events import Event, InvalidEvent

from search_factories import deleted, indexed, pricing_changed, published, stored, updated


class CountingUnits:
    """``new_unit`` for the batcher that counts commits; ``fail_commits`` makes the next
    commits raise (after rolling back), as a database that refuses the transaction."""

    def __init__(self, session_factory):
        self.session_factory = session_factory
        self.commits = 0
        self.fail_commits = 0

    def __call__(self) -> UnitOfWork:
        units = self

        class Unit(UnitOfWork):
            def commit(self):
                if units.fail_commits:
                    units.fail_commits -= 1
                    raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
                super().commit()
                units.commits += 1

        return Unit(self.session_factory, [])


@pytest.fixture
def units(search_db):
    return CountingUnits(search_db)


@pytest.fixture
def batcher(units, engine):
    return EventBatcher(units, lambda: engine, max_batch=50)


def submit_all(batcher, events) -> list:
    """Apply ``events`` as one delivery from the broker; each one's change, or the
    exception that failed it."""
    return batcher.apply_events(events)


def submit(batcher, event):
    """Apply one event alone; its change, or raise its exception."""
    result = batcher.apply_events([event])[0]
    if isinstance(result, Exception):
        raise result
    return result


def inbox_ids(search_db) -> set[str]:
    with search_db() as session:
        return set(session.scalars(select(Inbox.event_id)))


def poison(product_id: str) -> Event:
    """A published event whose payload does not fit the contract (no name)."""
    event = published(product_id)
    del event.payload["name"]
    return event


def test_a_burst_is_indexed_in_few_commits(search_db, engine, units, batcher):
    events = [published(f"p{n}", name=f"Kopi Nomor {n}") for n in range(120)]
    results = submit_all(batcher, events)
    assert all(isinstance(change, Change) for change in results)
    assert len(indexed(engine)) == 120 and len(stored(search_db)) == 120
    assert units.commits == batcher.batches <= 5  # batches of at most 50, not 120 transactions
    assert engine.search(SearchQuery(q="kopi")).total == 120


def test_a_lone_event_is_committed_at_once(search_db, engine, units, batcher):
    with eventlet.Timeout(5):
        change = submit(batcher, published("p1", name="Madu Hutan"))
    assert [doc["id"] for doc in change.upserts] == ["p1"]
    assert units.commits == 1 and indexed(engine) == {"p1": (1, "Madu Hutan")}


def test_a_poison_event_fails_alone(search_db, engine, units, batcher):
    events = [published(f"p{n}") for n in range(10)]
    events.insert(4, poison("bad"))
    results = submit_all(batcher, events)
    assert isinstance(results[4], ValidationError)
    assert all(isinstance(change, Change) for n, change in enumerate(results) if n != 4)
    assert units.commits == 1  # the others still went in one transaction
    assert set(indexed(engine)) == {f"p{n}" for n in range(10)}
    assert events[4].id not in inbox_ids(search_db)  # not marked processed: it can be retried


def test_a_failing_event_rolls_back_its_own_writes(search_db, engine, units, batcher, monkeypatch):
    """An event that fails after its writes (inbox, aggregate state) leaves nothing behind:
    the batch is redone event by event and only that event fails."""
    real_apply_events = indexer.apply_events

    def failing_after_writes(session, events):
        results = real_apply_events(session, events)
        if any(event.aggregate_id == "p3" for event in events):
            raise RuntimeError("boom after the inbox row")
        return results

    monkeypatch.setattr(batching, "apply_events", failing_after_writes)
    monkeypatch.setattr(indexer, "apply_events", failing_after_writes)  # the one-by-one path
    events = [published(f"p{n}") for n in range(6)]
    results = submit_all(batcher, events)
    assert isinstance(results[3], RuntimeError)
    assert all(isinstance(change, Change) for n, change in enumerate(results) if n != 3)
    assert batcher.fallbacks == 1
    assert set(indexed(engine)) == {"p0", "p1", "p2", "p4", "p5"} == set(stored(search_db))
    assert events[3].id not in inbox_ids(search_db)
    with search_db() as session:
        assert session.get(AggregateState, ("product", "p3")) is None
    monkeypatch.undo()
    assert isinstance(submit(batcher, events[3]), Change)  # the retry applies it
    assert "p3" in indexed(engine)


def test_update_then_delete_in_one_batch_ends_deleted(search_db, engine, units, batcher):
    results = submit_all(batcher, [published("p1", 1, name="Kopi"), updated("p1", 2, name="Kopi Robusta"),
                                   deleted("p1", 3), published("p2", 1, name="Madu")])
    assert all(isinstance(change, Change) for change in results)
    assert units.commits == 1
    assert indexed(engine) == {"p2": (1, "Madu")} and stored(search_db) == {"p2": 1}
    with search_db() as session:
        assert session.get(AggregateState, ("product", "p1")).deleted
    # A late update after the tombstone, in a later batch: nothing comes back.
    assert submit_all(batcher, [updated("p1", 4, name="Kopi Baru")]) == [None]
    assert "p1" not in indexed(engine)


def test_versions_are_ordered_within_a_batch(search_db, engine, units, batcher):
    submit_all(batcher, [published("p1", 1, name="Kopi"), updated("p1", 3, name="Madu"),
                         updated("p1", 2, name="Sarung"), pricing_changed("p1", 2, effective_price=20000),
                         pricing_changed("p1", 1, effective_price=15000)])
    assert units.commits == 1
    assert indexed(engine) == {"p1": (3, "Madu")} and stored(search_db) == {"p1": 3}
    assert engine.index.pricing("p1")["effective_price"] == 20000


def test_a_duplicate_event_is_a_no_op(search_db, engine, units, batcher):
    event = published("p1", name="Kopi")
    first, again = submit_all(batcher, [event, event])  # the same event twice in one batch
    assert isinstance(first, Change) and again is None
    assert submit(batcher, event) is None  # and redelivered later
    assert indexed(engine) == {"p1": (1, "Kopi")}
    with search_db() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 1


def test_a_failed_commit_falls_back_to_one_event_at_a_time(search_db, engine, units, batcher):
    units.fail_commits = 1
    events = [published(f"p{n}") for n in range(8)] + [poison("bad")]
    results = submit_all(batcher, events)
    assert batcher.fallbacks == 1
    assert all(isinstance(change, Change) for change in results[:8])
    assert isinstance(results[8], ValidationError)
    assert units.commits == 8  # the failed batch, then each good event alone
    assert set(indexed(engine)) == {f"p{n}" for n in range(8)} == set(stored(search_db))


class PickyEngine(EmbeddedEngine):
    """Refuses to stage one document, as a store that rejects one product's write."""

    def stage(self, session, change):
        if any(doc["id"] == "culprit" for doc in change.upserts):
            raise OperationalError("INSERT", {}, Exception("value too long"))
        super().stage(session, change)


def test_only_the_culprit_of_a_failed_batch_fails(search_db, units):
    engine = PickyEngine(search_db)
    engine.start()
    batcher = EventBatcher(units, lambda: engine)
    events = [published("p1"), published("culprit"), published("p2")]
    results = submit_all(batcher, events)
    assert batcher.fallbacks == 1
    assert isinstance(results[0], Change) and isinstance(results[2], Change)
    assert isinstance(results[1], OperationalError)
    assert set(indexed(engine)) == {"p1", "p2"} == set(stored(search_db))
    assert inbox_ids(search_db) == {events[0].id, events[2].id}


def test_a_batch_is_one_transaction(search_db, engine):
    """Nothing of a batch is durable before its commit (on SQLite too, where pysqlite opens
    the transaction itself)."""
    class NeverCommits(UnitOfWork):
        def commit(self):
            raise OperationalError("COMMIT", {}, Exception("refused"))

    batcher = EventBatcher(lambda: NeverCommits(search_db, []), lambda: engine)
    batch = [PendingEvent(published(f"p{n}")) for n in range(3)]
    batcher.process(batch)
    assert all(isinstance(item.error, OperationalError) for item in batch)
    assert inbox_ids(search_db) == set() and stored(search_db) == {} and indexed(engine) == {}


def test_merge_changes_keeps_the_last_change_per_id():
    doc = {"id": "p1", "version": 2, "name": "Kopi"}
    merged = merge_changes([
        Change(upserts=[{"id": "p1", "version": 1}, {"id": "p2", "version": 1}]),
        Change(upserts=[doc]),
        Change(removals=[Removal("p2", 2)]),
        Change(upserts=[{"id": "p3", "version": 5}]),
        Change(upserts=[{"id": "p3", "version": 4}]),  # stale: dropped
        Change(pricings=[{"product_id": "p1", "version": 2, "effective_price": 1}]),
        Change(pricings=[{"product_id": "p1", "version": 3, "effective_price": 2}]),
        Change(),
    ])
    assert merged.upserts == [doc, {"id": "p3", "version": 5}]
    assert merged.removals == [Removal("p2", 2)]
    assert merged.pricings == [{"product_id": "p1", "version": 3, "effective_price": 2}]
    # A product removed and then published again in the same batch is indexed.
    again = merge_changes([Change(removals=[Removal("p1", 3)]), Change(upserts=[{"id": "p1", "version": 4}])])
    assert again.upserts == [{"id": "p1", "version": 4}] and again.removals == []


def test_the_service_applies_what_the_broker_sends_in_batches(search_config, container_factory):
    """The real SearchService: one ``handle_events`` worker gets a delivery of 31 message
    bodies, applies the 30 good ones in one commit and names the poison one's error."""
    container = container_factory(SearchService)
    container.start()
    bodies = [published(f"p{n}", name=f"Keripik Pisang {n}").to_dict() for n in range(30)]
    bodies.insert(12, poison("bad").to_dict())
    bodies.append({"not": "an event"})
    with entrypoint_hook(container, "handle_events") as handle_events:
        errors = handle_events(bodies)
    assert len(errors) == 32
    assert isinstance(errors[12], ValidationError) and isinstance(errors[31], InvalidEvent)
    assert [error for n, error in enumerate(errors) if n not in (12, 31)] == [None] * 30
    batcher = next(dep for dep in container.dependencies if dep.attr_name == "batcher").batcher
    assert batcher.batches == 1
    with entrypoint_hook(container, "search") as search:
        assert search(q="keripik pisang")["total"] == 30
