"""RPC through ``shared.rpc_transport`` on a real RabbitMQ (a fresh vhost per test): a caller
with ``DeadlineRpc`` and a service with its ``@rpc``. Requests and replies go unconfirmed and
transient; what confirms gave RPC before (a missing service is a 503 at once) is kept."""
import pytest
from kombu import Connection, Queue
from nameko.testing.services import entrypoint_hook

from shared.errors import NotFound, ServiceTimeout, ServiceUnavailable, UpstreamError
from shared.rpc import DeadlineRpc
from shared.rpc_transport import KnownRoutes, RequestSender, rpc


class Echo:
    name = "echo"

    @rpc(expected_exceptions=NotFound)
    def echo(self, value):
        return value

    @rpc(expected_exceptions=NotFound)
    def missing(self):
        raise NotFound("Tidak ada.")

    @rpc
    def broken(self):
        raise RuntimeError("a bug")

    @rpc
    def unserialisable(self):
        return object()


class Caller:
    name = "caller"
    services = DeadlineRpc(default_timeout=2)

    @rpc
    def call(self, service, method, *args):
        return self.services.call(service, method, *args)

    @rpc
    def cast(self, service, method, *args):
        self.services.cast(service, method, *args)

    @rpc
    def error(self, service, method):
        try:
            self.services.call(service, method)
        except (NotFound, ServiceTimeout, ServiceUnavailable, UpstreamError) as exc:
            return type(exc).__name__


def start(container_factory, *services):
    containers = [container_factory(service) for service in services]
    for container in containers:
        container.start()
    return containers


def test_a_call_is_answered_and_errors_keep_their_types(rabbit_config, container_factory):
    caller, _ = start(container_factory, Caller, Echo)
    with entrypoint_hook(caller, "call") as call:
        assert call("echo", "echo", {"kata": "tenun"}) == {"kata": "tenun"}
        assert call("echo", "echo", [1, 2]) == [1, 2]  # the second request goes unconfirmed
    with entrypoint_hook(caller, "error") as error:
        assert error("echo", "missing") == "NotFound"  # an expected exception crosses typed
        assert error("echo", "broken") == "UpstreamError"  # RemoteError: a bug over there


def test_a_service_nobody_ever_ran_is_unavailable_every_time(rabbit_config, container_factory):
    (caller,) = start(container_factory, Caller)
    with entrypoint_hook(caller, "error") as error:
        assert error("nowhere", "echo") == "ServiceUnavailable"
        assert error("nowhere", "echo") == "ServiceUnavailable"  # not remembered as routable


def test_a_deleted_queue_costs_one_deadline_then_is_unavailable(rabbit_config, container_factory, amqp_uri):
    caller, echo = start(container_factory, Caller, Echo)
    with entrypoint_hook(caller, "call") as call:
        assert call("echo", "echo", 1) == 1  # "echo" is now known routable: unconfirmed requests
    echo.stop()
    with Connection(amqp_uri) as connection:
        connection.default_channel.queue_delete("rpc-echo")
    with entrypoint_hook(caller, "error") as error:
        assert error("echo", "echo") == "ServiceTimeout"  # nobody returned it: the deadline
        assert error("echo", "echo") == "ServiceUnavailable"  # confirmed again after the deadline


def test_requests_are_transient_and_a_cast_leaves_no_pending_reply(rabbit_config, container_factory, amqp_uri):
    caller, echo = start(container_factory, Caller, Echo)
    with entrypoint_hook(caller, "call") as call:
        call("echo", "echo", 0)
    echo.stop()  # its queue stays: the request waits there
    with entrypoint_hook(caller, "cast") as cast:
        cast("echo", "echo", "buffered")
    listener = next(ext for ext in caller.extensions if type(ext).__name__ == "ReplyListener")
    assert listener.pending == {}  # nothing waits for a reply nobody will read
    with Connection(amqp_uri) as connection:
        queue = Queue("rpc-echo", no_declare=True).bind(connection.default_channel)
        message = queue.get(no_ack=True)
    assert message is not None and message.payload["args"] == ["buffered"]
    assert message.properties["delivery_mode"] == 1  # not persisted: a request is worth its deadline


class FakePublisher:
    def __init__(self, unroutable=()):
        self.sent, self.unroutable = [], set(unroutable)

    def publish(self, payload, routing_key, **kwargs):
        from nameko.amqp.publish import UndeliverableMessage

        if routing_key.split(".")[0] in self.unroutable:
            raise UndeliverableMessage()
        self.sent.append((routing_key, kwargs.get("mandatory")))


@pytest.fixture
def sender(rabbit_config, amqp_uri):
    sender = RequestSender(amqp_uri, reply_to="r", serializer="json", routes=KnownRoutes())
    sender.fast, sender.checked = FakePublisher(), FakePublisher(unroutable={"nowhere"})
    return sender


def test_the_first_request_to_a_service_is_confirmed_and_mandatory_the_rest_are_not(sender):
    for _ in range(3):
        sender.publish({}, routing_key="search.search", mandatory=True)
    assert sender.checked.sent == [("search.search", True)]
    assert sender.fast.sent == [("search.search", None), ("search.search", None)]
    sender.routes.forget("search")
    sender.publish({}, routing_key="search.health", mandatory=True)
    assert sender.checked.sent[-1] == ("search.health", True)


def test_a_result_that_cannot_be_serialised_is_an_error_reply_and_the_service_lives_on(
        rabbit_config, container_factory):
    caller, _ = start(container_factory, Caller, Echo)
    with entrypoint_hook(caller, "error") as error:
        assert error("echo", "unserialisable") == "UpstreamError"  # a bug upstream, not a hang
    with entrypoint_hook(caller, "call") as call:
        assert call("echo", "echo", "lagi") == "lagi"
