"""The event consumer entrypoint on real RabbitMQ, with classic and with quorum queues: retries,
dead letters, replay, poison; a message whose consumer lost its connection holding it is
redelivered and handled, and on a quorum queue one that keeps coming back unacked is
dead-lettered by the broker after the subscription's delivery limit."""
import json
import time

import pytest
from broker_helpers import broker_queue, close_connections, queue_depth, wait_for
from eventlet.event import Event as GreenEvent
from kombu import Connection, Producer

from shared import topology
from shared.consumer import ATTEMPTS_HEADER, event_consumer, replay_dead_letters
from shared.events import Event
from shared.topology import Subscription, declare_topology, events_exchange


@pytest.fixture
def fast_subscription(monkeypatch, queue_type):
    sub = Subscription("test.events", ("test.#",), max_attempts=3, retry_delay_ms=200, delivery_limit=2)
    monkeypatch.setitem(topology.SUBSCRIPTIONS, "test", sub)
    return sub


def publish(amqp_uri, body: bytes, routing_key="test.thing_happened", content_type="application/json"):
    with Connection(amqp_uri) as connection:
        declare_topology(connection)
        Producer(connection.default_channel).publish(
            body, exchange=events_exchange(), routing_key=routing_key, content_type=content_type, delivery_mode=2
        )


def event_body(**overrides):
    event = Event(type="test.thing_happened", aggregate_id="a", aggregate_version=1, payload={"fail_times": 0})
    data = event.to_dict()
    data.update(overrides)
    return json.dumps(data).encode()


def make_service(calls):
    class Flaky:
        name = "flaky"

        @event_consumer("test")
        def handle(self, body):
            event = Event.from_dict(body)
            calls.append(event.id)
            if calls.count(event.id) <= event.payload["fail_times"]:
                raise RuntimeError("transient failure")

    return Flaky


def test_a_failing_event_is_retried_until_it_succeeds(
    queue_type, fast_subscription, rabbit_config, amqp_uri, container_factory
):
    calls = []
    container = container_factory(make_service(calls))
    container.start()
    body = json.loads(event_body())
    body["payload"]["fail_times"] = 2
    publish(amqp_uri, json.dumps(body).encode())
    assert wait_for(lambda: len(calls) == 3)
    time.sleep(0.5)
    assert len(calls) == 3
    assert queue_depth(amqp_uri, fast_subscription.dead_queue_name) == 0
    # The retries went through the configured type of queues.
    for name in (fast_subscription.queue, fast_subscription.retry_queue_name, fast_subscription.dead_queue_name):
        assert broker_queue(amqp_uri, name)["type"] == queue_type


def test_an_event_that_keeps_failing_goes_to_the_dead_letter_queue_and_can_be_replayed(
    fast_subscription, rabbit_config, amqp_uri, container_factory
):
    calls = []
    container = container_factory(make_service(calls))
    container.start()
    body = json.loads(event_body())
    body["payload"]["fail_times"] = 3  # exactly max_attempts failures
    publish(amqp_uri, json.dumps(body).encode())
    assert wait_for(lambda: queue_depth(amqp_uri, fast_subscription.dead_queue_name) == 1)
    assert len(calls) == 3

    with Connection(amqp_uri) as connection:
        message = connection.default_channel.basic_get(fast_subscription.dead_queue_name, no_ack=False)
        assert message.headers[ATTEMPTS_HEADER] == 3
        assert "transient failure" in message.headers["x-etalase-error"]
        message.channel.basic_reject(message.delivery_tag, requeue=True)

    # Replayed, it is handled once more (and succeeds: the 4th call is past fail_times).
    assert replay_dead_letters("test", uri=amqp_uri) == 1
    assert wait_for(lambda: len(calls) == 4)
    assert queue_depth(amqp_uri, fast_subscription.dead_queue_name) == 0


@pytest.mark.parametrize(
    "body,content_type",
    [(b"{not json", "application/json"), (b'{"hello": "world"}', "application/json")],
    ids=["undecodable", "not-an-envelope"],
)
def test_poison_goes_straight_to_dead_letters_while_good_events_flow(
    fast_subscription, rabbit_config, amqp_uri, container_factory, body, content_type
):
    calls = []
    container = container_factory(make_service(calls))
    container.start()
    publish(amqp_uri, body, content_type=content_type)
    good = event_body()
    publish(amqp_uri, good)
    assert wait_for(lambda: json.loads(good)["id"] in calls)
    assert wait_for(lambda: queue_depth(amqp_uri, fast_subscription.dead_queue_name) == 1)
    assert queue_depth(amqp_uri, fast_subscription.queue) == 0


def make_holding_service(calls, release):
    """A consumer that holds an event (its message unacked) the first ``hold_times`` times it
    gets it, until ``release`` is sent; then handles it."""
    class Holding:
        name = "holding"

        @event_consumer("test")
        def handle(self, body):
            event = Event.from_dict(body)
            calls.append(event.id)
            if calls.count(event.id) <= event.payload["hold_times"]:
                release.wait()

    return Holding


def holding_event(hold_times):
    return Event(type="test.thing_happened", aggregate_id="a", aggregate_version=1, payload={"hold_times": hold_times})


@pytest.fixture
def release():
    """What held handlers wait for; sent at the end of the test, so the container can stop."""
    event = GreenEvent()
    yield event
    if not event.ready():
        event.send(None)


def test_a_message_whose_consumer_lost_its_connection_holding_it_is_redelivered_and_handled(
    queue_type, fast_subscription, rabbit_config, amqp_uri, container_factory, release
):
    calls = []
    container = container_factory(make_holding_service(calls, release))
    container.start()
    assert broker_queue(amqp_uri, fast_subscription.queue)["type"] == queue_type
    event = holding_event(hold_times=1)
    publish(amqp_uri, json.dumps(event.to_dict()).encode())
    assert wait_for(lambda: calls == [event.id])  # held, unacked
    assert close_connections(amqp_uri) >= 1  # as a broker restart or a network cut would
    assert wait_for(lambda: calls == [event.id, event.id], timeout=20)  # redelivered, handled
    release.send(None)
    container.stop()  # what is still unacked goes back to the queue: nothing may be
    assert queue_depth(amqp_uri, fast_subscription.queue) == 0
    assert queue_depth(amqp_uri, fast_subscription.dead_queue_name) == 0


def hold_until_returned(amqp_uri, calls, event, times):
    """Let the consumer take ``event`` and lose its connection holding it, ``times`` times."""
    for n in range(1, times + 1):
        assert wait_for(lambda: calls.count(event.id) == n, timeout=20), f"delivery {n} of {event.id} never came"
        assert close_connections(amqp_uri) >= 1


@pytest.mark.parametrize("queue_type", ["quorum"], indirect=True)
def test_on_a_quorum_queue_a_message_that_keeps_coming_back_unacked_is_dead_lettered_after_the_limit(
    queue_type, fast_subscription, rabbit_config, amqp_uri, container_factory, release
):
    """What the consumer cannot route itself (its process dies or hangs holding the message,
    so it never acks) is counted by the quorum queue: past ``delivery_limit`` returns, the
    broker moves the message to the dead-letter queue, and the consumer goes on."""
    calls = []
    container = container_factory(make_holding_service(calls, release))
    container.start()
    poison = holding_event(hold_times=1000)
    publish(amqp_uri, json.dumps(poison.to_dict()).encode())
    hold_until_returned(amqp_uri, calls, poison, fast_subscription.delivery_limit + 1)
    assert wait_for(lambda: queue_depth(amqp_uri, fast_subscription.dead_queue_name) == 1, timeout=20)
    assert queue_depth(amqp_uri, fast_subscription.queue) == 0
    good = holding_event(hold_times=0)
    publish(amqp_uri, json.dumps(good.to_dict()).encode())
    assert wait_for(lambda: good.id in calls, timeout=20)  # the consumer reconnected and goes on
    assert calls.count(poison.id) == fast_subscription.delivery_limit + 1
    with Connection(amqp_uri) as connection:
        dead = connection.default_channel.basic_get(fast_subscription.dead_queue_name, no_ack=True)
    assert json.loads(dead.body)["id"] == poison.id
    assert dead.headers["x-death"][0]["reason"] == "delivery_limit"
    assert dead.headers["x-death"][0]["queue"] == fast_subscription.queue


@pytest.mark.parametrize("queue_type", ["classic"], indirect=True)
def test_a_classic_queue_has_no_delivery_limit(
    queue_type, fast_subscription, rabbit_config, amqp_uri, container_factory, release
):
    """The same poison on a classic queue comes back as often as its consumer dies holding it
    (why the production profile uses quorum queues)."""
    calls = []
    container = container_factory(make_holding_service(calls, release))
    container.start()
    poison = holding_event(hold_times=1000)
    publish(amqp_uri, json.dumps(poison.to_dict()).encode())
    hold_until_returned(amqp_uri, calls, poison, fast_subscription.delivery_limit + 1)
    assert wait_for(lambda: calls.count(poison.id) == fast_subscription.delivery_limit + 2, timeout=20)
    assert queue_depth(amqp_uri, fast_subscription.dead_queue_name) == 0
