"""Event consumers that take bursts from the broker in batches and apply them with group
commits (shared/batching.py), on real RabbitMQ and a real database: a poison event in the
middle of a batch of 200 is retried alone and dead-lettered after its attempts while the
other 199 are applied once; a broker connection lost mid-batch loses nothing and applies
nothing twice. Each with classic and with quorum queues."""
import json
import time

import eventlet
import pytest
from broker_helpers import broker_queue, close_connections, queue_depth, wait_for
from consumer_models import Base, Inbox, State
from kombu import Connection, Producer
from nameko.extensions import DependencyProvider
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared import topology
from shared.batching import BatcherProvider, batch_event_consumer
from shared.consumer import ATTEMPTS_HEADER, ERROR_HEADER, VersionedWrite, accept_events
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.events import Event
from shared.topology import Subscription, declare_topology, events_exchange

EVENTS = 200


class AppliedBase(DeclarativeBase):
    pass


class Applied(AppliedBase):
    """One row per event the consumer applied (a second one would be a duplicate)."""

    __tablename__ = "batched_applied"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))


@pytest.fixture
def subscription(monkeypatch, queue_type):
    sub = Subscription("test.batched", ("test.#",), max_attempts=3, retry_delay_ms=200, prefetch=EVENTS)
    monkeypatch.setitem(topology.SUBSCRIPTIONS, "batched", sub)
    return sub


@pytest.fixture
def session_factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/batched.sqlite")
    Base.metadata.create_all(engine)
    AppliedBase.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


class Batches:
    """What the service's batches did: how many events each held; while ``hold`` is set a
    batch waits before it returns (its messages stay unacked: the broker connection is cut
    then)."""

    def __init__(self):
        self.sizes: list[int] = []
        self.hold = False


def make_service(session_factory, batches: Batches):
    def apply_batch(session, events):
        """Events with ``invalid`` in the payload fail alone; ``explode`` raises after the
        batch's writes (the whole batch is then redone event by event)."""
        batches.sizes.append(len(events))
        results, valid = [], []
        for event in events:
            if event.payload.get("invalid"):
                results.append(ValueError("payload does not fit its contract"))
            else:
                results.append(None)
                valid.append(event)
        answers = accept_events(session, [(e, [VersionedWrite("thing", e.aggregate_id, e.aggregate_version)])
                                          for e in valid], Inbox, State)
        for event, answer in zip(valid, answers):
            if answer and answer[0]:
                session.add(Applied(event_id=event.id))
        session.flush()
        if any(event.payload.get("explode") for event in valid):
            raise RuntimeError("boom after the batch's writes")
        while batches.hold:
            eventlet.sleep(0.02)
        return results, None

    class TestDatabase(DependencyProvider):
        def new_unit(self):
            return UnitOfWork(session_factory, [])

    class Batched:
        name = "batched"
        db = TestDatabase()
        batcher = BatcherProvider(apply_batch)

        @batch_event_consumer("batched")
        def handle(self, bodies):
            return self.batcher.apply_bodies(bodies)

    return Batched


def publish_all(amqp_uri, events):
    with Connection(amqp_uri) as connection:
        declare_topology(connection)
        producer = Producer(connection.default_channel, exchange=events_exchange())
        for event in events:
            producer.publish(json.dumps(event.to_dict()).encode(), routing_key="test.thing_happened",
                             content_type="application/json", delivery_mode=2)


def thing(n, **payload):
    return Event(type="test.thing_happened", aggregate_id=f"t{n}", aggregate_version=1, payload=payload)


def applied(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(Applied.event_id)))


@pytest.mark.parametrize("poison", ["invalid", "explode"])
def test_a_poison_event_in_a_batch_of_200_is_dead_lettered_alone(
        poison, subscription, session_factory, rabbit_config, amqp_uri, container_factory):
    events = [thing(n) for n in range(EVENTS)]
    events[EVENTS // 2] = thing("poison", **{poison: True})
    publish_all(amqp_uri, events)  # all waiting before the consumer starts: one big batch
    batches = Batches()
    container = container_factory(make_service(session_factory, batches))
    container.start()

    # Both: the poison can reach the dead-letter queue while the last good batch still commits.
    assert wait_for(lambda: queue_depth(amqp_uri, subscription.dead_queue_name) == 1
                    and len(applied(session_factory)) >= EVENTS - 1, timeout=30)
    good = {event.id for n, event in enumerate(events) if n != EVENTS // 2}
    ids = applied(session_factory)
    assert sorted(ids) == sorted(good)  # each of the 199 applied exactly once, the poison never
    assert max(batches.sizes) == EVENTS // 2  # full batches (half the prefetch), not one by one
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == EVENTS - 1
    with Connection(amqp_uri) as connection:
        message = connection.default_channel.basic_get(subscription.dead_queue_name, no_ack=True)
        assert json.loads(message.body)["id"] == events[EVENTS // 2].id
        assert message.headers[ATTEMPTS_HEADER] == subscription.max_attempts


def test_bodies_that_cannot_be_decoded_are_dead_lettered_at_once(
        subscription, session_factory, rabbit_config, amqp_uri, container_factory):
    """The batch consumer decodes bodies itself (plain JSON): broken JSON, and a content type
    kombu refuses, go straight to the dead-letter queue as with kombu's own decoding; the
    events around them are applied."""
    events = [thing(n) for n in range(10)]
    with Connection(amqp_uri) as connection:
        declare_topology(connection)
        producer = Producer(connection.default_channel, exchange=events_exchange())
        for n, event in enumerate(events):
            producer.publish(json.dumps(event.to_dict()).encode(), routing_key="test.thing_happened",
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2)
            if n == 3:
                producer.publish(b"{not json", routing_key="test.thing_happened", content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=2)
            if n == 6:
                producer.publish(b"\x80\x04K\x01.", routing_key="test.thing_happened",
                                 content_type="application/x-python-serialize", content_encoding="binary",
                                 delivery_mode=2)
    container = container_factory(make_service(session_factory, Batches()))
    container.start()
    assert wait_for(lambda: queue_depth(amqp_uri, subscription.dead_queue_name) == 2, timeout=30)
    assert wait_for(lambda: len(applied(session_factory)) == len(events), timeout=30)
    assert sorted(applied(session_factory)) == sorted(event.id for event in events)
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        dead = [channel.basic_get(subscription.dead_queue_name, no_ack=True) for _ in range(2)]
    bodies = sorted(m.body if isinstance(m.body, bytes) else m.body.encode() for m in dead)
    assert bodies == [b"{not json", b"\x80\x04K\x01."]
    assert all("undecodable body" in message.headers[ERROR_HEADER] for message in dead)


def test_a_broker_connection_lost_mid_batch_loses_nothing_and_applies_nothing_twice(
        queue_type, subscription, session_factory, rabbit_config, amqp_uri, container_factory):
    events = [thing(n) for n in range(EVENTS)]
    publish_all(amqp_uri, events)
    batches = Batches()
    batches.hold = True
    container = container_factory(make_service(session_factory, batches))
    container.start()
    assert wait_for(lambda: batches.sizes, timeout=10)  # the first batch is held, uncommitted
    assert broker_queue(amqp_uri, subscription.queue)["type"] == queue_type
    assert close_connections(amqp_uri) >= 1  # as a broker restart or a network cut would
    assert len(batches.sizes) == 1  # still the first batch, uncommitted
    batches.hold = False  # the held batch commits, but its messages cannot be acked any more
    assert wait_for(lambda: len(applied(session_factory)) >= EVENTS, timeout=60)
    assert wait_for(lambda: queue_depth(amqp_uri, subscription.queue) == 0, timeout=30)
    time.sleep(0.5)  # redeliveries of committed events, if any, are duplicates by now
    ids = applied(session_factory)
    assert sorted(ids) == sorted(event.id for event in events)
    assert sum(batches.sizes) > EVENTS  # some were delivered again, and found in the inbox
    assert queue_depth(amqp_uri, subscription.dead_queue_name) == 0
