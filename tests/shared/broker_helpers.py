"""Waiting on a real broker in tests: a condition polled until a deadline, a queue's depth;
what the management API says of a queue, and cutting a virtual host's connections as a
broker restart or a network cut would."""
import uuid
from urllib.parse import quote, unquote

import httpx
from kombu import Connection
from waiting import wait_for  # noqa: F401 - the broker tests' waiting, from here as before

RABBIT_API = "http://127.0.0.1:15672/api"
RABBIT_AUTH = ("guest", "guest")


def queue_depth(amqp_uri, name) -> int:
    """Messages ready in queue ``name`` (the queue must exist)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        _, count, _ = channel.queue_declare(name, passive=True)
        channel.close()
        return count


def vhost_of(amqp_uri) -> str:
    return unquote(amqp_uri.rsplit("/", 1)[1])


def broker_queue(amqp_uri, name) -> dict:
    """The management API's record of queue ``name`` in ``amqp_uri``'s virtual host (its
    ``type``, ``durable``, ``exclusive``, ``auto_delete``, ``arguments``...); {} when there is
    no such queue."""
    response = httpx.get(f"{RABBIT_API}/queues/{quote(vhost_of(amqp_uri), safe='')}/{quote(name, safe='')}",
                         auth=RABBIT_AUTH)
    if response.status_code == 404:
        return {}
    response.raise_for_status()
    return response.json()


def broker_queue_names(amqp_uri) -> set[str]:
    response = httpx.get(f"{RABBIT_API}/queues/{quote(vhost_of(amqp_uri), safe='')}", auth=RABBIT_AUTH)
    response.raise_for_status()
    return {queue["name"] for queue in response.json()}


def close_connections(amqp_uri, timeout=15) -> int:
    """Close every client connection of ``amqp_uri``'s virtual host from the broker's side
    (waiting up to ``timeout`` for the management API to list one); how many."""
    vhost = vhost_of(amqp_uri)
    found = []

    def listed():
        found[:] = [c for c in httpx.get(f"{RABBIT_API}/connections", auth=RABBIT_AUTH).json() if c["vhost"] == vhost]
        return found

    wait_for(listed, timeout=timeout)
    for connection in found:
        httpx.delete(f"{RABBIT_API}/connections/{quote(connection['name'], safe='')}", auth=RABBIT_AUTH,
                     headers={"X-Reason": f"test {uuid.uuid4().hex[:6]}"})
    return len(found)
