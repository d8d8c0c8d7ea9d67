"""RPC from the gateway with a deadline on every call.

nameko's RPC client waits forever for a reply. ``DeadlineRpc`` wraps each call in an
eventlet timeout and turns "nobody answered in time" into ``ServiceTimeout`` (504) and
"no such service is listening" into ``ServiceUnavailable`` (503). Requests go out through
``shared.rpc_transport`` (unconfirmed, nothing declared per call).

A service whose RPC queue already holds more waiting requests than it can answer in time
(``RpcQueueDepths``: the broker's count, read every second) is not asked at all: the call
raises ``Overloaded`` (503 with ``Retry-After``) at once. Otherwise every caller would add
to the queue and wait out its deadline, and the service would spend its time answering
requests whose callers had given up.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import eventlet
from amqp.exceptions import AMQPError, NotFound
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RPC_QUEUE_TEMPLATE, Client, ClusterRpc

from shared.background import Wakeable
from shared.errors import EtalaseError, Overloaded, ServiceTimeout, ServiceUnavailable, UpstreamError
from shared.messages import t
from shared.rpc_transport import KnownRoutes, QuickReplyListener, RequestSender
from shared.settings import amqp_uri

log = logging.getLogger(__name__)


class RpcQueueDepths:
    """Requests waiting in each called service's RPC queue, as the broker last counted them.

    ``read_depth(service)`` returns the count of ready messages in the service's queue, or
    None when it cannot tell (no such queue, broker out of reach): a service is never shed
    on a guess. ``limit`` 0 switches shedding off.
    """

    def __init__(self, read_depth: Callable[[str], int | None], limit: int):
        self._read_depth = read_depth
        self.limit = limit
        self._depths: dict[str, int] = {}

    def saturated(self, service: str) -> bool:
        """Whether ``service`` had ``limit`` or more requests waiting at the last count (the
        first call to a service adds it to those counted)."""
        if service not in self._depths:
            self._depths[service] = 0
            return False
        return 0 < self.limit <= self._depths[service]

    def refresh(self) -> None:
        for service in list(self._depths):
            depth = self._read_depth(service)
            self._depths[service] = 0 if depth is None else depth


class BrokerQueueDepth:
    """``read_depth`` for ``RpcQueueDepths``: a passive declare of ``rpc-<service>`` on one
    kept connection (a missing queue closes the channel; the next read opens another)."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self._connection: Connection | None = None
        self._channel: Any = None

    def __call__(self, service: str) -> int | None:
        try:
            if self._connection is None:
                self._connection = Connection(self.amqp_uri, connect_timeout=2)
            if self._channel is None:
                self._channel = self._connection.channel()
            _, ready, _ = self._channel.queue_declare(RPC_QUEUE_TEMPLATE.format(service), passive=True)
            return int(ready)
        except NotFound:
            self._channel = None
            return None
        except (AMQPError, OperationalError, OSError) as exc:
            log.debug("could not count the RPC queue of %s: %s", service, exc)
            self.close()
            return None

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass


class DeadlineClient:
    def __init__(self, client: Any, default_timeout: float, cast_client: Any = None,
                 routes: KnownRoutes | None = None, depths: RpcQueueDepths | None = None):
        # client: nameko's cluster RPC client; cast_client: the same without registering for
        # replies (default: client); routes: forgets a service whose deadline passed;
        # depths: sheds calls to a service whose queue is saturated.
        self._client = client
        self._cast_client = client if cast_client is None else cast_client
        self._routes = routes
        self._depths = depths
        self.default_timeout = default_timeout

    def call(self, service: str, method: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call ``service.method`` and return its result, or raise a typed ``EtalaseError``."""
        if self._depths is not None and self._depths.saturated(service):
            raise Overloaded(t("Layanan %(service)s sedang sangat sibuk. Silakan coba lagi beberapa saat lagi.",
                               service=service), {"service": service})
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
    """A cluster RPC client whose calls all have deadlines; with a ``queue_limit`` (a function
    of nothing read at setup, e.g. from the service's settings), calls to a service with that
    many requests waiting in its queue are shed (``RpcQueueDepths``)."""

    reply_listener = QuickReplyListener()  # replies unacked, decoded with plain json
    DEPTH_INTERVAL = 1.0  # seconds between two counts of the RPC queues

    def __init__(self, default_timeout: float = 5.0, queue_limit: Callable[[], int] | None = None, **options: Any):
        self.default_timeout = default_timeout
        self.queue_limit = queue_limit
        self.depths: RpcQueueDepths | None = None
        self._counting = Wakeable()
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
        if self.queue_limit is not None:
            self._broker_depth = BrokerQueueDepth(self.amqp_uri)
            self.depths = RpcQueueDepths(self._broker_depth, self.queue_limit())

    def start(self) -> None:
        super().start()
        if self.depths is not None:
            self._counting.start(
                lambda target: self.container.spawn_managed_thread(target, identifier="rpc_queue_depths"),
                self._count_queues)

    def stop(self) -> None:
        self._counting.stop()
        super().stop()

    def _count_queues(self) -> None:
        assert self.depths is not None
        try:
            while self._counting.running:
                self.depths.refresh()
                self._counting.wait(self.DEPTH_INTERVAL)
        finally:
            self._broker_depth.close()

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
        return DeadlineClient(client, self.default_timeout, cast_client, self.routes, self.depths)


__all__ = ["DeadlineRpc", "DeadlineClient", "RpcQueueDepths", "BrokerQueueDepth", "AMQP_URI_CONFIG_KEY"]
