"""The event consumer entrypoint on real RabbitMQ: retries, dead letters, replay, poison."""
import json
import time

import pytest
from broker_helpers import queue_depth, wait_for
from kombu import Connection, Producer

from shared import topology
from shared.consumer import ATTEMPTS_HEADER, event_consumer, replay_dead_letters
from shared.events import Event
from shared.topology import Subscription, declare_topology, events_exchange


@pytest.fixture
def fast_subscription(monkeypatch):
    sub = Subscription("test.events", ("test.#",), max_attempts=3, retry_delay_ms=200)
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


def test_a_failing_event_is_retried_until_it_succeeds(fast_subscription, rabbit_config, amqp_uri, container_factory):
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
