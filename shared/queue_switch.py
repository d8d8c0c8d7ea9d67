"""Switching a deployment's event queues between classic and quorum, keeping every message:
``python -m shared.queue_switch [classic|quorum]`` (default: ``RABBITMQ_QUEUE_TYPE``).

RabbitMQ never changes a queue's type: ``x-queue-type`` is fixed when a queue is declared,
and declaring it again with other arguments is refused (PRECONDITION_FAILED, which the
services report as ``shared.topology.QueueTypeMismatch``). So every subscription queue whose
declaration differs from the target is emptied into a holding queue, deleted, declared anew
and filled again:

1. refused while anything consumes the queues: the platform must be stopped;
2. per subscription, ``Q.retry`` first (so nothing of it expires into ``Q`` after ``Q`` was
   emptied), then ``Q``, then ``Q.dead``: each queue's messages are moved in order into
   ``<queue>.switching`` (a classic durable queue), 500 at a time, each batch acked only once
   the broker confirmed its copies, and the queue is deleted. The holding queue of ``Q`` is bound to the events
   exchange like ``Q``: an event a forgotten producer publishes meanwhile is kept (perhaps
   twice, which consumers drop by its id);
3. the topology is declared with the target type (``declare_topology``);
4. each holding queue is moved back into its queue, and deleted.

Headers go along (the consumer's attempt count, the error, RabbitMQ's ``x-death``), except
``x-delivery-count``, the old queue's own count. A run that stops midway (a crash, a lost
connection) is finished by running it again: a queue already declared as the target is not
moved, and whatever a holding queue holds is moved back. Procedure and reasons:
``docs/decisions/queue-types.md``.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Queue

from shared.amqp_move import MoveUnconfirmed, move_messages
from shared.settings import QUEUE_TYPES, InvalidSetting, QueueType, amqp_uri, rabbitmq_queue_type
from shared.topology import SUBSCRIPTIONS, Subscription, dead_queue, declare_topology, main_queue, retry_queue

HOLDING_SUFFIX = ".switching"


class SwitchRefused(RuntimeError):
    """The switch cannot start or finish safely; nothing was lost (the message says where
    the messages are)."""


@dataclass
class SwitchReport:
    queue_type: QueueType
    switched: list[str] = field(default_factory=list)  # queues declared anew
    moved: dict[str, int] = field(default_factory=dict)  # queue -> messages moved back into it


def switch_queue_type(uri: str, queue_type: QueueType) -> SwitchReport:
    """Make every subscription's queues on the broker at ``uri`` ``queue_type`` queues,
    keeping their messages (see the module docstring). Idempotent: on queues already of that
    type it only declares."""
    # A connection of its own: py-amqp makes every publish wait for its confirm on a
    # connection opened with ``confirm_publish``, and the moves await them by the batch.
    with Connection(uri, connect_timeout=5) as connection:
        return _switch(connection, queue_type)


def _switch(connection: Connection, queue_type: QueueType) -> SwitchReport:
    _refuse_consumers(connection)
    report = SwitchReport(queue_type)
    for sub in SUBSCRIPTIONS.values():
        for queue, bound in _in_switch_order(sub, queue_type):
            if _declared_otherwise(connection, queue):
                _hold(connection, queue.name, bound)
                report.switched.append(queue.name)
    declare_topology(connection, queue_type)
    for sub in SUBSCRIPTIONS.values():
        for queue, bound in _in_switch_order(sub, queue_type):
            moved = _release(connection, queue.name, bound)
            if moved:
                report.moved[queue.name] = moved
    return report


def _in_switch_order(sub: Subscription, queue_type: QueueType) -> list[tuple[Queue, Queue | None]]:
    """(queue, what its holding queue is bound like): the retry queue before the main queue."""
    main = main_queue(sub, queue_type)
    return [(retry_queue(sub, queue_type), None), (main, main), (dead_queue(sub, queue_type), None)]


def _refuse_consumers(connection: Connection) -> None:
    busy = []
    for sub in SUBSCRIPTIONS.values():
        for name in (sub.queue, sub.retry_queue_name, sub.dead_queue_name):
            consumers = _consumer_count(connection, name)
            if consumers:
                busy.append(f"{name} ({consumers})")
    if busy:
        raise SwitchRefused(f"queues have consumers: {', '.join(busy)}; stop the platform (every service) first")


def _consumer_count(connection: Connection, name: str) -> int:
    channel = connection.channel()
    try:
        _, _, consumers = channel.queue_declare(name, passive=True)
    except NotFound:  # the broker closed the channel: no such queue
        return 0
    channel.close()
    return int(consumers)


def _declared_otherwise(connection: Connection, queue: Queue) -> bool:
    """Whether ``queue`` exists with other arguments than its target declaration (declaring
    it: a missing queue is created as the target, which needs no move)."""
    channel = connection.channel()
    try:
        queue(channel).declare()
    except PreconditionFailed:  # the broker closed the channel
        return True
    channel.close()
    return False


def _hold(connection: Connection, name: str, bound_like: Queue | None) -> None:
    """Move ``name``'s messages into its holding queue, then delete it."""
    holding = _holding_queue(name, bound_like)
    channel = connection.channel()
    try:
        holding(channel).declare()
        _move(channel, name, holding.name)
        # No ``if_empty``: quorum queues refuse it (NOT_IMPLEMENTED, which closes the
        # connection). With no consumer, nothing but the events exchange writes to these
        # queues, and the holding queue of the main queue is bound to it too.
        deleted = channel.queue_delete(name)
    finally:
        if channel.is_open:
            channel.close()
    if deleted:
        raise SwitchRefused(f"{deleted} message(s) reached {name} while it was emptied and were deleted with it: "
                            "something still writes to the queues; stop every service and producer")


def _holding_queue(name: str, bound_like: Queue | None) -> Queue:
    return Queue(name + HOLDING_SUFFIX, durable=True, bindings=list(bound_like.bindings) if bound_like else None)


def _release(connection: Connection, name: str, bound_like: Queue | None) -> int:
    """Move what ``name``'s holding queue holds back into ``name`` (declared again by now)
    and delete the holding queue; how many messages."""
    holding = _holding_queue(name, bound_like)
    channel = connection.channel()
    try:
        try:
            channel.queue_declare(holding.name, passive=True)
        except NotFound:  # nothing held (the broker closed the channel)
            return 0
        for bound in holding.bindings:  # ``name`` is bound again: it gets the new events
            channel.queue_unbind(holding.name, bound.exchange.name, bound.routing_key)
        moved = _move(channel, holding.name, name)
        channel.queue_delete(holding.name, if_empty=True)  # a classic queue: if_empty works
        return moved
    except PreconditionFailed:  # not empty after the move: something writes to it
        raise SwitchRefused(f"{holding.name} received messages while they were moved back into {name}: "
                            "stop every producer and run the switch again (nothing was lost)") from None
    finally:
        if channel.is_open:
            channel.close()


def _move(channel: Any, source: str, target: str) -> int:
    """Every message of ``source`` into ``target`` (``shared.amqp_move``); unconfirmed copies
    refuse the switch, their originals still in ``source``."""
    try:
        return move_messages(channel, source, target)
    except MoveUnconfirmed as exc:
        raise SwitchRefused(f"{exc}: run the switch again") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.queue_switch",
        description="Redeclare the event queues as classic or quorum queues, keeping their messages "
                    "(the platform stopped; docs/decisions/queue-types.md).")
    parser.add_argument("queue_type", nargs="?", choices=QUEUE_TYPES,
                        help="the type to switch to (default: RABBITMQ_QUEUE_TYPE, else classic)")
    args = parser.parse_args(argv)
    try:
        queue_type: QueueType = args.queue_type or rabbitmq_queue_type()
        report = switch_queue_type(amqp_uri(), queue_type)
    except (InvalidSetting, SwitchRefused) as exc:
        print(f"queue switch: {exc}", file=sys.stderr)
        return 1
    if not report.switched and not report.moved:
        print(f"queue switch: every event queue already is a {queue_type} queue")
    for name in [*report.switched, *(name for name in report.moved if name not in report.switched)]:
        print(f"queue switch: {name} is a {queue_type} queue ({report.moved.get(name, 0)} message(s) kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
