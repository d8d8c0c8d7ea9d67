"""Keeping the catalog service responsive while an import does CPU-heavy work."""
from __future__ import annotations

from typing import Any, Callable

import eventlet
from eventlet import tpool


def off_the_hub(fn: Callable[..., Any], *args: Any) -> Any:
    """Run CPU-heavy ``fn`` in eventlet's thread pool when running under eventlet (the
    service), so RPC and heartbeats keep being served; directly otherwise (the CLI)."""
    if eventlet.patcher.is_monkey_patched("thread"):
        return tpool.execute(fn, *args)
    return fn(*args)
