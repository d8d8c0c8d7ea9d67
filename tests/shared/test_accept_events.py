"""Set-based acceptance of a batch of events (``accept_events``), on both databases: the
answers are those of accepting the events one after another, and another transaction's move
of the same aggregate is detected, not overwritten."""
import random

import pytest
from consumer_models import Base, Inbox, State
from sqlalchemy import select

from shared import consumer
from shared.consumer import ConcurrentVersionChange, VersionedWrite, accept_event, accept_events
from shared.events import Event


@pytest.fixture
def session_factory(tables):
    return tables(Base)


def product_event(aggregate, version, kind="updated"):
    return Event(type=f"catalog.product_{kind}", aggregate_id=aggregate, aggregate_version=version, payload={})


def single(event):
    """An event with the one write of its own aggregate (what ``accept_event`` decides)."""
    write = VersionedWrite(event.aggregate_type, event.aggregate_id, event.aggregate_version, event.is_delete)
    return event, [write]


def states(session):
    return {(row.aggregate_type, row.aggregate_id): (row.version, row.deleted) for row in session.scalars(select(State))}


def test_a_batch_answers_as_one_event_after_another(session_factory):
    """A random stream of updates, deletes and redeliveries over a few products, cut into
    batches: the same answers and the same final state as accept_event one by one."""
    rng = random.Random(7)
    stream = []
    for _ in range(300):
        if stream and rng.random() < 0.15:
            stream.append(rng.choice(stream))  # a redelivery
        else:
            kind = "deleted" if rng.random() < 0.05 else "updated"
            stream.append(product_event(rng.choice("abcdef"), rng.randint(1, 40), kind))
    with session_factory() as session:
        one_by_one = [accept_event(session, event, Inbox, State) for event in stream]
        expected_state = states(session)
        session.rollback()
    with session_factory() as session:
        answers = []
        for start in range(0, len(stream), 37):
            answers += accept_events(session, [single(e) for e in stream[start:start + 37]], Inbox, State)
            session.commit()
        assert [bool(a and a[0]) for a in answers] == one_by_one
        assert states(session) == expected_state
    assert any(one_by_one) and not all(one_by_one)  # the stream has both kinds of answer


def test_duplicates_stale_versions_and_tombstones_inside_one_batch(session_factory):
    first = product_event("p1", 1)
    batch = [first, first, product_event("p1", 3), product_event("p1", 2), product_event("p2", 5, "deleted"),
             product_event("p2", 6), product_event("p3", 1)]
    with session_factory() as session:
        answers = accept_events(session, [single(e) for e in batch], Inbox, State)
        session.commit()
        assert answers == [[True], None, [True], [False], [True], [False], [True]]
        assert states(session) == {("product", "p1"): (3, False), ("product", "p2"): (5, True),
                                   ("product", "p3"): (1, False)}
        # Redelivered in a later batch: every one is a duplicate now.
        assert accept_events(session, [single(e) for e in batch], Inbox, State) == [None] * len(batch)


def test_one_event_with_writes_of_several_aggregates(session_factory):
    """An import batch: one inbox row, each product ordered by its own version."""
    with session_factory() as session:
        accept_events(session, [single(product_event("p1", 4))], Inbox, State)
        session.commit()
        imported = Event(type="catalog.products_imported", aggregate_id="imp-1", aggregate_version=1, payload={})
        writes = [VersionedWrite("product", "p1", 2), VersionedWrite("product", "p2", 1), VersionedWrite("product", "p1", 5)]
        assert accept_events(session, [(imported, writes)], Inbox, State) == [[False, True, True]]
        session.commit()
        assert states(session)[("product", "p1")] == (5, False)


def someone_else_writes_after_the_read(session, monkeypatch, version):
    """Between this batch's read and write of the versions, another writer moves ``p1`` to
    ``version`` (simulated in the same transaction)."""
    real_known_versions = consumer.known_versions

    def read_then_someone_else_writes(*args):
        found = real_known_versions(*args)
        session.execute(State.__table__.update().values(version=version).where(State.aggregate_id == "p1"))
        return found

    monkeypatch.setattr(consumer, "known_versions", read_then_someone_else_writes)


def test_a_lone_write_overtaken_by_another_writer_is_refused(session_factory, monkeypatch):
    """As ``accept_version`` would say: the other writer's version is newer."""
    with session_factory() as session:
        accept_events(session, [single(product_event("p1", 1))], Inbox, State)
        session.commit()
        someone_else_writes_after_the_read(session, monkeypatch, 9)
        answers = accept_events(session, [single(product_event("p1", 2)), single(product_event("p2", 1))], Inbox, State)
        assert answers == [[False], [True]]
        assert states(session)[("product", "p1")] == (9, False)


def test_several_writes_overtaken_by_another_writer_redo_the_batch(session_factory, monkeypatch):
    """The batch walked p1 through two versions from a state that was not the real one."""
    with session_factory() as session:
        accept_events(session, [single(product_event("p1", 1))], Inbox, State)
        session.commit()
        someone_else_writes_after_the_read(session, monkeypatch, 9)
        with pytest.raises(ConcurrentVersionChange):
            accept_events(session, [single(product_event("p1", 2)), single(product_event("p1", 3))], Inbox, State)
        session.rollback()
        assert states(session)[("product", "p1")] == (1, False)


def test_large_batches_are_split_into_bounded_statements(session_factory):
    events = [product_event(f"p{n}", 1) for n in range(1000)]
    with session_factory() as session:
        answers = accept_events(session, [single(e) for e in events], Inbox, State)
        session.commit()
        assert answers == [[True]] * 1000
        assert len(states(session)) == 1000
