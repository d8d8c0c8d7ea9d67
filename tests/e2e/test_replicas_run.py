"""`etalase run --replicas search=2,gateway=2 --data-dir DIR`, the first thing a user tries:
six processes, both gateways answer on the one port, /health names every replica, a killed
replica is restarted alone, and SIGTERM stops them all."""
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from services import platform as etalase_platform

from e2e_helpers import health, stop_run, wait_for
from platform_fixtures import alive, children_of, free_port

pytestmark = pytest.mark.e2e

PROCESSES = {"catalog", "search-1", "search-2", "promotion", "gateway-1", "gateway-2"}


def replica_pid(run_pid: int, name: str) -> int | None:
    """The pid of the child of ``run_pid`` told it is replica ``name`` (ETALASE_REPLICA)."""
    for pid in children_of(run_pid):
        try:
            environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if f"ETALASE_REPLICA={name}".encode() in environ and alive(pid):
            return pid
    return None


def answering_gateways(base_url: str, attempts: int) -> set[str]:
    """Which gateway answered /health, over ``attempts`` new connections (the kernel spreads
    new connections over the sockets sharing the port, SO_REUSEPORT)."""
    seen = set()
    for _ in range(attempts):
        try:
            response = httpx.get(f"{base_url}/health", timeout=10)  # a new connection each time
        except httpx.HTTPError:
            continue
        if response.status_code == 200:
            seen.add(response.json().get("answered_by"))
        if len(seen) == 2:
            break
    return seen


def test_two_search_and_two_gateway_replicas_share_the_port_and_stop_together(vhost_uri, tmp_path):
    port, data_dir, output = free_port(), tmp_path / "data", tmp_path / "etalase-run.out"
    base_url = f"http://127.0.0.1:{port}"
    # ETALASE_VAR_DIR points elsewhere: --data-dir wins
    env = etalase_platform.child_env({"AMQP_URI": vhost_uri, "ETALASE_VAR_DIR": str(tmp_path / "elsewhere")})
    env.pop("ETALASE_DATA_DIR", None)
    env.pop("ETALASE_REPLICAS", None)
    with open(output, "wb") as handle:
        # seeding, as `make run` does (the seed's counts once replaced the replica counts)
        run = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "--port", str(port),
                                "--replicas", "search=2,gateway=2", "--data-dir", str(data_dir)],
                               env=env, stdout=handle, stderr=subprocess.STDOUT)
    services: list[int] = []
    try:
        body = wait_for(lambda: (h := health(base_url)) and set(h.get("services", {})) == PROCESSES and h,
                        180, "healthy platform naming every replica", run, output)
        assert {name: entry["service"] for name, entry in body["services"].items()} == {
            "catalog": "catalog", "search-1": "search", "search-2": "search", "promotion": "promotion",
            "gateway-1": "gateway", "gateway-2": "gateway"}
        assert all(entry["restarts"] == 0 for entry in body["services"].values())
        services = children_of(run.pid)
        assert len(services) == 6, services
        for name in PROCESSES:
            assert (data_dir / "logs" / f"{name}.log").is_file(), name
        assert (data_dir / "gateway.db").is_file() and not (tmp_path / "elsewhere").exists()
        text = output.read_text()
        assert "processes catalog, search-1, search-2, promotion, gateway-1, gateway-2" in text

        # both gateways answer on the one port; a search answers through either
        assert answering_gateways(base_url, 200) == {"gateway-1", "gateway-2"}
        for _ in range(10):
            searched = httpx.get(f"{base_url}/api/v1/search", params={"q": "tenun"}, timeout=10)
            assert searched.status_code == 200, searched.text

        # a killed replica is restarted alone, under its own name
        killed = replica_pid(run.pid, "search-2")
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        body = wait_for(lambda: (h := health(base_url)) and h["services"]["search-2"]["restarts"] == 1 and h,
                        180, "search-2 restarted", run, output)
        assert body["services"]["search-2"]["last_reason"] == "SIGKILL"
        assert body["services"]["search-1"]["restarts"] == 0
        assert "service search-2 stopped unexpectedly (SIGKILL)" in output.read_text()
        assert replica_pid(run.pid, "search-2") not in (None, killed)

        services = children_of(run.pid)
        assert len(services) == 6, services
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=90) == 0
        deadline = time.monotonic() + 30
        while [pid for pid in services if alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in services if alive(pid)] == []
    finally:
        stop_run(run)
