"""Idempotent, version-ordered acceptance of events, on both databases."""
import pytest
from consumer_models import Base, Inbox, State

from shared.consumer import accept_event
from shared.events import Event, InvalidEvent


@pytest.fixture
def session(tables):
    with tables(Base)() as session:
        yield session


def updated(version, aggregate="p-1"):
    return Event(type="catalog.product_updated", aggregate_id=aggregate, aggregate_version=version, payload={})


def test_new_event_is_accepted_once(session):
    event = updated(1)
    assert accept_event(session, event, Inbox, State) is True
    session.commit()
    assert accept_event(session, event, Inbox, State) is False


def test_stale_and_equal_versions_are_dropped(session):
    assert accept_event(session, updated(3), Inbox, State)
    session.commit()
    assert accept_event(session, updated(2), Inbox, State) is False
    assert accept_event(session, updated(3), Inbox, State) is False
    assert accept_event(session, updated(4), Inbox, State) is True


def test_delete_leaves_a_tombstone_that_a_late_update_cannot_pass(session):
    delete = Event(type="catalog.product_deleted", aggregate_id="p-1", aggregate_version=5, payload={})
    assert accept_event(session, delete, Inbox, State)
    session.commit()
    state = session.get(State, ("product", "p-1"))
    assert state.deleted is True and state.version == 5
    assert accept_event(session, updated(4), Inbox, State) is False
    assert accept_event(session, updated(6), Inbox, State) is False


def test_aggregates_are_independent(session):
    assert accept_event(session, updated(2, "a"), Inbox, State)
    assert accept_event(session, updated(1, "b"), Inbox, State)


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"type": "catalog.product_updated"},
        {"id": "1", "type": "t", "schema_version": 1, "occurred_at": "x", "aggregate_id": "a", "aggregate_version": 0, "payload": {}},
        {"id": "1", "type": "t", "schema_version": 1, "occurred_at": "x", "aggregate_id": "a", "aggregate_version": 1, "payload": []},
        {"id": "1", "type": "nodot", "schema_version": 1, "occurred_at": "x", "aggregate_id": "a", "aggregate_version": 1, "payload": {}},
        {"id": "1", "type": "catalog.product_updated", "schema_version": 99, "occurred_at": "x", "aggregate_id": "a", "aggregate_version": 1, "payload": {}},
    ],
)
def test_malformed_envelopes_are_refused(body):
    with pytest.raises(InvalidEvent):
        Event.from_dict(body)


def test_envelope_round_trip():
    event = updated(7)
    assert Event.from_dict(event.to_dict()) == event
    assert event.schema_version == 1 and event.aggregate_type == "product"
