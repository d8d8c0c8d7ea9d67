"""Helpers of the end-to-end tests: unique words, and `etalase run` as an operator runs it."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from platform_fixtures import alive, children_of


def unique_word(prefix: str) -> str:
    """A word no other product has, all letters (the analyzer splits letters from digits)."""
    return prefix + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


def health(base_url: str) -> dict | None:
    try:
        response = httpx.get(f"{base_url}/health", timeout=5)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def start_run(env: dict, port: int, output: Path) -> subprocess.Popen:
    with open(output, "wb") as handle:
        return subprocess.Popen([sys.executable, "-m", "services.cli", "run", "--no-seed", "--port", str(port)],
                                env=env, stdout=handle, stderr=subprocess.STDOUT)


def stop_run(run: subprocess.Popen) -> None:
    """SIGTERM, as an operator stops it; never leave a service behind, even when a test fails."""
    services = children_of(run.pid)
    if run.poll() is None:
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
    for pid in services + children_of(run.pid):
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def wait_for(predicate, timeout: float, what: str, run: subprocess.Popen, output: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        assert run.poll() is None, f"etalase run exited while waiting for {what}:\n{output.read_text()[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"no {what} within {timeout} s:\n{output.read_text()[-3000:]}")
