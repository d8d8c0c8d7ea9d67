"""The outbox relay against real RabbitMQ and both databases."""
import json

import pytest
from broker_helpers import broker_queue, queue_depth
from kombu import Connection, Queue
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase

from shared.db import UnitOfWork
from shared.events import Event
from shared.outbox import (
    DEFAULT_POLL_INTERVAL,
    PENDING,
    PUBLISHED,
    REPLICA_POLL_INTERVAL,
    OutboxMixin,
    OutboxRelay,
    OutboxRelayRunner,
    add_event,
    add_events,
    poll_interval_for,
)
from shared.topology import SUBSCRIPTIONS, events_exchange


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


@pytest.fixture
def session_factory(tables):
    return tables(Base)


@pytest.fixture
def listener(amqp_uri):
    """A temporary queue bound to every event, to see what the relay published."""
    with Connection(amqp_uri) as connection:
        queue = Queue("test.listener", exchange=events_exchange(), routing_key="#", durable=False, auto_delete=False)
        queue(connection.default_channel).declare()

        def drain(expected, timeout=5):
            bodies = []
            simple = connection.SimpleQueue(queue)
            try:
                while len(bodies) < expected:
                    message = simple.get(timeout=timeout)
                    bodies.append(json.loads(message.body))
                    message.ack()
            finally:
                simple.close()
            return bodies

        yield drain


def stage(session_factory, count, aggregate="p-1"):
    events = [
        Event(type="catalog.product_updated", aggregate_id=aggregate, aggregate_version=v + 1, payload={"n": v})
        for v in range(count)
    ]
    with session_factory() as session:
        for event in events:
            add_event(session, Outbox, event)
        session.commit()
    return events


def test_relay_publishes_pending_rows_in_order_and_marks_them(session_factory, amqp_uri, listener, queue_type):
    events = stage(session_factory, 5)
    relay = OutboxRelay(session_factory, Outbox, amqp_uri)
    try:
        assert relay.publish_pending() == 5
        assert relay.publish_pending() == 0
    finally:
        relay.close()
    received = listener(5)
    assert [body["id"] for body in received] == [event.id for event in events]
    assert received[0]["type"] == "catalog.product_updated"
    with session_factory() as session:
        statuses = session.scalars(select(Outbox.status)).all()
    assert statuses == [PUBLISHED] * 5
    # The relay declared the subscribers' queues (of the configured type) before publishing:
    # each holds the events, confirmed.
    for sub in SUBSCRIPTIONS.values():
        assert broker_queue(amqp_uri, sub.queue)["type"] == queue_type
        assert queue_depth(amqp_uri, sub.queue) == 5


def test_rows_wait_while_broker_is_unreachable_then_go_out(session_factory, amqp_uri, listener):
    events = stage(session_factory, 3)
    down = OutboxRelay(session_factory, Outbox, "amqp://guest:guest@127.0.0.1:1/")
    with pytest.raises(Exception):
        down.publish_pending()
    with session_factory() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.id)).all()
        assert [row.status for row in rows] == [PENDING] * 3
        assert rows[0].attempts == 1 and rows[0].last_error

    relay = OutboxRelay(session_factory, Outbox, amqp_uri)
    try:
        assert relay.publish_pending() == 3
    finally:
        relay.close()
    assert [body["id"] for body in listener(3)] == [event.id for event in events]


def test_a_failed_transaction_leaves_no_event(session_factory):
    with session_factory() as session:
        add_event(session, Outbox, Event(type="catalog.product_updated", aggregate_id="x", aggregate_version=1, payload={}))
        session.rollback()
    with session_factory() as session:
        assert session.scalars(select(Outbox)).all() == []


def test_add_events_stages_many_rows_like_add_event_in_few_statements(session_factory):
    single = Event(type="catalog.product_updated", aggregate_id="p-0", aggregate_version=1, payload={"n": 0})
    many = [Event(type="promotion.pricing_changed", aggregate_id=f"p-{n}", aggregate_version=2,
                  payload={"product_id": f"p-{n}", "campaign_name": "Festival Tenun Buton", "effective_price": n})
            for n in range(1, 1501)]  # more than one page of a multi-row INSERT
    statements = []
    with session_factory() as session:
        add_event(session, Outbox, single)
        session.flush()
        sqlalchemy_event.listen(session.bind, "before_cursor_execute",
                                lambda *args: statements.append(args[2]))
        add_events(session, Outbox, many)
        add_events(session, Outbox, [])
        session.commit()
    assert 1 <= len(statements) <= 3  # not one per event
    with session_factory() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert [row.event_id for row in rows] == [event.id for event in [single, *many]]  # the relay's order
    for row, event in zip(rows, [single, *many]):
        assert json.loads(row.body) == event.to_dict()
        assert (row.event_type, row.aggregate_id, row.aggregate_version) == (
            event.type, event.aggregate_id, event.aggregate_version)
        assert (row.status, row.attempts, row.last_error, row.published_at) == (PENDING, 0, None, None)
        assert row.created_at is not None


def test_a_batch_larger_than_one_gathered_send_goes_out_whole_and_in_order(
        session_factory, amqp_uri, listener, queue_type):
    # 600 events of about 2 KB: a batch of 500 is several gathered sends, then a batch of 100
    events = [Event(type="catalog.product_updated", aggregate_id=f"p-{n}", aggregate_version=1,
                    payload={"n": n, "text": "tenun ikat Masalili " * 100}) for n in range(600)]
    with session_factory() as session:
        add_events(session, Outbox, events)
        session.commit()
    relay = OutboxRelay(session_factory, Outbox, amqp_uri)
    try:
        assert [relay.publish_pending(), relay.publish_pending(), relay.publish_pending()] == [500, 100, 0]
        transport = relay._connection.connection.transport
        assert "read_frame" not in vars(transport)  # the socket is its own again between batches
    finally:
        relay.close()
    received = listener(600)
    assert [body["id"] for body in received] == [event.id for event in events]
    assert received[-1]["payload"] == events[-1].payload
    assert queue_depth(amqp_uri, SUBSCRIPTIONS["search"].queue) == 600
    with session_factory() as session:
        assert set(session.scalars(select(Outbox.status))) == {PUBLISHED}


def test_the_relay_is_woken_after_a_commit_that_staged_events_and_only_then(session_factory):
    # A consumer batch that staged nothing must not send the relay to read the outbox.
    runner = OutboxRelayRunner("db", Outbox)
    wakes = []
    runner.wake = lambda: wakes.append(1)
    after_commit = [runner.wake_if_staged]
    unit = UnitOfWork(session_factory, after_commit)
    try:
        unit.session.execute(select(Outbox.id))
        unit.commit()
        assert wakes == []
        add_event(unit.session, Outbox, Event(type="catalog.product_updated", aggregate_id="p-1",
                                              aggregate_version=1, payload={}))
        unit.commit()
        assert wakes == [1]
        add_events(unit.session, Outbox, [Event(type="catalog.product_updated", aggregate_id="p-1",
                                                aggregate_version=2, payload={})])
        unit.commit()
        unit.session.execute(select(Outbox.id))
        unit.commit()  # nothing staged since the last wake
        assert wakes == [1, 1]
    finally:
        unit.close()


def test_the_relay_polls_more_often_where_several_replicas_may_write():
    """On PostgreSQL only the leading replica relays, and another replica's commit waits for
    its poll; SQLite runs one writing process."""
    assert poll_interval_for("postgresql+pg8000://etalase@127.0.0.1/catalog") == REPLICA_POLL_INTERVAL
    assert poll_interval_for("postgresql://etalase@127.0.0.1/catalog") == REPLICA_POLL_INTERVAL
    assert poll_interval_for("sqlite:///var/catalog.db") == DEFAULT_POLL_INTERVAL > REPLICA_POLL_INTERVAL
