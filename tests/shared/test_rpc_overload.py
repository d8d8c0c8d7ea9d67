"""Load shedding in shared/rpc.py: a service whose RPC queue holds ``limit`` waiting requests
is not asked (``Overloaded``, 503 with Retry-After) until the broker counts fewer. The count
itself is read from the real broker; the shedding decision is plain code."""
import uuid

import pytest
from kombu import Connection, Producer

from shared.errors import Overloaded
from shared.rpc import BrokerQueueDepth, DeadlineClient, RpcQueueDepths


class Counts:
    def __init__(self, **depths):
        self.depths = depths
        self.asked: list[str] = []

    def __call__(self, service):
        self.asked.append(service)
        return self.depths.get(service)


def test_a_service_is_counted_from_its_first_call_and_shed_at_the_limit():
    counts = Counts(search=100, catalog=99)
    depths = RpcQueueDepths(counts, limit=100)
    assert not depths.saturated("search")  # never counted yet: asked, not shed
    assert not depths.saturated("catalog")
    depths.refresh()
    assert sorted(counts.asked) == ["catalog", "search"]
    assert depths.saturated("search")
    assert not depths.saturated("catalog")
    counts.depths["search"] = 3
    depths.refresh()
    assert not depths.saturated("search")


def test_an_unknown_count_never_sheds_and_limit_zero_switches_shedding_off():
    depths = RpcQueueDepths(Counts(search=None), limit=1)
    depths.saturated("search")
    depths.refresh()
    assert not depths.saturated("search")
    off = RpcQueueDepths(Counts(search=10_000), limit=0)
    off.saturated("search")
    off.refresh()
    assert not off.saturated("search")


class RecordingClient:
    """nameko's cluster client, recording what would have been sent."""

    def __init__(self):
        self.sent: list[str] = []

    def __getitem__(self, service):
        client = self

        class Method:
            def __getattr__(self, method):
                class Call:
                    def call_async(self, *args, **kwargs):
                        client.sent.append(f"{service}.{method}")

                        class Reply:
                            def result(self):
                                return "answered"
                        return Reply()
                return Call()
        return Method()


def test_a_saturated_service_is_not_asked_and_the_caller_gets_retry_after():
    depths = RpcQueueDepths(Counts(search=500, catalog=0), limit=100)
    client = RecordingClient()
    rpc = DeadlineClient(client, default_timeout=1, depths=depths)
    assert rpc.call("search", "search", q="madu") == "answered"  # before the first count
    assert rpc.call("catalog", "get_product", "p1") == "answered"
    depths.refresh()
    with pytest.raises(Overloaded) as shed:
        rpc.call("search", "search", q="madu")
    assert shed.value.status == 503
    assert shed.value.headers == {"Retry-After": "1"}
    assert shed.value.fields == {"service": "search"}
    assert rpc.call("catalog", "get_product", "p1") == "answered"  # other services still asked
    assert client.sent == ["search.search", "catalog.get_product", "catalog.get_product"]


def test_the_broker_counts_the_waiting_requests_of_a_service(amqp_uri):
    service = f"svc{uuid.uuid4().hex[:8]}"
    read = BrokerQueueDepth(amqp_uri)
    try:
        assert read(service) is None  # no such queue yet
        with Connection(amqp_uri) as connection:
            channel = connection.channel()
            channel.queue_declare(f"rpc-{service}", auto_delete=False, durable=False)
            producer = Producer(channel)
            for _ in range(7):
                producer.publish(b"{}", routing_key=f"rpc-{service}", content_type="application/json",
                                 content_encoding="utf-8")
            assert read(service) == 7  # the same reader works again after the missing queue
            channel.queue_delete(f"rpc-{service}")
    finally:
        read.close()
