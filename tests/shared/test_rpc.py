"""``DeadlineClient.cast``: fire-and-forget RPC, checked against a small stand-in for
nameko's cluster client (the gateway tests cover it against real RabbitMQ)."""
import pytest
from nameko.exceptions import UnknownService

from shared.errors import ServiceUnavailable
from shared.rpc import DeadlineClient


class NoReply:
    def result(self):
        raise AssertionError("cast must not wait for a reply")


class FakeClusterClient:
    """``client[service].method.call_async(...)`` as nameko's cluster client offers it;
    publishing to a service nobody listens for raises ``UnknownService``, as nameko does."""

    def __init__(self, listening):
        self.listening = set(listening)
        self.sent = []

    def __getitem__(self, service):
        client = self

        class Service:
            def __getattr__(self, method):
                class Method:
                    def call_async(self, *args, **kwargs):
                        if service not in client.listening:
                            raise UnknownService(service)
                        client.sent.append((service, method, args, kwargs))
                        return NoReply()

                return Method()

        return Service()


def test_cast_sends_and_does_not_wait_for_the_reply():
    cluster = FakeClusterClient(listening=["search"])
    items = [{"product_id": "p1", "kind": "view"}]
    assert DeadlineClient(cluster, default_timeout=1).cast("search", "record_interactions", items) is None
    assert cluster.sent == [("search", "record_interactions", (items,), {})]


def test_cast_to_a_missing_service_is_service_unavailable():
    with pytest.raises(ServiceUnavailable) as info:
        DeadlineClient(FakeClusterClient(listening=[]), default_timeout=1).cast("search", "record_interactions", [])
    assert info.value.fields == {"service": "search"}
