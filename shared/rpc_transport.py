"""RPC over RabbitMQ at the cost of one request and one reply.

nameko 3.0.0rc11 sends every RPC request and every reply as a persistent message with
publisher confirms (a wait for the broker's disk), and its cluster client re-declares the
reply queue, the RPC exchange and their binding before every request (the reply queue
expires when unused, and kombu never caches the declaration of an expiring queue). None of
this is configurable: ``ClusterRpc`` passes its own ``declare`` to its publisher, and the
replying ``Responder`` builds a default ``Publisher`` per reply, whatever the config says.

Here, requests and replies are transient and unconfirmed, and nothing is declared per call
(the gateway declares its reply queue once, at setup: ``shared.rpc.DeadlineRpc``). A request
or reply the broker loses costs its caller the deadline, as a slow service does. Events keep
their confirms: they are published by the outbox relay (``shared/outbox.py``), not here.

What each call costs is kept small too (CPU per search, bench/gateway.py): requests go out on
one kept connection (``KeptPublisher``), a reply on the channel its request came in on
(``RpcReplies``), not through kombu's connection and producer pools; replies are consumed
without acks and decoded with plain ``json.loads`` (``QuickReplyListener``), and a result
object keeps the JSON text it came as, which the gateway's search sends on as it is
(``ReplyJson``); an entrypoint checks arguments against a signature computed once.

One thing confirms did for RPC is kept: a request to a service whose queue does not exist is
returned by the broker, which nameko turns into ``UnknownService``. That return only arrives
in time with a confirm, so the first request to each service is confirmed (``KnownRoutes``),
and so is the next one after a deadline passes (the queue may have been deleted since).

Services use this module's ``rpc`` in place of ``nameko.rpc.rpc``, for every entrypoint of
the service (two kinds in one service would share one queue and take each other's calls).
"""
from __future__ import annotations

import inspect
import json
import sys
import threading
from typing import Any

import kombu.serialization
from amqp import Message as AmqpMessage
from amqp import spec
from amqp.exceptions import ConnectionError as AmqpConnectionError
from amqp.exceptions import RecoverableConnectionError
from eventlet.semaphore import Semaphore
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko import config
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import AMQP_SSL_CONFIG_KEY, DEFAULT_TRANSPORT_OPTIONS, LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT
from nameko.exceptions import IncorrectSignature, UnserializableValueError, serialize
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, get_rpc_exchange

from shared.amqp_json import plain_json_text


class RouteCheckPublisher(Publisher):
    """Publishes a confirmed, ``mandatory`` RPC request (the first to a service, see
    ``KnownRoutes``): the broker's return of an unroutable request arrives before the
    confirm, so nameko can raise ``UndeliverableMessage``. Not persistent (a request is
    worth its caller's deadline, no more) and no declarations before the message."""

    use_confirms = True
    delivery_mode = NON_PERSISTENT
    declare: list[Any] = []
    # A dict of its own: nameko's Publisher writes ``confirm_publish`` into its class-level
    # dict on every publish, and kombu pools connections by these options.
    transport_options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": True}


class KnownRoutes:
    """The services a confirmed request has reached lately (their RPC queue exists)."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def known(self, service: str) -> bool:
        return service in self._known

    def remember(self, service: str) -> None:
        with self._lock:
            self._known.add(service)

    def forget(self, service: str) -> None:
        """After a deadline passed: the service's queue may be gone, check the next request."""
        with self._lock:
            self._known.discard(service)


class KeptPublisher:
    """Publishes unconfirmed, transient RPC requests on one connection kept open for the
    process, under a lock (green threads share it), instead of taking a connection and a
    producer from kombu's pools for every message. A write that fails closes it; the
    message is tried once more on a new connection, then the error is raised as kombu's
    ``OperationalError`` (the broker is out of reach)."""

    def __init__(self, uri: str, exchange: str, reply_to: str, serializer: str, ssl: Any = None,
                 login_method: Any = None):
        self.uri, self.exchange, self.reply_to, self.serializer = uri, exchange, reply_to, serializer
        self.ssl, self.login_method = ssl, login_method
        self.lock = Semaphore()
        self.connection: Connection | None = None
        self.channel: Any = None

    def publish(self, payload: Any, routing_key: str, correlation_id: str | None = None,
                extra_headers: dict[str, Any] | None = None, **_: Any) -> None:
        content_type, encoding, body = kombu.serialization.dumps(payload, self.serializer)
        message = AmqpMessage(body.encode(encoding) if isinstance(body, str) else body, content_type=content_type,
                              content_encoding=encoding, delivery_mode=NON_PERSISTENT, correlation_id=correlation_id,
                              reply_to=self.reply_to, application_headers=extra_headers or {})
        with self.lock:
            for attempt in range(2):
                try:
                    if self.channel is None:
                        self.connection = Connection(self.uri, ssl=self.ssl, login_method=self.login_method,
                                                     connect_timeout=5)
                        self.channel = self.connection.channel()
                    self.channel.basic_publish(message, exchange=self.exchange, routing_key=routing_key)
                    return
                except (OSError, AmqpConnectionError, RecoverableConnectionError, OperationalError) as exc:
                    self.close()
                    if attempt:
                        raise OperationalError(str(exc)) from exc

    def close(self) -> None:
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass


class RequestSender:
    """``publish`` for nameko's RPC ``Client``: unconfirmed to a service known to be
    routable (``KeptPublisher``), confirmed and ``mandatory`` otherwise
    (``UndeliverableMessage`` when no queue takes it, which the client raises as
    ``UnknownService``)."""

    def __init__(self, uri: str, reply_to: str, serializer: str, routes: KnownRoutes | None = None):
        ssl, login_method = config.get(AMQP_SSL_CONFIG_KEY), config.get(LOGIN_METHOD_CONFIG_KEY)
        exchange = get_rpc_exchange()
        self.routes = routes or KnownRoutes()
        self.fast: Any = KeptPublisher(uri, exchange.name, reply_to, serializer, ssl, login_method)
        self.checked: Any = RouteCheckPublisher(uri, exchange=exchange, reply_to=reply_to, serializer=serializer,
                                                ssl=ssl, login_method=login_method)

    def publish(self, payload: Any, routing_key: str, mandatory: bool = False, **kwargs: Any) -> None:
        service = routing_key.split(".", 1)[0]
        if self.routes.known(service):
            self.fast.publish(payload, routing_key=routing_key, **kwargs)
            return
        try:
            self.checked.publish(payload, routing_key=routing_key, mandatory=True, **kwargs)
        except UndeliverableMessage:
            self.routes.forget(service)
            raise
        self.routes.remember(service)


class SignatureOnce:
    """For a nameko entrypoint: check a call's arguments against the method's signature
    computed once (nameko's ``inspect.getcallargs`` builds it again for every call)."""

    method_name: str
    container: Any

    def check_signature(self, args: Any, kwargs: Any) -> None:
        signature = getattr(self, "_signature", None)
        if signature is None:
            signature = self._signature = inspect.signature(getattr(self.container.service_cls, self.method_name))
        try:
            signature.bind(None, *args, **kwargs)  # None stands for self: the method is unbound
        except TypeError as exc:
            raise IncorrectSignature(str(exc))


def encode_reply(message: Any, result: Any, exc_info: Any) -> tuple[Any, Any, str, str, bytes]:
    """(result, exc_info, content type, encoding, body) of the reply to ``message``, serialised
    once, as the request came (nameko serialises a result to check it can, then again to
    publish it). A result that cannot be serialised becomes an error reply, as in nameko."""
    error = serialize(exc_info[1]) if exc_info is not None else None
    content_type = message.properties["content_type"]
    serializer = kombu.serialization.registry.type_to_name[content_type]
    try:
        content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
    except Exception:  # noqa: BLE001 - as nameko: an unserialisable result becomes an error reply
        exc_info = sys.exc_info()
        error = serialize(UnserializableValueError(result))  # this one always serialises
        result = None
        content_type, encoding, body = kombu.serialization.dumps({"result": None, "error": error}, serializer)
    if isinstance(body, str):
        body = body.encode(encoding)
    return result, exc_info, content_type, encoding, body


def serialise_writes(connection: Any) -> None:
    """Make every frame written on the py-amqp ``connection`` go out whole, one write at a
    time. Workers now reply on the consumer's connection, and a large reply may block
    half-written; without this, a heartbeat or another worker's ack could be written into the
    middle of it and the broker would close the connection. Idempotent per connection (a new
    connection after a reconnect is wrapped at its first reply)."""
    if getattr(connection, "_etalase_serialised", False):
        return
    lock = Semaphore()
    write = connection.frame_writer

    def write_whole(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return write(*args, **kwargs)

    connection.frame_writer = write_whole
    connection._etalase_serialised = True


class RpcReplies(RpcConsumer):
    """nameko's RPC consumer (one per service, shared by its entrypoints) whose replies go
    out on the channel the request came in on, unconfirmed and transient, instead of through
    a pooled connection and producer per reply (nameko's ``Responder``). Workers share the
    consumer's connection and a large reply may be written in several pieces, so every
    frame on that connection (replies, acks, heartbeats) is written whole
    (``serialise_writes``). When that connection is gone, the broker hands
    the unacked request to another consumer, which answers it; this reply is dropped."""

    exchange_name: str | None = None  # the RPC exchange's, looked up at the first reply

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        result, exc_info, content_type, encoding, body = encode_reply(message, result, exc_info)
        reply = AmqpMessage(body, content_type=content_type, content_encoding=encoding, delivery_mode=NON_PERSISTENT,
                            correlation_id=message.properties.get("correlation_id"))
        channel = message.channel
        if channel.connection:  # None once the connection is lost (as nameko's ack_message checks)
            serialise_writes(channel.connection)
            if self.exchange_name is None:
                self.exchange_name = get_rpc_exchange().name
            try:
                # basic.publish as py-amqp's basic_publish sends it, without the read of pending
                # frames it makes first (for a connection.blocked notice): this connection's
                # consumer reads them all the time.
                channel.send_method(spec.Basic.Publish, "Bssbb",
                                    (0, self.exchange_name, message.properties["reply_to"], False, False), reply)
                message.ack()
            except (OSError, AmqpConnectionError, RecoverableConnectionError):
                pass  # the broker redelivers the request: see the class docstring
        return result, exc_info


class QuickRpc(SignatureOnce, Rpc):
    """nameko's ``@rpc`` entrypoint, replying through ``RpcReplies``."""

    rpc_consumer = RpcReplies()


class ReplyJson(dict[str, Any]):
    """A reply's result object as decoded, and the JSON text it came as (``text``): a caller
    that passes the result on unchanged (the gateway's search) sends that text instead of
    encoding the object again."""

    __slots__ = ("text",)
    text: str


REPLY_HEAD, REPLY_TAIL = '{"result": ', ', "error": null}'  # how encode_reply's kombu JSON frames a result


def decode_reply(body: str | bytes) -> Any:
    """A JSON reply body as a dict; a successful result object comes as a ``ReplyJson``."""
    text = body if isinstance(body, str) else body.decode("utf-8")
    if text.startswith(REPLY_HEAD) and text.endswith(REPLY_TAIL):
        raw = text[len(REPLY_HEAD):-len(REPLY_TAIL)]
        try:
            result = json.loads(raw)
        except ValueError:  # not framed as expected after all
            return json.loads(text)
        if type(result) is dict:
            kept = ReplyJson(result)
            kept.text = raw
            result = kept
        return {"result": result, "error": None}
    return json.loads(text)


class QuickReplyListener(ReplyListener):
    """nameko's reply listener, consuming without acks (a reply lost with the connection
    costs its caller the deadline, as a lost request does) and decoding a JSON reply with
    plain ``json.loads`` where ``shared.amqp_json.plain_json_text`` allows it (a body that
    may hold kombu's typed values still goes through kombu)."""

    class ReplyConsumer(ReplyListener.ReplyConsumer):
        def get_consumers(self, consumer_cls: Any, channel: Any) -> list[Any]:
            self.check_for_lost_replies()
            return [consumer_cls(queues=self.queues, on_message=self.on_raw_message, accept=self.accept,
                                 no_ack=True)]

        def on_raw_message(self, message: Any) -> None:
            if self.should_stop:
                return  # nobody will wait for it: the caller is stopping
            text = plain_json_text(message)
            payload = decode_reply(text) if text is not None else message.decode()
            for callback in self.callbacks:
                callback(payload, message)

    consumer_cls = ReplyConsumer

    def handle_message(self, body: Any, message: Any) -> None:
        rpc_call = self.pending.pop(message.properties.get("correlation_id"), None)
        if rpc_call is not None:
            rpc_call.send(body)


rpc = QuickRpc.decorator

__all__ = ["KeptPublisher", "KnownRoutes", "QuickReplyListener", "QuickRpc", "ReplyJson", "RequestSender",
           "RouteCheckPublisher", "SignatureOnce", "decode_reply", "rpc"]
