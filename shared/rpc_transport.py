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

One thing confirms did for RPC is kept: a request to a service whose queue does not exist is
returned by the broker, which nameko turns into ``UnknownService``. That return only arrives
in time with a confirm, so the first request to each service is confirmed (``KnownRoutes``),
and so is the next one after a deadline passes (the queue may have been deleted since).

Services use this module's ``rpc`` in place of ``nameko.rpc.rpc``, for every entrypoint of
the service (two kinds in one service would share one queue and take each other's calls).
"""
from __future__ import annotations

import sys
import threading
from typing import Any

import kombu.serialization
from nameko import config
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import AMQP_SSL_CONFIG_KEY, DEFAULT_TRANSPORT_OPTIONS, LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT
from nameko.exceptions import UnserializableValueError, serialize
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

from shared.settings import amqp_uri


class RpcPublisher(Publisher):
    """Publishes RPC requests and replies: no confirm, not persistent (a request is worth
    its caller's deadline, no more), no declarations before each message."""

    use_confirms = False
    delivery_mode = NON_PERSISTENT
    declare: list[Any] = []
    # A dict of its own: nameko's Publisher writes ``confirm_publish`` into its class-level
    # dict on every publish, and kombu pools connections by these options.
    transport_options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": False}


class RouteCheckPublisher(RpcPublisher):
    """The same with a confirm: the broker's return of an unroutable ``mandatory`` request
    arrives before the confirm, so nameko can raise ``UndeliverableMessage``."""

    use_confirms = True
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


class RequestSender:
    """``publish`` for nameko's RPC ``Client``: unconfirmed to a service known to be
    routable, confirmed and ``mandatory`` otherwise (``UndeliverableMessage`` when no queue
    takes it, which the client raises as ``UnknownService``)."""

    def __init__(self, uri: str, reply_to: str, serializer: str, routes: KnownRoutes | None = None):
        options: dict[str, Any] = dict(
            exchange=get_rpc_exchange(), reply_to=reply_to, serializer=serializer,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        self.routes = routes or KnownRoutes()
        self.fast = RpcPublisher(uri, **options)
        self.checked = RouteCheckPublisher(uri, **options)

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


class ReplyResponder(Responder):
    """nameko's ``Responder`` through ``RpcPublisher``, serialising a reply once: nameko's
    serialises the result to check it can, then again to publish it."""

    publisher_cls = RpcPublisher

    def send_response(self, result: Any, exc_info: Any) -> tuple[Any, Any]:
        error = serialize(exc_info[1]) if exc_info is not None else None
        content_type = self.message.properties["content_type"]  # reply as the request came
        serializer = kombu.serialization.registry.type_to_name[content_type]
        try:
            content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:  # noqa: BLE001 - as nameko: an unserialisable result becomes an error reply
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))  # this one always serialises
            result = None
            content_type, encoding, body = kombu.serialization.dumps({"result": None, "error": error}, serializer)
        publisher = self.publisher_cls(self.amqp_uri, ssl=self.ssl, login_method=self.login_method)
        publisher.publish(body, content_type=content_type, content_encoding=encoding, exchange=self.exchange,
                          routing_key=self.message.properties["reply_to"],
                          correlation_id=self.message.properties.get("correlation_id"))
        return result, exc_info


class RpcReplies(RpcConsumer):
    """nameko's RPC consumer (one per service, shared by its entrypoints) whose replies go
    out through ``RpcPublisher``."""

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        responder = ReplyResponder(amqp_uri(), get_rpc_exchange(), message,
                                   ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.consumer.ack_message(message)
        return result, exc_info


class QuickRpc(Rpc):
    """nameko's ``@rpc`` entrypoint, replying through ``RpcReplies``."""

    rpc_consumer = RpcReplies()


rpc = QuickRpc.decorator

__all__ = ["KnownRoutes", "QuickRpc", "RequestSender", "RpcPublisher", "rpc"]
