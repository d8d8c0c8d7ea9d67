"""AMQP frames read from the socket in large chunks instead of a few bytes at a time.

py-amqp 5.4 reads each frame with three exact-size ``recv`` calls (the 7-byte header, the
payload, the end octet), so a delivered message (method, header and body frames) costs
nine calls. Under eventlet each call is a trip through the green socket's loop; over a
100,000-event burst that was the largest part of what the search and promotion services
spent reading from the broker (``perf stat``: about six ``recvfrom`` per event in each).

``BufferedReadTransport`` asks for up to ``CHUNK`` bytes at once and cuts frames out of
what it holds. A frame is taken from the buffer only when it is whole, so a read that
times out part-way (``drain_events(timeout=…)``, amqp's poll before a publish) keeps what
it had and the next read goes on from there. Everything else (connecting, writing,
heartbeats, TLS) is py-amqp's own: TLS connections keep py-amqp's transport.

nameko and kombu offer no setting for the transport class; kombu's pyamqp transport
creates ``amqp.Connection``, which builds its transport through ``amqp.connection.Transport``.
``use_buffered_reads`` replaces that one factory, once per process, at the services' entry
point (``services/run_service.py``).
"""
from __future__ import annotations

import errno
import socket
import struct
from typing import Any

from amqp import connection as amqp_connection
from amqp import transport as amqp_transport
from amqp.exceptions import UnexpectedFrame

CHUNK = 65536
FRAME_HEADER = struct.Struct(">BHI")  # type, channel, payload size
FRAME_END = 0xCE
_RETRY = (errno.EAGAIN, errno.EINTR)


class BufferedReadTransport(amqp_transport.TCPTransport):
    """py-amqp's TCP transport with a read buffer of ``CHUNK`` bytes (see the module)."""

    def _setup_transport(self) -> None:
        super()._setup_transport()
        self._held = b""  # bytes received and not yet returned as frames
        self._start = 0  # where the next frame begins in ``_held``

    def read_frame(self, unpack: Any = None) -> tuple[int, int, bytes]:
        while True:
            held, start = self._held, self._start
            if len(held) - start >= FRAME_HEADER.size:
                frame_type, channel, size = FRAME_HEADER.unpack_from(held, start)
                end = start + FRAME_HEADER.size + size
                if len(held) > end:
                    if held[end] != FRAME_END:
                        raise UnexpectedFrame(f"Received frame_end {held[end]:#04x} while expecting 0xce")
                    self._start = end + 1
                    return frame_type, channel, held[start + FRAME_HEADER.size:end]
                missing = end + 1 - len(held)
            else:
                missing = FRAME_HEADER.size - (len(held) - start)
            self._receive(max(CHUNK, missing))

    def _receive(self, size: int) -> None:
        """Up to ``size`` more bytes into the buffer; what was returned already is dropped."""
        while True:
            try:
                data = self._quick_recv(size)
            except socket.timeout:
                raise
            except OSError as exc:
                if exc.errno in _RETRY:
                    # Nothing of a frame read yet: the caller's poll ends here, as in py-amqp.
                    if self._start == len(self._held) and self.raise_on_initial_eintr:
                        raise socket.timeout() from exc
                    continue
                if exc.errno not in amqp_transport._UNAVAIL:
                    self.connected = False
                raise
            if not data:
                raise OSError("Server unexpectedly closed connection")
            self._held = self._held[self._start:] + data if self._start < len(self._held) else data
            self._start = 0
            return


def _buffered_transport(host: str, connect_timeout: float | None = None, ssl: Any = False,
                        **kwargs: Any) -> amqp_transport._AbstractTransport:
    if ssl:
        return amqp_transport.SSLTransport(host, connect_timeout=connect_timeout, ssl=ssl, **kwargs)
    return BufferedReadTransport(host, connect_timeout=connect_timeout, ssl=ssl, **kwargs)


def use_buffered_reads() -> None:
    """Every AMQP connection this process opens from now on reads through
    ``BufferedReadTransport`` (TLS ones excepted)."""
    amqp_connection.Transport = _buffered_transport
