"""The one test of when a message's body may skip kombu's decoder (events and RPC replies)."""
from __future__ import annotations

from typing import Any

TYPED_VALUE = '"__type__"'  # how kombu's JSON marks a typed value (a datetime, a Decimal, ...)


def plain_json_text(message: Any) -> str | None:
    """The body's text when it is UTF-8 JSON without kombu's typed values, which plain
    ``json.loads`` reads the same as kombu and much faster (kombu's decoder calls a Python
    hook for every object of the body); None when kombu must decode it (another content
    type or encoding, typed values, and kombu's errors for a broken body)."""
    if message.content_type != "application/json" or message.content_encoding not in ("utf-8", "utf8"):
        return None
    body = message.body  # str when py-amqp already decoded it by its content encoding
    text = bytes(body).decode("utf-8") if isinstance(body, (bytes, bytearray, memoryview)) else body
    return None if TYPED_VALUE in text else text
