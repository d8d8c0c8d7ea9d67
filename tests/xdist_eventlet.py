"""eventlet's monkey patch and pytest-xdist.

``tests/conftest.py`` patches when it is imported, before the folders' conftests and the
test modules import nameko, kombu and the services. Under pytest-xdist two kinds of process
import it:

- the controller, which collects nothing and runs no test: it hands tests to its workers
  through threads (one per worker, reading its pipe) and a queue, which a green
  ``threading`` would stop. It must not be patched. ``hands_tests_to_workers`` recognises it
  from its command line (``-n``/``--numprocesses``, ``--tx``), since the options are not
  parsed yet when the root conftest is imported; ``keep_xdist_threads_real`` checks the
  guess against the parsed options and stops with an error if it was wrong.
- a worker, which runs the tests in its main thread, is patched like a plain pytest run.
  A real thread of its own (execnet's receiver) reads the controller's commands and hands
  them over through locks and events. The patch made these green (it upgrades the RLocks
  that exist, and every lock, event or condition made afterwards is green), and a green
  primitive shared by two OS threads breaks: an event set by the receiver never wakes the
  main thread (the worker waits forever for its next test), a lock released to a waiter in
  the other thread fails with "Cannot switch to a different thread".
  ``keep_xdist_threads_real`` gives those objects, and what execnet makes from then on,
  the original ``threading``'s primitives. The tests, nameko and the services still see
  the green ``threading``.

pytest-xdist and execnet are pinned (pyproject.toml); a worker whose objects are not where
this module expects them stops with an error naming it, never with a hang.
"""
import os
import queue
import shlex
import sys
import threading

import eventlet
import pytest

REAL_THREADING = eventlet.patcher.original("threading")
REAL_QUEUE = eventlet.patcher.original("queue")


def hands_tests_to_workers(args: list[str] | None = None) -> bool:
    """Whether this pytest process is pytest-xdist's controller, from its command line and
    ``PYTEST_ADDOPTS`` (``-n N`` with N not 0, ``--numprocesses``, ``--tx``)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return False
    if args is None:
        args = sys.argv[1:] + shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    workers, gateways, disabled, collect_only = None, False, False, False
    rest = iter(args)
    for arg in rest:
        if arg in ("-n", "--numprocesses"):
            workers = next(rest, "0")
        elif arg.startswith("--numprocesses="):
            workers = arg.split("=", 1)[1]
        elif arg.startswith("-n") and not arg.startswith("--"):
            workers = arg[2:]
        elif arg == "--tx" or arg.startswith("--tx="):
            gateways = True
        elif arg == "-p":
            disabled = disabled or next(rest, "") == "no:xdist"
        elif arg == "-pno:xdist":
            disabled = True
        elif arg in ("--collect-only", "--collectonly", "--co"):
            collect_only = True  # xdist then leaves the controller to collect by itself
    if disabled or collect_only:
        return False
    return gateways or (workers is not None and workers.strip() != "0")


class RealThreadingExecModel:
    """What execnet's execution model makes in a patched worker: real primitives."""

    def Lock(self):  # noqa: N802 (execnet's names)
        return REAL_THREADING.RLock()

    def RLock(self):  # noqa: N802
        return REAL_THREADING.RLock()

    def Event(self):  # noqa: N802
        return REAL_THREADING.Event()

    @property
    def queue(self):
        return REAL_QUEUE


def _make_real(obj) -> int:
    """Replace the green locks and events among ``obj``'s attributes; returns how many."""
    replaced = 0
    for name, value in list(vars(obj).items()):
        if isinstance(value, threading._PyRLock):  # an RLock of the patched threading
            setattr(obj, name, REAL_THREADING.RLock())
            replaced += 1
        elif isinstance(value, threading.Event):
            # The event may be held elsewhere too (execnet keeps one in a local variable): its
            # condition is what makes the waiter's lock, so the condition is what changes.
            value._cond = REAL_THREADING.Condition(REAL_THREADING.Lock())
            replaced += 1
        elif isinstance(value, queue.Queue):
            raise pytest.UsageError(f"tests/xdist_eventlet.py: {type(obj).__name__}.{name} is a queue it cannot fix")
    return replaced


def _worker_shared_objects(config) -> list:
    """xdist's queue of tests to run and execnet's gateway, channel factory and pools."""
    interactors = [plugin for plugin in config.pluginmanager.get_plugins()
                   if hasattr(plugin, "torun") and hasattr(plugin, "channel")]
    try:
        (interactor,) = interactors
        gateway = interactor.channel.gateway
        pool = gateway._execpool
        shared = [interactor.torun, gateway, gateway._channelfactory, pool, gateway._receivepool]
        if pool._primary_thread_task is not None:  # the task running this pytest session
            shared.append(pool._primary_thread_task)
    except (ValueError, AttributeError) as error:
        raise pytest.UsageError(f"tests/xdist_eventlet.py does not know this pytest-xdist/execnet: {error!r}") from None
    return shared


def keep_xdist_threads_real(config) -> None:
    """In ``pytest_configure``: in a worker, give xdist's and execnet's shared objects real
    primitives; in the controller, check it was left unpatched."""
    patched = eventlet.patcher.is_monkey_patched("socket")
    if hasattr(config, "workerinput"):
        execmodel = type(_worker_shared_objects(config)[1].execmodel)
        for name in ("Lock", "RLock", "Event", "queue"):
            setattr(execmodel, name, RealThreadingExecModel.__dict__[name])
        replaced = sum(_make_real(obj) for obj in _worker_shared_objects(config))
        # at least: the test queue's lock and event, the gateway's lock, the factory's, the pool's
        if replaced < 5:
            raise pytest.UsageError(f"tests/xdist_eventlet.py replaced only {replaced} locks and events")
        return
    controller = (config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))
                  and not config.getoption("collectonly"))
    if controller == patched:
        raise pytest.UsageError(
            "tests/conftest.py guessed wrong whether this pytest process runs the tests (patched: "
            f"{patched}, pytest-xdist controller: {controller}): give -n/--numprocesses on the command "
            "line or in PYTEST_ADDOPTS, not in the ini file's addopts")
    if controller:
        # nameko's plugin warns that the process is not patched: the workers are.
        config.option.suppress_eventlet_notification = True
