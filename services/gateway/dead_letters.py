"""Dead-letter queues on the broker, for the admin API: count and peek without removing,
and replay (``shared.consumer.replay_dead_letters``)."""
from __future__ import annotations

import json

from kombu import Connection

from shared.consumer import ATTEMPTS_HEADER, ERROR_HEADER, replay_dead_letters
from shared.settings import amqp_uri
from shared.topology import SUBSCRIPTIONS, declare_topology

PEEK_LIMIT = 20


def _describe(message) -> dict:
    headers = dict(message.headers or {})
    event_id = event_type = None
    try:
        body = json.loads(message.body)
        if isinstance(body, dict):
            event_id, event_type = body.get("id"), body.get("type")
    except (ValueError, TypeError):
        pass  # an undecodable body is exactly what lands here
    attempts = headers.get(ATTEMPTS_HEADER)
    return {
        "event_id": None if event_id is None else str(event_id),
        "type": None if event_type is None else str(event_type),
        "message_id": message.properties.get("message_id"),
        "attempts": attempts if isinstance(attempts, int) else None,
        "error": headers.get(ERROR_HEADER),
    }


def peek(subscription: str, limit: int = PEEK_LIMIT, uri: str | None = None) -> dict:
    """``{"subscription", "queue", "count", "messages": [...]}``: up to ``limit`` messages read
    without acknowledging them; closing the channel puts every one back, in order."""
    sub = SUBSCRIPTIONS[subscription]
    with Connection(uri or amqp_uri(), connect_timeout=5) as connection:
        declare_topology(connection)
        channel = connection.channel()
        try:
            _, count, _ = channel.queue_declare(sub.dead_queue_name, passive=True)
            messages = []
            while len(messages) < min(limit, count):
                message = channel.basic_get(sub.dead_queue_name, no_ack=False)
                if message is None:
                    break
                messages.append(_describe(message))
            # no ack: the broker requeues them when the channel closes
        finally:
            channel.close()
    return {"subscription": subscription, "queue": sub.dead_queue_name, "count": count, "messages": messages}


def peek_all(limit: int = PEEK_LIMIT, uri: str | None = None) -> list[dict]:
    return [peek(name, limit, uri) for name in SUBSCRIPTIONS]


def replay(subscription: str, limit: int = 1000, uri: str | None = None) -> int:
    return replay_dead_letters(subscription, limit=limit, uri=uri)
