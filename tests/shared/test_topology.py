"""The event topology's queue type (RABBITMQ_QUEUE_TYPE): the setting, the declarations each
type makes on the live broker (read back through the management API), what a service says
when the broker holds queues of the other type, and a quorum queue's delivery limit."""
import json
import time

import pytest
from broker_helpers import broker_queue, queue_depth, wait_for
from kombu import Connection, Producer

from shared import topology
from shared.consumer import event_consumer
from shared.settings import InvalidSetting, rabbitmq_queue_type
from shared.topology import (
    DEAD_QUEUE_DELIVERY_LIMIT,
    QueueTypeMismatch,
    Subscription,
    declare_topology,
    events_exchange,
)


@pytest.fixture
def subscription(monkeypatch):
    """The only subscription while the test runs."""
    sub = Subscription("test.topology", ("test.#",), max_attempts=3, retry_delay_ms=300, delivery_limit=2)
    for name in list(topology.SUBSCRIPTIONS):  # the one dict every module imported
        monkeypatch.delitem(topology.SUBSCRIPTIONS, name)
    monkeypatch.setitem(topology.SUBSCRIPTIONS, "test", sub)
    return sub


def test_the_queue_type_is_classic_unless_configured(monkeypatch):
    monkeypatch.delenv("RABBITMQ_QUEUE_TYPE", raising=False)
    assert rabbitmq_queue_type({}) == "classic"
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", "quorum")
    assert rabbitmq_queue_type({}) == "quorum"
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", " Quorum ")
    assert rabbitmq_queue_type({}) == "quorum"
    # deploy/nameko.yaml reads the variable into the config, which is looked at first
    assert rabbitmq_queue_type({"RABBITMQ_QUEUE_TYPE": "classic"}) == "classic"


@pytest.mark.parametrize("value", ["quorom", "stream", "mirrored", "1"])
def test_an_unknown_queue_type_is_refused_naming_the_variable_and_the_choices(monkeypatch, value):
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", value)
    with pytest.raises(InvalidSetting) as refused:
        rabbitmq_queue_type({})
    message = str(refused.value)
    assert f"RABBITMQ_QUEUE_TYPE={value!r}" in message
    assert "classic" in message and "quorum" in message


def consuming_service() -> type:
    """A service with one event consumer of the "test" subscription (registered by the
    ``subscription`` fixture, so the class is made inside the test)."""
    class Consuming:
        name = "consuming"

        @event_consumer("test")
        def handle(self, body):
            pass

    return Consuming


def test_a_service_with_an_unknown_queue_type_does_not_start(monkeypatch, subscription, rabbit_config, amqp_uri,
                                                            container_factory):
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", "quorom")

    container = container_factory(consuming_service())
    with pytest.raises(InvalidSetting, match="RABBITMQ_QUEUE_TYPE='quorom'"):
        container.start()
    assert broker_queue(amqp_uri, subscription.queue) == {}  # nothing was declared


def assert_durable_shared_queue(record, queue_type):
    assert record["type"] == queue_type
    assert record["durable"] is True
    assert record["exclusive"] is False
    assert record["auto_delete"] is False


def test_classic_queues_are_declared_as_they_always_were(subscription, rabbit_config, amqp_uri):
    """An existing single-node deployment (classic, the default) meets the very declarations
    it made before queue types were configurable: no PRECONDITION_FAILED on upgrade."""
    with Connection(amqp_uri) as connection:
        declare_topology(connection, "classic")
    main, retry, dead = (broker_queue(amqp_uri, name) for name in
                         (subscription.queue, subscription.retry_queue_name, subscription.dead_queue_name))
    for record in (main, retry, dead):
        assert_durable_shared_queue(record, "classic")
    assert main["arguments"] == {}
    assert retry["arguments"] == {"x-message-ttl": 300, "x-dead-letter-exchange": "",
                                  "x-dead-letter-routing-key": subscription.queue}
    assert dead["arguments"] == {}


def test_quorum_queues_are_durable_shared_and_dead_letter_at_least_once(subscription, rabbit_config, amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection, "quorum")
    main, retry, dead = (broker_queue(amqp_uri, name) for name in
                         (subscription.queue, subscription.retry_queue_name, subscription.dead_queue_name))
    for record in (main, retry, dead):
        assert_durable_shared_queue(record, "quorum")
    at_least_once = {"x-dead-letter-exchange": "", "x-dead-letter-strategy": "at-least-once",
                     "x-overflow": "reject-publish"}
    assert main["arguments"] == {"x-queue-type": "quorum", "x-delivery-limit": 2,
                                 "x-dead-letter-routing-key": subscription.dead_queue_name, **at_least_once}
    assert retry["arguments"] == {"x-queue-type": "quorum", "x-message-ttl": 300,
                                  "x-dead-letter-routing-key": subscription.queue, **at_least_once}
    # No dead-letter exchange, and a limit no admin's peek reaches (RabbitMQ 4 would set 20).
    assert dead["arguments"] == {"x-queue-type": "quorum", "x-delivery-limit": DEAD_QUEUE_DELIVERY_LIMIT}
    # and bound like a classic one
    with Connection(amqp_uri) as connection:
        Producer(connection.default_channel).publish(b"{}", exchange=events_exchange(), routing_key="test.bound",
                                                     delivery_mode=2, retry=True)
    assert wait_for(lambda: queue_depth(amqp_uri, subscription.queue) == 1)


def test_the_configured_type_is_the_default(monkeypatch, subscription, rabbit_config, amqp_uri):
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", "quorum")
    with Connection(amqp_uri) as connection:
        declare_topology(connection)
    assert broker_queue(amqp_uri, subscription.queue)["type"] == "quorum"


@pytest.mark.parametrize("existing,configured", [("classic", "quorum"), ("quorum", "classic")])
def test_queues_of_the_other_type_are_reported_with_what_to_do(
        existing, configured, subscription, rabbit_config, amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection, existing)
    with Connection(amqp_uri) as connection:
        with pytest.raises(QueueTypeMismatch) as mismatch:
            declare_topology(connection, configured)
    message = str(mismatch.value)
    assert mismatch.value.queue == subscription.queue
    assert f"queue {subscription.queue!r}" in message
    assert f"RABBITMQ_QUEUE_TYPE={configured}" in message
    assert "PRECONDITION_FAILED" not in message and "inequivalent arg" in message  # the broker's reason
    assert f"etalase switch-queues {configured}" in message
    assert "docs/decisions/queue-types.md" in message
    assert broker_queue(amqp_uri, subscription.queue)["type"] == existing  # untouched


def test_a_consumer_meeting_queues_of_the_other_type_does_not_start(
        monkeypatch, subscription, rabbit_config, amqp_uri, container_factory):
    with Connection(amqp_uri) as connection:
        declare_topology(connection, "classic")
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", "quorum")

    container = container_factory(consuming_service())
    with pytest.raises(QueueTypeMismatch, match="etalase switch-queues quorum"):
        container.start()


def take_and_return(amqp_uri, queue):
    """Take the first message of ``queue`` and close the channel without an ack, as a
    consumer that dies holding it; the message taken (None if the queue was empty)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        message = None
        deadline = time.monotonic() + 5
        while message is None and time.monotonic() < deadline:
            message = channel.basic_get(queue, no_ack=False)
            if message is None:
                time.sleep(0.05)
        channel.close()
    return message


def test_on_a_quorum_queue_a_returned_message_comes_back_counted_until_the_limit(
        subscription, rabbit_config, amqp_uri):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        declare_topology(connection, "quorum")
        producer = Producer(connection.default_channel, exchange=events_exchange())
        for n in range(2):
            producer.publish(json.dumps({"n": n}).encode(), routing_key="test.thing", delivery_mode=2,
                             content_type="application/json")
    first = take_and_return(amqp_uri, subscription.queue)
    assert json.loads(first.body) == {"n": 0} and not first.delivery_info["redelivered"]
    # Returned, not lost: first again (in order), redelivered and counted.
    for returns in range(1, subscription.delivery_limit + 1):
        again = take_and_return(amqp_uri, subscription.queue)
        assert json.loads(again.body) == {"n": 0}
        assert again.delivery_info["redelivered"]
        assert again.headers["x-delivery-count"] == returns
    # Returned once more than the limit: the broker dead-letters it; the next one is untouched.
    assert wait_for(lambda: queue_depth(amqp_uri, subscription.dead_queue_name) == 1)
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        dead = channel.basic_get(subscription.dead_queue_name, no_ack=True)
        following = channel.basic_get(subscription.queue, no_ack=True)
    assert json.loads(dead.body) == {"n": 0}
    assert dead.headers["x-death"][0]["reason"] == "delivery_limit"
    assert json.loads(following.body) == {"n": 1}
    assert (following.headers or {}).get("x-delivery-count", 0) == 0
