"""The RabbitMQ topology of the event backbone, declared before anything is published.

nameko dispatches events with ``mandatory=False``: a message sent to an exchange with no
bound queue is dropped silently. So every subscriber's queue is declared and bound up
front (by the relay before its first publish, by each consumer, and by ``etalase migrate``)
and an event sent before a consumer has ever run waits in its queue.

Per subscription ``Q``:
- ``Q``        durable, bound to the events exchange with the subscriber's routing keys;
- ``Q.retry``  holds a failed message for ``retry_delay_ms``, then dead-letters it back to ``Q``;
- ``Q.dead``   the dead-letter queue: messages that failed ``max_attempts`` times, to inspect and replay.
"""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding

from shared.events import INTERACTIONS_RECORDED

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


def events_exchange() -> Exchange:
    return Exchange(EVENTS_EXCHANGE, type="topic", durable=True)


def main_queue(sub: Subscription) -> Queue:
    exchange = events_exchange()
    return Queue(
        sub.queue,
        bindings=[binding(exchange, routing_key=key) for key in sub.routing_keys],
        durable=True,
    )


def retry_queue(sub: Subscription) -> Queue:
    return Queue(
        sub.retry_queue_name,
        durable=True,
        queue_arguments={
            "x-message-ttl": sub.retry_delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": sub.queue,
        },
    )


def dead_queue(sub: Subscription) -> Queue:
    return Queue(sub.dead_queue_name, durable=True)


def declare_topology(connection: Connection) -> None:
    """Declare the events exchange and every subscription's queues (idempotent)."""
    channel = connection.default_channel
    events_exchange()(channel).declare()
    for sub in SUBSCRIPTIONS.values():
        for queue in (main_queue(sub), retry_queue(sub), dead_queue(sub)):
            queue(channel).declare()
