"""Switching a deployment's event queues between classic and quorum on the live broker
(shared/queue_switch.py): every message kept, in order, with its headers; refused while a
consumer runs; a run that stopped midway finished by the next."""
import json

import amqp
import pytest
from broker_helpers import broker_queue, broker_queue_names, queue_depth, wait_for
from kombu import Connection

from shared import topology
from shared.queue_switch import HOLDING_SUFFIX, SwitchRefused, main, switch_queue_type
from shared.topology import Subscription, declare_topology


@pytest.fixture
def subscriptions(monkeypatch):
    """Two subscriptions while the test runs (retry delays long enough that nothing expires
    back during a test)."""
    subs = {name: Subscription(f"test.{name}", (f"{name}.#",), retry_delay_ms=60_000) for name in ("one", "two")}
    for name in list(topology.SUBSCRIPTIONS):
        monkeypatch.delitem(topology.SUBSCRIPTIONS, name)
    for name, sub in subs.items():
        monkeypatch.setitem(topology.SUBSCRIPTIONS, name, sub)
    return list(subs.values())


def queue_names(subs):
    return [name for sub in subs for name in (sub.queue, sub.retry_queue_name, sub.dead_queue_name)]


def fill(amqp_uri, subs, per_queue=5):
    """Publish ``per_queue`` messages straight into each queue, with a header as the
    consumer's retries leave; what each queue holds, in order."""
    expected = {}
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for name in queue_names(subs):
            expected[name] = []
            for n in range(per_queue):
                body = json.dumps({"queue": name, "n": n})
                channel.basic_publish_confirm(
                    amqp.Message(body, content_type="application/json", delivery_mode=2, message_id=f"{name}-{n}",
                                 application_headers={"x-etalase-attempts": n}),
                    exchange="", routing_key=name)
                expected[name].append(body)
        channel.close()
    return expected


def drain(amqp_uri, name):
    """Every message of queue ``name``, in order: (body, message id, attempts header)."""
    taken = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(name, no_ack=True)) is not None:
            body = message.body.decode() if isinstance(message.body, bytes) else message.body
            taken.append((body, message.properties.get("message_id"), message.headers.get("x-etalase-attempts")))
        channel.close()
    return taken


def assert_kept(amqp_uri, expected):
    for name, bodies in expected.items():
        assert drain(amqp_uri, name) == [(body, f"{name}-{n}", n) for n, body in enumerate(bodies)], name


@pytest.mark.parametrize("source,target", [("classic", "quorum"), ("quorum", "classic")])
def test_every_queue_changes_type_and_keeps_its_messages_in_order(source, target, subscriptions, rabbit_config,
                                                                   amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection, source)
    expected = fill(amqp_uri, subscriptions)
    report = switch_queue_type(amqp_uri, target)
    assert sorted(report.switched) == sorted(queue_names(subscriptions))
    assert report.moved == {name: 5 for name in queue_names(subscriptions)}
    for name in queue_names(subscriptions):
        assert broker_queue(amqp_uri, name)["type"] == target
    assert not [name for name in broker_queue_names(amqp_uri) if name.endswith(HOLDING_SUFFIX)]
    with Connection(amqp_uri) as connection:
        declare_topology(connection, target)  # what the services declare at start: accepted now
    assert_kept(amqp_uri, expected)


def test_the_main_queue_is_bound_again(subscriptions, rabbit_config, amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection, "classic")
    switch_queue_type(amqp_uri, "quorum")
    with Connection(amqp_uri) as connection:
        topology_exchange = topology.events_exchange()(connection.default_channel)
        topology_exchange.publish(topology_exchange.Message(b"{}", delivery_mode=2), routing_key="one.happened")
    # A quorum queue counts a message once its log has it, a moment after the publish.
    assert wait_for(lambda: queue_depth(amqp_uri, subscriptions[0].queue) == 1)
    assert queue_depth(amqp_uri, subscriptions[1].queue) == 0


def test_switching_to_the_type_the_queues_have_changes_nothing(subscriptions, rabbit_config, amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection, "quorum")
    expected = fill(amqp_uri, subscriptions, per_queue=2)
    report = switch_queue_type(amqp_uri, "quorum")
    assert report.switched == [] and report.moved == {}
    assert_kept(amqp_uri, expected)


def test_refused_while_a_consumer_runs(subscriptions, rabbit_config, amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection, "classic")
    expected = fill(amqp_uri, subscriptions, per_queue=1)
    with Connection(amqp_uri) as consumer_connection:
        consumer_channel = consumer_connection.channel()
        consumer_channel.basic_qos(0, 1, False)
        consumer_channel.basic_consume(subscriptions[1].queue, callback=lambda message: None)
        with pytest.raises(SwitchRefused, match=rf"{subscriptions[1].queue} \(1\).*stop the platform"):
            switch_queue_type(amqp_uri, "quorum")
        consumer_channel.close()  # its unacked message goes back
    for name in queue_names(subscriptions):
        assert broker_queue(amqp_uri, name)["type"] == "classic"
    assert_kept(amqp_uri, expected)


def test_a_switch_that_stopped_midway_is_finished_by_the_next_run(subscriptions, rabbit_config, amqp_uri):
    """As if the switch had died after moving the first main queue into its holding queue and
    deleting it: the next run declares it anew and moves its messages back."""
    first = subscriptions[0]
    with Connection(amqp_uri) as connection:
        declare_topology(connection, "classic")
    expected = fill(amqp_uri, subscriptions, per_queue=3)
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        channel.queue_declare(first.queue + HOLDING_SUFFIX, durable=True, auto_delete=False)
        while (message := channel.basic_get(first.queue, no_ack=False)) is not None:
            channel.basic_publish_confirm(amqp.Message(message.body, **message.properties), exchange="",
                                          routing_key=first.queue + HOLDING_SUFFIX)
            channel.basic_ack(message.delivery_tag)
        channel.queue_delete(first.queue)
        channel.close()
    report = switch_queue_type(amqp_uri, "quorum")
    assert first.queue not in report.switched  # it was gone already
    assert report.moved[first.queue] == 3
    for name in queue_names(subscriptions):
        assert broker_queue(amqp_uri, name)["type"] == "quorum"
    assert_kept(amqp_uri, expected)


def test_the_command_switches_to_the_configured_type_and_says_what_it_did(
        monkeypatch, capsys, subscriptions, rabbit_config, amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection, "classic")
    fill(amqp_uri, subscriptions, per_queue=1)
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", "quorum")
    assert main([]) == 0
    out = capsys.readouterr().out
    assert f"{subscriptions[0].queue} is a quorum queue (1 message(s) kept)" in out
    assert main([]) == 0
    assert "already is a quorum queue" in capsys.readouterr().out
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", "quorom")
    assert main([]) == 1
    assert "RABBITMQ_QUEUE_TYPE='quorom'" in capsys.readouterr().err
