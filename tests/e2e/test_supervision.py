"""`etalase run` heals the platform: a service killed with SIGKILL is started again, the
platform keeps its data flowing, and /health counts the restart; a service that cannot
start makes `etalase run` give up with a message that names it and its log."""
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime

import pytest

from services import platform as etalase_platform

from e2e_helpers import health, start_run, stop_run, wait_for
from platform_fixtures import RunningPlatform, alive, children_of, free_port, service_pid

pytestmark = pytest.mark.e2e


def probe(service: str, env: dict, timeout: float = 5) -> subprocess.CompletedProcess:
    """The health check docker compose runs in each container (services/probe.py)."""
    return subprocess.run([sys.executable, "-m", "services.probe", service, "--timeout", str(timeout)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_killed_service_is_restarted_and_health_counts_it(vhost_uri, tmp_path):
    port, var_dir, output = free_port(), tmp_path / "var", tmp_path / "etalase-run.out"
    base_url = f"http://127.0.0.1:{port}"
    env = etalase_platform.child_env({"AMQP_URI": vhost_uri, "ETALASE_VAR_DIR": str(var_dir), "LOG_LEVEL": "INFO"})
    run = start_run(env, port, output)
    try:
        wait_for(lambda: health(base_url), 180, "healthy platform", run, output)
        probe_env = {**env, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
        for service in ("catalog", "search", "promotion", "gateway"):
            probed = probe(service, probe_env)
            assert (probed.returncode, probed.stdout.strip()) == (0, f"{service} healthy"), probed.stderr
        p = RunningPlatform(None, base_url, vhost_uri, var_dir, env)
        owner = p.sign_up()
        merchant_id = p.new_merchant(owner)
        for service in ("search", "catalog"):
            killed = service_pid(run.pid, service)
            assert killed is not None
            os.kill(killed, signal.SIGKILL)
            body = wait_for(lambda: (h := health(base_url)) and h["services"][service]["restarts"] == 1 and h,
                            180, f"{service} restarted and healthy", run, output)
            assert body["services"][service]["last_reason"] == "SIGKILL"
            restarted_at = datetime.fromisoformat(body["services"][service]["last_restart_at"])
            assert restarted_at.utcoffset().total_seconds() == 8 * 3600  # WITA
            assert service_pid(run.pid, service) not in (None, killed)

            word = f"tenunpulih{service}{os.getpid()}"
            created = p.http.post("/api/v1/products", headers=owner, json={
                "merchant_id": merchant_id, "name": f"Tenun {word}", "description": "Sarung tenun Buton.",
                "price": 250000, "stock": 3, "category": "tenun", "halal": False,
            })
            assert created.status_code == 201, created.text
            assert p.wait_until(lambda: created.json()["id"] in {item["id"] for item in p.search(q=word)["items"]},
                                timeout=60)

        body = health(base_url)
        assert body is not None
        assert {name: entry["restarts"] for name, entry in body["services"].items()} == {
            "catalog": 1, "search": 1, "promotion": 0, "gateway": 0}
        log = output.read_text()
        assert "service search stopped unexpectedly (SIGKILL)" in log
        assert "service catalog restarted (restart 1)" in log

        # a clean stop is still a stop: no restarts, every service gone, exit 0
        services = children_of(run.pid)
        assert len(services) == 4
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0
        assert [pid for pid in services if alive(pid)] == []
        probed = probe("gateway", probe_env, timeout=2)  # nothing answers now
        assert probed.returncode == 1 and probed.stderr.startswith("gateway unhealthy: "), probed.stderr
        assert "restarted (restart 2)" not in output.read_text()
    finally:
        stop_run(run)


def test_a_service_that_cannot_start_makes_run_give_up(vhost_uri, tmp_path):
    """The gateway's port is taken by another program: the gateway exits at every start,
    and after five fast crashes `etalase run` stops everything and says why."""
    var_dir, output = tmp_path / "var", tmp_path / "etalase-run.out"
    env = etalase_platform.child_env({"AMQP_URI": vhost_uri, "ETALASE_VAR_DIR": str(var_dir)})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = start_run(env, port, output)
        services: list[int] = []
        try:
            deadline = time.monotonic() + 300
            while run.poll() is None and time.monotonic() < deadline:
                services = sorted(set(services) | set(children_of(run.pid)))
                time.sleep(0.5)
            assert run.poll() == 1, output.read_text()[-3000:]
        finally:
            stop_run(run)
    text = output.read_text()
    log_file = var_dir / "logs" / "gateway.log"
    assert ("service gateway crashed 5 times in a row, each time within 60 s of starting (last: exit code 1); "
            f"giving up. Stopping the platform. Its log: {log_file}") in text, text[-3000:]
    assert "Address already in use" in text  # the end of the gateway's log, shown with the message
    assert text.count("service gateway restarted") == 4
    assert "service catalog stopped unexpectedly" not in text
    assert [pid for pid in services if alive(pid)] == []
    probed = probe("search", env, timeout=2)  # nothing answers now
    assert probed.returncode == 1
    assert probed.stderr.startswith("search unhealthy: "), probed.stderr


def test_services_stop_when_etalase_run_is_killed(vhost_uri, tmp_path):
    """SIGKILL gives `etalase run` no chance to stop its services: Linux sends each of them
    SIGTERM when it dies (PR_SET_PDEATHSIG), so none keeps running unsupervised."""
    port, var_dir, output = free_port(), tmp_path / "var", tmp_path / "etalase-run.out"
    env = etalase_platform.child_env({"AMQP_URI": vhost_uri, "ETALASE_VAR_DIR": str(var_dir)})
    run = start_run(env, port, output)
    services: list[int] = []
    try:
        wait_for(lambda: health(f"http://127.0.0.1:{port}"), 180, "healthy platform", run, output)
        services = children_of(run.pid)
        assert len(services) == 4
        run.kill()
        run.wait(timeout=30)
        deadline = time.monotonic() + 60
        while [pid for pid in services if alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert [pid for pid in services if alive(pid)] == []
    finally:
        stop_run(run)
        for pid in services:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
