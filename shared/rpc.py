"""RPC from the gateway with a deadline on every call.

nameko's RPC client waits forever for a reply. ``DeadlineRpc`` wraps each call in an
eventlet timeout and turns "nobody answered in time" into ``ServiceTimeout`` (504) and
"no such service is listening" into ``ServiceUnavailable`` (503). Requests go out through
``shared.rpc_transport`` (unconfirmed, nothing declared per call).
"""
from __future__ import annotations

from typing import Any

import eventlet
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import Client, ClusterRpc

from shared.errors import EtalaseError, ServiceTimeout, ServiceUnavailable, UpstreamError
from shared.messages import t
from shared.rpc_transport import KnownRoutes, QuickReplyListener, RequestSender
from shared.settings import amqp_uri


class DeadlineClient:
    def __init__(self, client: Any, default_timeout: float, cast_client: Any = None,
                 routes: KnownRoutes | None = None):
        # client: nameko's cluster RPC client; cast_client: the same without registering for
        # replies (default: client); routes: forgets a service whose deadline passed.
        self._client = client
        self._cast_client = client if cast_client is None else cast_client
        self._routes = routes
        self.default_timeout = default_timeout

    def call(self, service: str, method: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call ``service.method`` and return its result, or raise a typed ``EtalaseError``."""
        deadline = self.default_timeout if timeout is None else timeout
        timer = eventlet.Timeout(deadline)
        try:
            reply = getattr(self._client[service], method).call_async(*args, **kwargs)
            return reply.result()
        except eventlet.Timeout as expired:
            if expired is not timer:
                raise  # a deadline set by our caller, not ours
            if self._routes is not None:
                self._routes.forget(service)  # its queue may be gone: confirm the next request
            raise ServiceTimeout(t("Layanan %(service)s tidak menjawab dalam %(seconds)s detik.", service=service,
                                   seconds=f"{deadline:g}"), {"service": service})
        except UnknownService:
            raise ServiceUnavailable(t("Layanan %(service)s tidak tersedia.", service=service), {"service": service})
        except EtalaseError:
            raise
        except (OperationalError, OSError) as exc:
            # The broker itself is out of reach: nothing was asked of the service.
            raise ServiceUnavailable(
                t("Layanan %(service)s tidak dapat dihubungi saat ini.", service=service),
                {"service": service, "reason": type(exc).__name__}
            )
        except RemoteError as exc:
            # A bug, not an outage: the service answered with an error it did not expect.
            # Its details stay in the service's log.
            raise UpstreamError(t("Layanan %(service)s mengalami kesalahan.", service=service),
                                {"service": service, "type": str(exc.exc_type)})
        finally:
            timer.cancel()

    def cast(self, service: str, method: str, *args: Any, **kwargs: Any) -> None:
        """Send ``service.method`` and do not wait for its reply (fire and forget), for calls
        whose answer nobody needs; ``ServiceUnavailable`` when no such service is listening."""
        try:
            getattr(self._cast_client[service], method).call_async(*args, **kwargs)
        except UnknownService:
            raise ServiceUnavailable(t("Layanan %(service)s tidak tersedia.", service=service), {"service": service})


class DeadlineRpc(ClusterRpc):
    """A cluster RPC client whose calls all have deadlines."""

    reply_listener = QuickReplyListener()  # replies unacked, decoded with plain json

    def __init__(self, default_timeout: float = 5.0, **options: Any):
        self.default_timeout = default_timeout
        super().__init__(**options)

    def setup(self) -> None:
        # Not ClusterRpc.setup: its publisher confirms every request and declares the reply
        # queue before each one (see shared/rpc_transport.py).
        # ClusterRpc reads the broker URI when the service class is defined; read it now instead.
        self.amqp_uri = amqp_uri()
        while self.reply_listener.queue is None:  # ReplyListener.setup runs in another green thread
            eventlet.sleep(0.05)
        # Declare the reply queue now, once. Otherwise the first call can register for a reply
        # while the reply consumer makes its first connection; nameko then checks for the
        # queue, finds none yet, and kills the container (ReplyQueueExpiredWithPendingReplies).
        with Connection(self.amqp_uri, connect_timeout=5) as connection:
            self.reply_listener.queue.bind(connection).declare()
        self.routes = KnownRoutes()
        self.sender = RequestSender(self.amqp_uri, self.reply_listener.queue.routing_key,
                                    self.container.serializer, self.routes)

    def get_dependency(self, worker_ctx: Any) -> DeadlineClient:
        return self.client(worker_ctx.context_data)

    def client(self, context: dict[str, Any] | None = None) -> DeadlineClient:
        """A client for this service's workers, or (without a worker's context data) for its
        background threads."""
        context = {} if context is None else context
        client = Client(self.sender.publish, self.reply_listener.register_for_reply, context)
        # A cast's reply is dropped by the reply listener (unknown correlation id) instead of
        # waiting forever in its table of pending replies.
        cast_client = Client(self.sender.publish, lambda correlation_id: None, context)
        return DeadlineClient(client, self.default_timeout, cast_client, self.routes)


__all__ = ["DeadlineRpc", "DeadlineClient", "AMQP_URI_CONFIG_KEY"]
