"""RPC through ``shared.rpc_transport`` on a real RabbitMQ (a fresh vhost per test): a caller
with ``DeadlineRpc`` and a service with its ``@rpc``. Requests and replies go unconfirmed and
transient; what confirms gave RPC before (a missing service is a 503 at once) is kept."""
import json
import socket
from datetime import datetime, timezone

import eventlet
import pytest
from kombu import Connection, Queue
from nameko.exceptions import IncorrectSignature
from nameko.testing.services import entrypoint_hook

from shared.errors import NotFound, ServiceTimeout, ServiceUnavailable, UpstreamError
from shared.rpc import DeadlineRpc
from shared.rpc_transport import KnownRoutes, ReplyJson, RequestSender, decode_reply, rpc, serialise_writes


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
    listener = next(ext for ext in caller.extensions if type(ext).__name__ == "QuickReplyListener")
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


def test_wrong_arguments_are_an_error_reply_and_the_service_lives_on(rabbit_config, container_factory):
    caller, _ = start(container_factory, Caller, Echo)
    with entrypoint_hook(caller, "call") as call:
        with pytest.raises(IncorrectSignature, match="value"):
            call("echo", "echo")  # echo needs its value
        with pytest.raises(IncorrectSignature):
            call("echo", "echo", 1, 2)
        assert call("echo", "echo", "lagi") == "lagi"


def test_replies_with_kombu_typed_values_still_decode_through_kombu(rabbit_config, container_factory):
    # Replies are decoded with plain json.loads unless they may hold kombu's typed values.
    caller, _ = start(container_factory, Caller, Echo)
    moment = datetime(2026, 12, 4, 20, 45, tzinfo=timezone.utc)
    with entrypoint_hook(caller, "call") as call:
        assert call("echo", "echo", {"at": moment, "kata": "ikat"}) == {"at": moment, "kata": "ikat"}
        assert call("echo", "echo", {"__type__": "teks"}) == {"__type__": "teks"}


def test_requests_go_on_after_the_kept_connection_is_cut(rabbit_config, container_factory):
    caller, _ = start(container_factory, Caller, Echo)
    with entrypoint_hook(caller, "call") as call:
        assert call("echo", "echo", 1) == 1
        assert call("echo", "echo", 2) == 2  # unconfirmed, on the kept connection
        rpc = next(ext for ext in caller.extensions if isinstance(ext, DeadlineRpc))
        rpc.sender.fast.channel.connection.transport.sock.shutdown(socket.SHUT_RDWR)
        assert call("echo", "echo", 3) == 3  # the write failed: sent again on a new connection


def test_a_result_object_comes_with_the_json_text_it_came_as(rabbit_config, container_factory):
    caller, _ = start(container_factory, Caller, Echo)
    value = {"nama": "Kain tenun <b>ikat</b> — Sumba", "harga": 150000.5, "error": None, "items": [{"id": "a"}]}
    with entrypoint_hook(caller, "call") as call:
        result = call("echo", "echo", value)
        assert isinstance(result, ReplyJson) and result == value and json.loads(result.text) == value
        assert not isinstance(call("echo", "echo", [value]), ReplyJson)  # only objects keep their text


@pytest.mark.parametrize("body, expected, text", [
    ('{"result": {"a": 1}, "error": null}', {"result": {"a": 1}, "error": None}, '{"a": 1}'),
    ('{"result": {"error": null}, "error": null}', {"result": {"error": None}, "error": None}, '{"error": null}'),
    ('{"result": null, "error": {"exc_type": "X", "value": "error: null"}}',
     {"result": None, "error": {"exc_type": "X", "value": "error: null"}}, None),
    ('{"result": 3, "error": null}', {"result": 3, "error": None}, None),
    (b'{"result": {"kata": "\\u00e9"}, "error": null}', {"result": {"kata": "\u00e9"}, "error": None},
     '{"kata": "\\u00e9"}'),
])
def test_decode_reply_frames_only_a_successful_result_object(body, expected, text):
    decoded = decode_reply(body)
    assert decoded == expected
    assert getattr(decoded["result"], "text", None) == text


class PieceByPieceConnection:
    """A stand-in for py-amqp's connection whose frame writer yields between the pieces of
    one frame, as a socket write that blocks half-way does."""

    def __init__(self):
        self.written = []
        self.frame_writer = self.write_in_pieces

    def write_in_pieces(self, frame_type, channel, *rest):
        for piece in range(3):
            self.written.append((channel, piece))
            eventlet.sleep(0)


def test_frames_on_a_shared_connection_are_written_whole():
    connection = PieceByPieceConnection()
    serialise_writes(connection)
    serialise_writes(connection)  # a second reply on the same connection wraps nothing more
    writers = [eventlet.spawn(connection.frame_writer, 1, channel, None, None, None) for channel in (1, 2, 0)]
    for writer in writers:
        writer.wait()
    pieces = [piece for _channel, piece in connection.written]
    assert pieces == [0, 1, 2] * 3  # without the lock: 0, 0, 0, 1, 1, 1, ...
    assert [channel for channel, _piece in connection.written] == [1, 1, 1, 2, 2, 2, 0, 0, 0]
