"""The restart policy of `etalase run` (services/supervision.py), driven by a fake clock and
fake processes: backoff, reset after a steady run, giving up, and the status it reports."""
import json
import signal
from datetime import datetime, timedelta, timezone

import pytest

from services.supervision import GaveUp, RestartPolicy, Supervisor, exit_reason
from shared import supervisor_status


class FakeProcess:
    def __init__(self):
        self.code = None

    def poll(self):
        return self.code


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def world():
    clock = Clock()
    spawned: dict[str, list[FakeProcess]] = {}
    lines: list[str] = []
    statuses: list[dict] = []

    def spawn(name):
        process = FakeProcess()
        spawned.setdefault(name, []).append(process)
        return process

    supervisor = Supervisor(
        ("catalog", "search"), spawn, policy=RestartPolicy(), clock=clock,
        wall_clock=lambda: datetime(2026, 12, 5, 1, 0, tzinfo=timezone.utc) + timedelta(seconds=clock.now - 1000),
        report=lines.append, on_change=statuses.append,
    )
    supervisor.start()
    return supervisor, clock, spawned, lines, statuses


def crash(spawned, name, code=-signal.SIGKILL):
    spawned[name][-1].code = code


def restart_delays(supervisor, clock, spawned, name, crashes, ran=0.5):
    """Crash ``name`` ``crashes`` times, each after running ``ran`` seconds; the delay the
    supervisor waited before each restart."""
    delays = []
    for _ in range(crashes):
        clock.now += ran
        crash(spawned, name)
        supervisor.check()
        before = len(spawned[name])
        crashed_at = clock.now
        while len(spawned[name]) == before:
            clock.now += 0.25
            supervisor.check()
        delays.append(clock.now - crashed_at)
    return delays


def test_every_service_is_started_once_and_the_status_starts_at_zero(world):
    supervisor, clock, spawned, lines, statuses = world
    assert {name: len(processes) for name, processes in spawned.items()} == {"catalog": 1, "search": 1}
    assert statuses[-1] == {name: {"restarts": 0, "last_reason": None, "last_restart_at": None}
                            for name in ("catalog", "search")}
    supervisor.check()
    assert len(spawned["search"]) == 1  # nothing exited, nothing restarted


def test_a_killed_service_is_restarted_after_a_second_and_the_reason_is_kept(world):
    supervisor, clock, spawned, lines, statuses = world
    clock.now += 120  # a steady run
    crash(spawned, "search")
    supervisor.check()
    assert len(spawned["search"]) == 1  # not at once
    assert lines[-1] == "service search stopped unexpectedly (SIGKILL) after running 120.0 s; restarting in 1 s"
    clock.now += 0.9
    supervisor.check()
    assert len(spawned["search"]) == 1
    clock.now += 0.1
    supervisor.check()
    assert len(spawned["search"]) == 2
    assert lines[-1] == "service search restarted (restart 1)"
    assert statuses[-1]["search"] == {"restarts": 1, "last_reason": "SIGKILL",
                                      "last_restart_at": "2026-12-05T09:02:01+08:00"}  # WITA
    assert statuses[-1]["catalog"]["restarts"] == 0
    assert len(spawned["catalog"]) == 1


def test_fast_crashes_double_the_delay_up_to_the_limit():
    policy = RestartPolicy(first_delay=1, max_delay=30, max_fast_crashes=100)
    assert [policy.delay(n) for n in range(0, 8)] == [1, 1, 2, 4, 8, 16, 30, 30]


def test_backoff_doubles_while_crashes_are_fast(world):
    supervisor, clock, spawned, lines, statuses = world
    assert restart_delays(supervisor, clock, spawned, "catalog", 4) == [1, 2, 4, 8]
    assert statuses[-1]["catalog"]["restarts"] == 4


def test_a_steady_run_resets_the_backoff_and_the_crash_count(world):
    supervisor, clock, spawned, lines, statuses = world
    assert restart_delays(supervisor, clock, spawned, "catalog", 4) == [1, 2, 4, 8]
    # ran steadily (60 s or more): the next crash starts over at 1 s
    assert restart_delays(supervisor, clock, spawned, "catalog", 1, ran=61) == [1]
    # and four more fast crashes are allowed again before giving up
    assert restart_delays(supervisor, clock, spawned, "catalog", 4) == [1, 2, 4, 8]
    assert statuses[-1]["catalog"]["restarts"] == 9


def test_gives_up_after_five_fast_crashes_in_a_row(world):
    supervisor, clock, spawned, lines, statuses = world
    restart_delays(supervisor, clock, spawned, "search", 4)
    clock.now += 2
    crash(spawned, "search", code=1)
    with pytest.raises(GaveUp) as gave_up:
        supervisor.check()
    assert gave_up.value.service == "search"
    assert gave_up.value.crashes == 5
    assert str(gave_up.value) == ("service search crashed 5 times in a row, each time within 60 s of starting "
                                  "(last: exit code 1); giving up")
    assert statuses[-1]["search"]["last_reason"] == "exit code 1"
    assert len(spawned["search"]) == 5  # no sixth start


def test_slow_crashes_are_still_counted_in_a_row():
    """Crashes spread out by the backoff and a slow start still add up (a time window would not)."""
    clock = Clock()
    spawned: dict[str, list[FakeProcess]] = {}

    def spawn(name):
        spawned.setdefault(name, []).append(FakeProcess())
        return spawned[name][-1]

    supervisor = Supervisor(("gateway",), spawn, clock=clock)
    supervisor.start()
    restart_delays(supervisor, clock, spawned, "gateway", 4, ran=20)
    clock.now += 20
    crash(spawned, "gateway", code=1)
    with pytest.raises(GaveUp):
        supervisor.check()


def test_any_exit_is_a_crash_even_a_clean_one(world):
    supervisor, clock, spawned, lines, statuses = world
    clock.now += 5
    crash(spawned, "catalog", code=0)
    supervisor.check()
    assert "(exit code 0)" in lines[-1]
    clock.now += 1
    supervisor.check()
    assert len(spawned["catalog"]) == 2


@pytest.mark.parametrize("code, reason", [
    (-signal.SIGKILL, "SIGKILL"), (-signal.SIGTERM, "SIGTERM"), (-signal.SIGSEGV, "SIGSEGV"),
    (1, "exit code 1"), (0, "exit code 0"), (-200, "signal 200"),
])
def test_exit_reason(code, reason):
    assert exit_reason(code) == reason


def test_status_file_is_replaced_whole_and_read_back(tmp_path):
    path = tmp_path / "var" / supervisor_status.FILE_NAME
    status = {"search": {"restarts": 2, "last_reason": "SIGKILL", "last_restart_at": "2026-12-05T09:00:01+08:00"}}
    supervisor_status.write_status(path, status)
    supervisor_status.write_status(path, status)  # over an existing file
    assert supervisor_status.read_restarts(path) == status
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]  # no temporary file left
    assert json.loads(path.read_text()) == {"services": status}


@pytest.mark.parametrize("content", [None, "", "{", "[]", '{"services": {"search": {}}}', '{"services": 3}'])
def test_a_missing_or_broken_status_file_reads_as_unknown(tmp_path, content):
    path = tmp_path / supervisor_status.FILE_NAME
    if content is not None:
        path.write_text(content)
    assert supervisor_status.read_restarts(path) is None


def test_a_status_file_that_cannot_be_written_does_not_stop_the_supervising(tmp_path, capsys):
    from services.platform import Platform

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    platform = Platform(tmp_path / "nameko.yaml", "127.0.0.1", 1, restart_policy=RestartPolicy(),
                        status_file=blocker / supervisor_status.FILE_NAME)
    platform._write_status({"search": {"restarts": 1, "last_reason": "SIGKILL", "last_restart_at": None}})
    assert f"cannot write {blocker / supervisor_status.FILE_NAME}" in capsys.readouterr().err
