"""shared.background: the start / wake / wait / stop state of a green-thread loop."""
import time

import eventlet

from shared.background import BackgroundProvider, Wakeable


def test_wait_returns_at_once_after_a_wake_and_consumes_it():
    loop = Wakeable()
    loop.wake()
    loop.wake()  # two wakes before a wait count as one
    assert loop.woken
    assert loop.wait(5) is True
    assert not loop.woken
    assert loop.wait(0.01) is False  # nothing left: times out


def test_wake_cuts_a_wait_short():
    loop = Wakeable()
    eventlet.spawn_after(0.05, loop.wake)
    started = time.monotonic()
    assert loop.wait(10) is True
    assert time.monotonic() - started < 5


def test_a_loop_runs_until_stopped_and_is_woken_for_work():
    loop = Wakeable()
    done: list[int] = []
    work: list[int] = []

    def run():
        while loop.running:
            while work:
                done.append(work.pop())
            loop.wait(10)

    thread = loop.start(eventlet.spawn, run)
    assert loop.running
    work.append(1)
    loop.wake()
    eventlet.sleep(0.05)
    assert done == [1]
    loop.stop()
    thread.wait()  # returns once run() does
    assert thread.dead and not loop.running


def test_pause_ignores_wakes_but_not_a_stop():
    loop = Wakeable()
    loop.running = True
    eventlet.spawn_after(0.02, loop.wake)
    started = time.monotonic()
    loop.pause(0.3)
    assert time.monotonic() - started >= 0.25  # a wake does not cut a back-off short
    eventlet.spawn_after(0.02, loop.stop)
    started = time.monotonic()
    loop.pause(10)
    assert time.monotonic() - started < 5



class LoopWithoutContainer(BackgroundProvider):
    """A provider whose thread is a plain green thread (no nameko container needed)."""

    def _spawn(self, target):
        return eventlet.spawn(target)

    def run(self):
        while self.loop.running:
            self.loop.wait(10)
        eventlet.sleep(0.05)  # finishing the current piece of work


def test_a_provider_joins_its_thread_after_stop():
    worker = LoopWithoutContainer()
    assert worker.join(0.01) is True  # never started
    worker.start()
    assert worker.loop.running
    assert worker.join(0.05) is False  # still running
    worker.stop()
    assert worker.join(5) is True and not worker.loop.running
