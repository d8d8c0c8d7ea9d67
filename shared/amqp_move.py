"""Moving messages from one queue to another without losing one: what replaying dead
letters (``shared.consumer.replay_dead_letters``) and switching queue types
(``shared.queue_switch``) both do.

Messages are taken with ``basic.get`` in order, ``MOVE_BATCH`` at a time, published to the
target through the default exchange with their properties, and the batch is acked on the
source only once the broker confirmed every copy. A failure leaves what was not acked in the
source (it returns there when the channel closes); the target may then hold a copy too,
which consumers drop by the event's id.
"""
from __future__ import annotations

import socket
import time
from typing import Any, Callable

from amqp import Message

MOVE_BATCH = 500  # messages taken, published and confirmed together
CONFIRM_TIMEOUT = 30.0  # seconds the broker has to confirm a batch
# The queue's own count of deliveries (quorum queues): it describes the old queue, not the new.
DELIVERY_COUNT_HEADER = "x-delivery-count"

Headers = dict[str, Any]


class MoveUnconfirmed(RuntimeError):
    """The broker refused or did not confirm copies; the originals stay in the source."""


def move_messages(channel: Any, source: str, target: str, limit: int | None = None,
                  rewrite_headers: Callable[[Headers], Headers] | None = None) -> int:
    """Move up to ``limit`` (default: all) messages of ``source`` to ``target`` on ``channel``
    (a py-amqp channel, which this puts in confirm mode), each one's headers without
    ``x-delivery-count`` and passed through ``rewrite_headers``; how many were moved."""
    confirms = _Confirms(channel)
    moved = 0
    while limit is None or moved < limit:
        room = MOVE_BATCH if limit is None else min(MOVE_BATCH, limit - moved)
        batch: list[Any] = []
        while len(batch) < room and (message := channel.basic_get(source, no_ack=False)) is not None:
            batch.append(message)
        if not batch:
            break
        first = confirms.published + 1
        for message in batch:
            properties = dict(message.properties)
            headers = dict(properties.get("application_headers") or {})
            headers.pop(DELIVERY_COUNT_HEADER, None)
            properties["application_headers"] = rewrite_headers(headers) if rewrite_headers else headers
            channel.basic_publish(Message(message.body, **properties), exchange="", routing_key=target,
                                  mandatory=True)
            confirms.published += 1
        confirms.wait(first, source, target)
        channel.basic_ack(batch[-1].delivery_tag, multiple=True)
        moved += len(batch)
    return moved


class _Confirms:
    """The publisher confirms of one channel: its publishes are numbered from 1; the broker
    confirms up to a number (``multiple``) or one number at a time."""

    def __init__(self, channel: Any):
        self.channel = channel
        self.published = 0
        self.upto = 0  # every publish up to this one is confirmed
        self.single: set[int] = set()
        self.refused = False
        channel.confirm_select()
        channel.events["basic_ack"].add(self._ack)
        channel.events["basic_nack"].add(self._nack)

    def _ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self.upto = max(self.upto, delivery_tag)
        else:
            self.single.add(delivery_tag)

    def _nack(self, delivery_tag: int, multiple: bool) -> None:
        self.refused = True

    def wait(self, first: int, source: str, target: str) -> None:
        """Until publishes ``first`` to the last are confirmed; raises ``MoveUnconfirmed`` on
        a nack or no answer in ``CONFIRM_TIMEOUT``."""
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        pending = set(range(first, self.published + 1))
        while not self.refused:
            pending = {tag for tag in pending if tag > self.upto and tag not in self.single}
            if not pending:
                self.single.clear()
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                self.channel.connection.drain_events(timeout=remaining)
            except socket.timeout:
                break
        raise MoveUnconfirmed(f"the broker did not confirm moving messages from {source} to {target}; what was "
                              f"not confirmed stays in {source}")
