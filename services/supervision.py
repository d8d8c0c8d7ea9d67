"""What `etalase run` does when a service exits on its own: restart it after a growing delay,
and give up when it keeps crashing soon after starting.

Plain logic, no processes: the clock and the function that starts a service are passed in,
so the tests drive it with a fake clock and fake processes. ``services.platform.Platform``
gives it real subprocesses.

The policy (``RestartPolicy``):
- every exit the platform did not ask for is a crash, whatever the exit code (a signal such
  as SIGKILL included);
- a run shorter than ``steady_after`` is a *fast* crash. The delay before the restart is
  ``first_delay`` doubled for each fast crash in a row, at most ``max_delay``;
- a run of ``steady_after`` or longer was steady: the count and the delay start over;
- ``max_fast_crashes`` fast crashes in a row and the supervisor gives up (``GaveUp``).

Crashes in a row are counted rather than crashes within a time window: the delays spread
crashes out, so on a loaded machine where a service takes 15 s to crash at start, five of
them never fit in a 60 s window and a window rule would restart it forever.
"""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Protocol

from shared.formatting import WITA


class Process(Protocol):
    def poll(self) -> int | None: ...


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 1.0  # seconds before the first restart
    max_delay: float = 30.0  # the delay doubles up to this
    steady_after: float = 60.0  # a run this long resets the backoff and the crash count
    max_fast_crashes: int = 5  # this many fast crashes in a row: give up

    def delay(self, fast_crashes: int) -> float:
        """Seconds to wait before restarting after ``fast_crashes`` fast crashes in a row."""
        return min(self.first_delay * 2 ** max(fast_crashes - 1, 0), self.max_delay)


class GaveUp(Exception):
    def __init__(self, service: str, crashes: int, reason: str, policy: RestartPolicy):
        self.service = service
        self.crashes = crashes
        self.reason = reason
        super().__init__(
            f"service {service} crashed {crashes} times in a row, each time within "
            f"{policy.steady_after:g} s of starting (last: {reason}); giving up"
        )


def exit_reason(code: int) -> str:
    """``SIGKILL`` for a process killed by a signal (Popen's negative code), else ``exit code N``."""
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


@dataclass
class ServiceState:
    name: str
    process: Process | None = None  # None while waiting to restart
    started_at: float = 0.0  # on the supervisor's clock
    restart_at: float | None = None
    fast_crashes: int = 0  # in a row
    restarts: int = 0
    last_reason: str | None = None
    last_restart_at: datetime | None = None

    def status(self) -> dict:
        return {
            "restarts": self.restarts,
            "last_reason": self.last_reason,
            "last_restart_at": self.last_restart_at.astimezone(WITA).isoformat(timespec="seconds")
            if self.last_restart_at else None,
        }


@dataclass
class Supervisor:
    """Starts services with ``spawn(name)`` and, on each ``check()``, restarts those that
    exited. ``report`` receives one line per event for the operator; ``on_change`` is called
    with ``status()`` whenever it changes (the status file the gateway reads)."""

    services: Iterable[str]
    spawn: Callable[[str], Process]
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    report: Callable[[str], None] = lambda line: None
    on_change: Callable[[dict], None] = lambda status: None

    def __post_init__(self):
        self.states = {name: ServiceState(name) for name in self.services}

    def start(self) -> None:
        for state in self.states.values():
            self._spawn(state)
        self.on_change(self.status())

    def check(self) -> None:
        """Notice exits and start the restarts that are due; raises ``GaveUp``."""
        changed = False
        for state in self.states.values():
            if state.process is not None:
                code = state.process.poll()
                if code is not None:
                    self._exited(state, code)
                    changed = True
            elif state.restart_at is not None and self.clock() >= state.restart_at:
                self._spawn(state)
                state.restarts += 1
                state.last_restart_at = self.wall_clock()
                self.report(f"service {state.name} restarted (restart {state.restarts})")
                changed = True
        if changed:
            self.on_change(self.status())

    def status(self) -> dict[str, dict]:
        return {name: state.status() for name, state in self.states.items()}

    def _spawn(self, state: ServiceState) -> None:
        state.process = self.spawn(state.name)
        state.started_at = self.clock()
        state.restart_at = None

    def _exited(self, state: ServiceState, code: int) -> None:
        ran = self.clock() - state.started_at
        reason = exit_reason(code)
        state.process = None
        state.last_reason = reason
        state.fast_crashes = 0 if ran >= self.policy.steady_after else state.fast_crashes + 1
        if state.fast_crashes >= self.policy.max_fast_crashes:
            self.on_change(self.status())
            raise GaveUp(state.name, state.fast_crashes, reason, self.policy)
        delay = self.policy.delay(state.fast_crashes)
        state.restart_at = self.clock() + delay
        self.report(f"service {state.name} stopped unexpectedly ({reason}) after running {ran:.1f} s; "
                    f"restarting in {delay:g} s")
