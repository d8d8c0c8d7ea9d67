"""Waiting on a real broker in tests: a condition polled until a deadline, a queue's depth."""
import time

from kombu import Connection


def wait_for(predicate, timeout=10) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def queue_depth(amqp_uri, name) -> int:
    """Messages ready in queue ``name`` (the queue must exist)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        _, count, _ = channel.queue_declare(name, passive=True)
        channel.close()
        return count
