"""BufferedReadTransport (shared/amqp_reads.py): AMQP frames cut out of large reads. Over a
socket pair: frames arriving together, byte by byte, larger than a read, a read that times
out part-way, a broken frame, a closed peer. Then through kombu against the real broker,
bodies small and larger than the broker's frame size."""
import socket
import struct
import threading
import time
import uuid

import pytest
from amqp import connection as amqp_connection
from amqp.exceptions import UnexpectedFrame
from kombu import Connection, Consumer, Producer, Queue

from shared import amqp_reads
from shared.amqp_reads import BufferedReadTransport, use_buffered_reads


def frame(frame_type: int, channel: int, payload: bytes, end: int = 0xCE) -> bytes:
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + bytes([end])


class CountingRecv:
    """The socket's recv, counting calls."""

    def __init__(self, sock):
        self.sock, self.calls = sock, 0

    def __call__(self, size):
        self.calls += 1
        return self.sock.recv(size)


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    transport = BufferedReadTransport("127.0.0.1:1")  # never connects: the pair stands in
    transport.sock = ours
    transport._setup_transport()
    transport.connected = True
    recv = CountingRecv(ours)
    transport._quick_recv = recv
    yield transport, theirs, recv
    ours.close()
    theirs.close()


def test_frames_that_arrive_together_cost_one_read(pair):
    transport, broker, recv = pair
    payloads = [f"payload {n}".encode() * (n + 1) for n in range(50)]
    broker.sendall(b"".join(frame(1 + n % 3, n, payload) for n, payload in enumerate(payloads)))
    got = [transport.read_frame() for _ in payloads]
    assert got == [(1 + n % 3, n, payload) for n, payload in enumerate(payloads)]
    assert recv.calls == 1


def test_a_frame_sent_byte_by_byte_comes_out_whole(pair):
    transport, broker, recv = pair
    data = frame(3, 7, b"the body of a message") + frame(8, 0, b"")

    def trickle():
        for index in range(len(data)):
            broker.sendall(data[index:index + 1])
            time.sleep(0.002)

    sender = threading.Thread(target=trickle)
    sender.start()
    transport.sock.settimeout(5)
    assert transport.read_frame() == (3, 7, b"the body of a message")
    assert transport.read_frame() == (8, 0, b"")
    sender.join()
    assert recv.calls > 2  # it did arrive in pieces


def test_a_frame_larger_than_one_read(pair):
    transport, broker, _ = pair
    payload = bytes(range(256)) * (3 * amqp_reads.CHUNK // 256 + 17)
    transport.sock.settimeout(5)
    sender = threading.Thread(target=broker.sendall, args=(frame(3, 1, payload) + frame(1, 1, b"next"),))
    sender.start()
    assert transport.read_frame() == (3, 1, payload)
    assert transport.read_frame() == (1, 1, b"next")
    sender.join()


def test_a_read_that_times_out_part_way_keeps_what_it_had(pair):
    transport, broker, _ = pair
    data = frame(3, 2, b"x" * 500)
    broker.sendall(data[:200])
    with pytest.raises(socket.timeout):
        with transport.having_timeout(0.05):
            transport.read_frame()
    broker.sendall(data[200:])
    with transport.having_timeout(5):
        assert transport.read_frame() == (3, 2, b"x" * 500)


def test_a_poll_with_nothing_to_read_is_a_timeout(pair):
    transport, _, _ = pair
    with pytest.raises(socket.timeout):
        with transport.having_timeout(0):  # amqp's poll before each publish
            transport.read_frame()


def test_a_frame_with_a_wrong_end_octet_is_refused(pair):
    transport, broker, _ = pair
    broker.sendall(frame(1, 0, b"abc", end=0x00))
    with pytest.raises(UnexpectedFrame, match="0x00"):
        transport.read_frame()


def test_a_peer_that_closes_mid_frame_is_an_error(pair):
    transport, broker, _ = pair
    broker.sendall(frame(1, 0, b"abcdef")[:5])
    broker.close()
    with pytest.raises(OSError, match="closed"):
        transport.read_frame()


@pytest.fixture
def buffered_reads(monkeypatch):
    monkeypatch.setattr(amqp_connection, "Transport", amqp_connection.Transport)  # restored afterwards
    use_buffered_reads()


def test_messages_through_the_real_broker(buffered_reads, amqp_uri):
    bodies = [uuid.uuid4().bytes * n for n in (1, 10, 100, 1000)] * 25
    bodies.append(b"b" * 300_000)  # larger than the broker's frame size: several body frames
    queue = Queue(f"test.buffered.{uuid.uuid4().hex[:8]}", auto_delete=True)
    received = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        assert isinstance(connection.connection.transport, BufferedReadTransport)
        queue(channel).declare()
        producer = Producer(channel)
        for body in bodies:
            producer.publish(body, routing_key=queue.name, content_type="application/octet-stream",
                             content_encoding="binary")

        def on_message(body, message):
            received.append(body)
            message.ack()

        with Consumer(channel, [queue], callbacks=[on_message], prefetch_count=50):
            while len(received) < len(bodies):
                connection.drain_events(timeout=10)
    assert received == bodies
