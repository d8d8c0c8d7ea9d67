"""The real platform as processes on a fresh RabbitMQ vhost, shared by the end-to-end tests
(tests/e2e) and the browser tests (tests/browser).

``fresh_vhost()`` and ``platform_on(amqp_uri, var_dir)`` start them; the module-scoped
fixtures ``vhost_uri`` and ``running_platform`` give each test module its own platform. A
conftest imports the fixtures it needs (pytest registers fixtures a conftest imports)::

    from platform_fixtures import RunningPlatform, running_platform, vhost_uri  # noqa: F401
"""
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from services import platform as etalase_platform

RABBIT_API = os.environ.get("RABBIT_API_URI", "http://127.0.0.1:15672")


def free_port() -> int:
    """A port nobody listens on, from the OS. Under pytest-xdist each worker takes only its own
    share of the ports (``port // 2`` modulo the workers: Linux gives odd ports to ``bind``),
    so that two workers are never handed the same port between asking and listening. That
    would fail quietly: a gateway listens with SO_REUSEPORT (eventlet's default), so both
    gateways would start, each answering some of the other's requests."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if (port // 2) % workers == int(worker.removeprefix("gw")):
            return port


# --- the processes of a platform (/proc) ---------------------------------------------


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid``."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def service_pid(run_pid: int, service: str) -> int | None:
    """The pid of ``service`` among the children of ``run_pid`` (an `etalase run`), or None."""
    for pid in children_of(run_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"services.{service}.service".encode() in command and alive(pid):
            return pid
    return None


@contextmanager
def fresh_vhost():
    """A new RabbitMQ virtual host (made through the management API), deleted afterwards;
    yields its AMQP URI."""
    vhost = f"etalase_e2e_{uuid.uuid4().hex[:8]}"
    auth = ("guest", "guest")
    httpx.put(f"{RABBIT_API}/api/vhosts/{vhost}", auth=auth).raise_for_status()
    httpx.put(
        f"{RABBIT_API}/api/permissions/{vhost}/guest", auth=auth,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        httpx.delete(f"{RABBIT_API}/api/vhosts/{vhost}", auth=auth)


@pytest.fixture(scope="module")
def vhost_uri():
    with fresh_vhost() as amqp_uri:
        yield amqp_uri


class RunningPlatform:
    def __init__(self, supervisor, base_url, amqp_uri, var_dir, env):
        self.supervisor = supervisor
        self.base_url = base_url
        self.amqp_uri = amqp_uri
        self.var_dir = var_dir
        self.env = env
        self.http = httpx.Client(base_url=base_url, timeout=15)
        self._admin: dict | None = None

    def etalase(self, *args, stdin=None):
        return subprocess.run(
            [sys.executable, "-m", "services.cli", *args], env=self.env, input=stdin,
            capture_output=True, text=True, timeout=120,
        )

    def sign_up(self, role="owner", approved=True):
        """Bearer headers of a new account; a promoter is approved by an admin unless ``approved``
        is False (a new promoter starts pending and cannot schedule campaigns)."""
        email = f"{role}-{uuid.uuid4().hex[:8]}@contoh.id"
        response = self.http.post("/api/v1/accounts", json={"email": email, "password": "kain-tenun-123", "name": "Wa Ode Tester", "role": role})
        assert response.status_code == 201, response.text
        if role == "promoter" and approved:
            self.approve_promoter(response.json()["id"])
        token = self.http.post("/api/v1/sessions", json={"email": email, "password": "kain-tenun-123"}).json()["token"]
        return {"Authorization": f"Bearer {token}"}

    def admin_headers(self) -> dict:
        """Bearer headers of this platform's admin, made once with `etalase admin create`."""
        if self._admin is None:
            email, password = f"kurator-{uuid.uuid4().hex[:8]}@dinas.example", "sangat-rahasia-123"
            created = self.etalase("admin", "create", "--email", email, "--name", "Kurator Dinas", "--password-stdin",
                                   stdin=password + "\n")
            assert created.returncode == 0, created.stderr
            token = self.http.post("/api/v1/sessions", json={"email": email, "password": password}).json()["token"]
            self._admin = {"Authorization": f"Bearer {token}"}
        return self._admin

    def approve_promoter(self, account_id: str) -> None:
        response = self.http.post(f"/api/v1/admin/accounts/{account_id}/approval", headers=self.admin_headers(),
                                  json={"decision": "approved"})
        assert response.status_code == 200, response.text

    def new_merchant(self, headers, region="7402"):
        response = self.http.post("/api/v1/merchants", headers=headers, json={
            "name": "Koperasi Mete Sejahtera", "kind": "koperasi", "region": region, "whatsapp": "0812 3456 7890",
        })
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def merchant_product_ids(self, headers: dict, merchant_id: str) -> list[str]:
        """Every product of the merchant as its owner sees them (drafts too), page by page."""
        ids, page = [], 1
        while True:
            response = self.http.get(f"/api/v1/merchants/{merchant_id}/products", headers=headers,
                                     params={"page": page, "per_page": 100})
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            ids += [item["id"] for item in items]
            if len(items) < 100:
                return ids
            page += 1

    def search(self, **params):
        response = self.http.get("/api/v1/search", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_until(self, predicate, timeout=15, interval=0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(interval)
        return False


@contextmanager
def platform_on(amqp_uri: str, var_dir: Path, extra_env: dict | None = None, replicas: dict | None = None,
                start=None):
    """The four services as processes on ``amqp_uri``, their data and logs in ``var_dir``,
    migrated and healthy (``extra_env`` added to their environment); yields a
    ``RunningPlatform`` and stops the processes afterwards. ``replicas``: processes per
    service (``services.replicas``); ``start(name)``: whether to start that process now
    (the others are the test's to start)."""
    port = free_port()
    env = etalase_platform.child_env({"AMQP_URI": amqp_uri, "ETALASE_VAR_DIR": str(var_dir), "LOG_LEVEL": "INFO",
                                      **(extra_env or {})})
    migrated = subprocess.run([sys.executable, "-m", "services.cli", "migrate"], env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    etalase_platform.declare_events_topology(amqp_uri)
    supervisor = etalase_platform.Platform(
        etalase_platform.config_path(), "127.0.0.1", port, env=env, log_dir=Path(var_dir) / "logs", replicas=replicas
    )
    supervisor.start([name for name in supervisor.replicas if start is None or start(name)])
    try:
        supervisor.wait_healthy(timeout=60)
        yield RunningPlatform(supervisor, f"http://127.0.0.1:{port}", amqp_uri, Path(var_dir), env)
    finally:
        supervisor.stop()


@pytest.fixture(scope="module")
def running_platform(vhost_uri, tmp_path_factory):
    with platform_on(vhost_uri, tmp_path_factory.mktemp("var")) as platform:
        yield platform
