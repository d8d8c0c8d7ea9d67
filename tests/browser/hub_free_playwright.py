"""Playwright's sync API in a process that eventlet has monkey patched (tests/conftest.py).

Playwright runs its asyncio loop in a greenlet of its own, the dispatcher, and switches
between it and the test. Whenever a greenlet waits in eventlet's hub, eventlet makes the
hub its parent (``Hub.switch``). The default loop waits in the hub all the time under the
patch: the green ``select`` of its selector, the green ``os.read``/``os.write`` on the
driver's pipes (they always wait in the hub first), green threads for its executor and for
its child watcher. When Playwright stops, the dispatcher ends and control goes to its parent:
the hub instead of the test, which then waits forever.

The loop made here never waits in the hub: epoll from the original ``select`` module,
executor work run inline (Playwright only reads and writes local files there), and the driver
process watched through a pidfd. The driver's pipes go through ``os.read``/``os.write``,
which tests/conftest.py leaves unpatched. docs/decisions/eventlet-in-tests.md has the
measurements.
"""
import asyncio
import importlib.util
import sys

import eventlet.patcher
from playwright.sync_api import Playwright, sync_playwright


def selectors_over_original_select():
    """A private copy of the ``selectors`` module built on the original ``select`` module (the
    patched one lost epoll and selects in the hub)."""
    spec = importlib.util.find_spec("selectors")
    module = importlib.util.module_from_spec(spec)
    patched_select = sys.modules["select"]
    sys.modules["select"] = eventlet.patcher.original("select")
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules["select"] = patched_select
    return module


SELECTORS = selectors_over_original_select()


class HubFreeEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop that blocks the thread while it waits, never eventlet's hub."""

    def __init__(self):
        super().__init__(SELECTORS.DefaultSelector())

    def run_in_executor(self, executor, func, *args):
        # The default executor's threads are green threads, which only run in the hub.
        future = self.create_future()
        try:
            future.set_result(func(*args))
        except Exception as error:
            future.set_exception(error)
        return future


class HubFreeLoopPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self):
        loop = HubFreeEventLoop()
        # Python 3.11's default child watcher waits for the driver in a (green) thread.
        watcher = asyncio.PidfdChildWatcher()
        watcher.attach_loop(loop)
        self.set_child_watcher(watcher)
        return loop


def start_playwright() -> Playwright:
    """``sync_playwright().start()`` on a ``HubFreeEventLoop``; ``.stop()`` it when done."""
    if eventlet.patcher.is_monkey_patched("os"):
        raise RuntimeError("eventlet patched os: Playwright's pipes would wait in the hub (see tests/conftest.py)")
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(HubFreeLoopPolicy())
    try:
        return sync_playwright().start()
    finally:
        asyncio.set_event_loop_policy(previous)
