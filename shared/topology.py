"""The RabbitMQ topology of the event backbone, declared before anything is published.

nameko dispatches events with ``mandatory=False``: a message sent to an exchange with no
bound queue is dropped silently. So every subscriber's queue is declared and bound up
front (by the relay before its first publish, by each consumer, and by ``etalase migrate``)
and an event sent before a consumer has ever run waits in its queue.

Per subscription ``Q``:
- ``Q``        durable, bound to the events exchange with the subscriber's routing keys;
- ``Q.retry``  holds a failed message for ``retry_delay_ms``, then dead-letters it back to ``Q``;
- ``Q.dead``   the dead-letter queue: messages that failed ``max_attempts`` times, to inspect and replay.

The three are ``classic`` queues or ``quorum`` queues (replicated by Raft across a cluster),
as ``RABBITMQ_QUEUE_TYPE`` says (``shared.settings.rabbitmq_queue_type``). The classic
declarations are exactly those of the platform's first releases, so an existing single-node
deployment meets no difference. On quorum queues the broker also counts the deliveries a
message spent without an ack (the consumer died or lost its connection while holding it: the
failures the consumer cannot route itself) and, past ``delivery_limit``, moves it to ``Q.dead``
at least once. Which queues stay classic (nameko's RPC and reply queues) and how an existing
deployment switches type: ``docs/decisions/queue-types.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from amqp.exceptions import PreconditionFailed
from kombu import Connection, Exchange, Queue, binding

from shared.events import INTERACTIONS_RECORDED
from shared.settings import QUEUE_TYPE_VARIABLE, QueueType, rabbitmq_queue_type

EVENTS_EXCHANGE = "etalase.events"


@dataclass(frozen=True)
class Subscription:
    queue: str
    routing_keys: tuple[str, ...]
    max_attempts: int = 5
    retry_delay_ms: int = 2000
    # How many events the broker sends ahead of the consumer's acks: the most one batch can
    # hold (shared/batching.py hands a batch to one worker, so a burst never takes the
    # worker pool from RPC).
    prefetch: int = 4
    # Quorum queues only: deliveries of one message that came back unacked (its consumer
    # crashed, hung or lost its connection) before the broker dead-letters it to ``Q.dead``.
    # A failure the handler raises is retried by the consumer (``max_attempts``), not counted
    # here. Twice those attempts: a return is often not the message's fault (a deploy, a
    # network cut), and what is dead-lettered by mistake is replayed, not lost.
    delivery_limit: int = 10

    @property
    def retry_queue_name(self) -> str:
        return f"{self.queue}.retry"

    @property
    def dead_queue_name(self) -> str:
        return f"{self.queue}.dead"


SUBSCRIPTIONS: dict[str, Subscription] = {
    # Search and promotion take bursts from the broker in batches and apply each with one
    # commit (shared/batching.py): a batch is half the prefetch, so that the next one arrives
    # while one is being applied (with batch = prefetch, the broker would wait for its acks
    # and batches would shrink to what trickles in). Search's batches are 200 events: what a
    # batch costs whatever its size (a transaction, its statements, a commit) is shared by
    # twice as many (the indexing path alone: 186 -> 160 us of CPU per event).
    "search": Subscription("search.events", ("catalog.#", "promotion.#"), prefetch=400),
    "promotion": Subscription("promotion.events", ("catalog.#", INTERACTIONS_RECORDED), prefetch=200),
}


# RabbitMQ 4 gives a quorum queue without a delivery limit one of 20, and a message past it
# is dropped when the queue has no dead-letter exchange. The dead-letter queue has none, and
# the admin's peek (``services/gateway/dead_letters.py``) reads messages and returns them,
# each return counted: so its limit is one no peek reaches. (-1, RabbitMQ 4's "no limit",
# drops a message at its first return on RabbitMQ 3.)
DEAD_QUEUE_DELIVERY_LIMIT = 1_000_000


def events_exchange() -> Exchange:
    return Exchange(EVENTS_EXCHANGE, type="topic", durable=True)


def _quorum(**arguments: Any) -> dict[str, Any]:
    return {"x-queue-type": "quorum", **arguments}


def _dead_letter_to(queue: str, queue_type: QueueType) -> dict[str, Any]:
    """Dead-lettering to ``queue`` through the default exchange; from a quorum queue at least
    once (the broker keeps the message until the target confirms it, which needs the
    ``reject-publish`` overflow; no length limit is set, so nothing is ever refused)."""
    arguments: dict[str, Any] = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue}
    if queue_type == "quorum":
        arguments.update({"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"})
    return arguments


def main_arguments(sub: Subscription, queue_type: QueueType) -> dict[str, Any]:
    """``Q``: none on a classic queue; on a quorum queue, the delivery limit and where a
    message past it goes (``Q.dead``)."""
    if queue_type == "classic":
        return {}
    return _quorum(**{"x-delivery-limit": sub.delivery_limit}, **_dead_letter_to(sub.dead_queue_name, queue_type))


def retry_arguments(sub: Subscription, queue_type: QueueType) -> dict[str, Any]:
    """``Q.retry``: a message waits ``retry_delay_ms``, then goes back to ``Q``."""
    arguments = {"x-message-ttl": sub.retry_delay_ms, **_dead_letter_to(sub.queue, queue_type)}
    return arguments if queue_type == "classic" else _quorum(**arguments)


def dead_arguments(sub: Subscription, queue_type: QueueType) -> dict[str, Any]:
    """``Q.dead``: kept until replayed."""
    return {} if queue_type == "classic" else _quorum(**{"x-delivery-limit": DEAD_QUEUE_DELIVERY_LIMIT})


class SubscriptionQueue(Queue):
    """A durable queue of a subscription whose arguments depend on the queue type. With
    ``queue_type`` None the type is read from the settings when the queue is declared, not
    when it is built: the consumer entrypoint builds its queue when the service class is
    defined (at import), and kombu declares it again at every reconnection."""

    # kombu copies a queue (to bind it to a channel) from its ``attrs``: these two go along.
    attrs = Queue.attrs + (("queue_type", None), ("arguments_for", None))  # type: ignore[assignment]
    queue_type: QueueType | None
    arguments_for: Callable[[QueueType], dict[str, Any]]

    def queue_declare(self, nowait: bool = False, passive: bool = False, channel: Any = None) -> Any:
        self.queue_arguments = self.arguments_for(self.queue_type or rabbitmq_queue_type())
        return super().queue_declare(nowait=nowait, passive=passive, channel=channel)


def main_queue(sub: Subscription, queue_type: QueueType | None = None) -> Queue:
    exchange = events_exchange()
    return SubscriptionQueue(
        sub.queue,
        bindings=[binding(exchange, routing_key=key) for key in sub.routing_keys],
        durable=True,
        queue_type=queue_type,
        arguments_for=partial(main_arguments, sub),
    )


def retry_queue(sub: Subscription, queue_type: QueueType | None = None) -> Queue:
    return SubscriptionQueue(sub.retry_queue_name, durable=True, queue_type=queue_type,
                             arguments_for=partial(retry_arguments, sub))


def dead_queue(sub: Subscription, queue_type: QueueType | None = None) -> Queue:
    return SubscriptionQueue(sub.dead_queue_name, durable=True, queue_type=queue_type,
                             arguments_for=partial(dead_arguments, sub))


def subscription_queues(sub: Subscription, queue_type: QueueType | None = None) -> tuple[Queue, Queue, Queue]:
    """``Q``, ``Q.retry`` and ``Q.dead``, in the order they are declared."""
    return main_queue(sub, queue_type), retry_queue(sub, queue_type), dead_queue(sub, queue_type)


class QueueTypeMismatch(RuntimeError):
    """A queue exists on the broker with other arguments than the configured type declares
    (RabbitMQ refuses the declaration with PRECONDITION_FAILED): typically a deployment whose
    ``RABBITMQ_QUEUE_TYPE`` changed. A queue's type never changes in place."""

    def __init__(self, queue: str, queue_type: QueueType, broker_said: str):
        self.queue, self.queue_type = queue, queue_type
        super().__init__(
            f"queue {queue!r} exists on the broker with other arguments than "
            f"{QUEUE_TYPE_VARIABLE}={queue_type} declares (RabbitMQ said: {broker_said}). "
            "A queue's type cannot change in place: stop the platform and run "
            f"`etalase switch-queues {queue_type}`, which moves every message into queues "
            f"of the new type, or set {QUEUE_TYPE_VARIABLE} back to the queues' type "
            "(docs/decisions/queue-types.md).")


def declare_topology(connection: Connection, queue_type: QueueType | None = None) -> None:
    """Declare the events exchange and every subscription's queues (idempotent), of
    ``queue_type`` (default: the configured one). Raises ``QueueTypeMismatch`` when a queue
    exists with other arguments, e.g. classic queues of a deployment now configured quorum."""
    queue_type = queue_type or rabbitmq_queue_type()
    channel = connection.default_channel
    events_exchange()(channel).declare()
    for sub in SUBSCRIPTIONS.values():
        for queue in subscription_queues(sub, queue_type):
            try:
                queue(channel).declare()
            except PreconditionFailed as exc:
                raise QueueTypeMismatch(queue.name, queue_type, _broker_reply(exc)) from exc


def _broker_reply(exc: PreconditionFailed) -> str:
    """The broker's reason, without py-amqp's method prefix."""
    text = str(exc)
    return text.split(" - ", 1)[1] if " - " in text else text
