"""One green-thread loop per background job of a service: the outbox relay, the import
runner, the query analytics and interaction flushers, the search event batcher.

Each such job runs from the container's start to its stop, sleeps until there is work or a
poll interval passes, and can be woken early (after a commit, when a buffer fills up).
``Wakeable`` is that state, written once; ``BackgroundProvider`` runs a nameko provider's
``run`` method in a managed green thread with it.
"""
from __future__ import annotations

from typing import Any, Callable

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider


class Wakeable:
    """The running flag and wake-up signal of one background loop.

    The loop's body checks ``running``, does its work and then ``wait``\\ s; ``wake`` cuts a
    wait short (many wakes before the next wait count as one); ``stop`` clears ``running``
    and wakes the loop so that it can return.
    """

    def __init__(self) -> None:
        self.running = False
        self._wake = GreenEvent()

    def start(self, spawn: Callable[[Callable[[], Any]], Any], target: Callable[[], Any]) -> Any:
        """Mark the loop running and start ``target`` with ``spawn`` (eventlet.spawn, or a
        nameko container's ``spawn_managed_thread``); returns what ``spawn`` returns."""
        self.running = True
        return spawn(target)

    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(None)

    @property
    def woken(self) -> bool:
        """Whether a wake is waiting to be taken by the next ``wait``."""
        return bool(self._wake.ready())

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until woken or ``timeout`` seconds pass (forever when None); True when woken.
        A wake that came before the call returns at once. Either way the signal is consumed."""
        woken = bool(self._wake.ready())
        if not woken:
            if timeout is None:
                self._wake.wait()
                woken = True
            else:
                with eventlet.Timeout(timeout, False):
                    self._wake.wait()
                woken = bool(self._wake.ready())
        self._wake = GreenEvent()
        return woken

    def pause(self, seconds: float, step: float = 0.1) -> None:
        """Sleep ``seconds`` without being woken (a back-off while the broker is down: a commit
        does not help then); only ``stop`` cuts it short."""
        hub = eventlet.hubs.get_hub()
        end = hub.clock() + seconds
        while self.running and hub.clock() < end:
            eventlet.sleep(min(step, max(end - hub.clock(), 0)))

    def stop(self) -> None:
        self.running = False
        self.wake()


class BackgroundProvider(DependencyProvider):
    """A nameko dependency provider with one managed green thread running ``run``.

    Subclasses implement ``run`` as a loop over ``self.loop.running`` and name the thread with
    ``thread_name``; they override ``stop``/``kill`` only to add their own clean-up (calling
    ``super()``). The thread is started in ``start``, after every provider's ``setup``.
    """

    thread_name = "background"

    def __init__(self) -> None:
        self.loop = Wakeable()
        self.thread: Any = None  # the green thread running ``run``, once started

    def start(self) -> None:
        self.thread = self.loop.start(self._spawn, self.run)

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for ``run`` to return (after ``stop``, to let the
        current piece of work finish); True when it has returned or never started."""
        if self.thread is None:
            return True
        with eventlet.Timeout(timeout, False):
            try:
                self.thread.wait()
            except Exception:  # noqa: BLE001 - run's own failure is logged by the container
                pass
        return bool(self.thread.dead)

    def _spawn(self, target: Callable[[], Any]) -> Any:
        return self.container.spawn_managed_thread(target, identifier=self.thread_name)

    def run(self) -> None:
        raise NotImplementedError

    def wake(self) -> None:
        self.loop.wake()

    def stop(self) -> None:
        self.loop.stop()

    def kill(self) -> None:
        self.loop.stop()
