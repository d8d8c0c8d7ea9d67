"""`etalase run` as an operator runs it: a SIGTERM (kill, systemd, docker stop) stops every
service it started, as Ctrl-C does, instead of leaving them running without it."""
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from services import platform as etalase_platform

from platform_fixtures import alive, children_of, free_port

pytestmark = pytest.mark.e2e


def test_sigterm_stops_every_service(vhost_uri, tmp_path):
    port = free_port()
    env = etalase_platform.child_env({"AMQP_URI": vhost_uri, "ETALASE_VAR_DIR": str(tmp_path / "var")})
    run = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "--no-seed", "--port", str(port)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    services: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert run.poll() is None, "etalase run exited before the platform was healthy"
            time.sleep(0.5)
        services = children_of(run.pid)
        assert len(services) == 4, services
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0
        assert [pid for pid in services if alive(pid)] == []
    finally:
        if run.poll() is None:
            run.kill()
        for pid in services + children_of(run.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)  # never leave a service behind, even when the test fails
