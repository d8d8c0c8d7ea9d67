"""Platform-level operations shared by the command line and the tests: load the nameko
config, check the broker, migrate every service database, seed the demo data, and start
the four services as separate processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from services.replicas import SERVICES as SERVICES  # noqa: F401 - the services, in start order, for callers
from services.replicas import Replica, replica_plan
from services.supervision import GaveUp, RestartPolicy, Supervisor
from shared import supervisor_status

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "deploy" / "nameko.yaml"
DEMO_PASSWORD = "etalase-demo"


class BrokerUnreachable(RuntimeError):
    pass


def config_path() -> Path:
    return Path(os.environ.get("ETALASE_CONFIG", DEFAULT_CONFIG))


def load_config(path: Path | None = None) -> dict:
    """The nameko YAML config with ${VAR:default} substitution, as `nameko run` reads it."""
    from nameko.cli.utils.config import load_config as nameko_load_config

    with open(path or config_path()) as handle:
        return nameko_load_config(handle) or {}


def redact(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def check_broker(uri: str, timeout: float = 5.0) -> None:
    from kombu import Connection

    try:
        with Connection(uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot reach the broker"
        raise BrokerUnreachable(
            f"Cannot reach RabbitMQ at AMQP_URI={redact(uri)} ({exc.__class__.__name__}). "
            "Start a broker (`rabbitmq-server -detached`, or `docker compose up -d rabbitmq`) "
            "or point AMQP_URI at one."
        ) from None


def service_settings(config: dict) -> dict:
    from services.catalog.settings import CatalogSettings
    from services.gateway.settings import GatewaySettings
    from services.promotion.settings import PromotionSettings
    from services.search.settings import SearchSettings

    return {
        "gateway": GatewaySettings.load(config),
        "catalog": CatalogSettings.load(config),
        "search": SearchSettings.load(config),
        "promotion": PromotionSettings.load(config),
    }


def migrate_all(config: dict) -> None:
    from shared.migrations import upgrade

    for name, settings in service_settings(config).items():
        upgrade(name, settings.database_url)


def declare_events_topology(uri: str) -> None:
    from kombu import Connection

    from shared.topology import declare_topology

    with Connection(uri, connect_timeout=5) as connection:
        declare_topology(connection)


def seed_demo(config: dict, data_path: Path | None = None, with_images: bool = True) -> dict | None:
    """Create the demo owners and promoters (gateway) and the owners' merchants and products
    (catalog) once.

    Products go through the catalog's domain functions, so their events wait in the
    catalog outbox and reach search through the broker like any other change.
    ``with_images``: each product gets a drawn illustration as its photo, written under the
    catalog's media root (the directory the gateway serves /media/ from).
    Returns the counts, or None when the catalog already holds data.
    """
    from sqlalchemy import select

    from services.catalog import seed as catalog_seed
    from services.gateway import accounts
    from services.gateway.models import Account
    from shared.db import make_engine, make_session_factory

    settings = service_settings(config)
    catalog_engine = make_engine(settings["catalog"].database_url)
    gateway_engine = make_engine(settings["gateway"].database_url)
    try:
        with make_session_factory(catalog_engine)() as catalog_session:
            if catalog_seed.is_seeded(catalog_session):
                return None
        kwargs = {} if data_path is None else {"path": data_path}
        demo = catalog_seed.load_demo_data(**kwargs)
        owner_ids: dict[str, str] = {}
        with make_session_factory(gateway_engine)() as gateway_session:
            for merchant in demo["merchants"]:
                owner = merchant["owner"]
                existing = gateway_session.scalar(select(Account).where(Account.email == owner["email"].lower()))
                if existing is not None:
                    owner_ids[owner["email"]] = existing.id
                    continue
                account = accounts.create_account(
                    gateway_session, owner["email"], DEMO_PASSWORD, owner["name"], "owner"
                )
                owner_ids[owner["email"]] = account["id"]
            for promoter in demo.get("promoters", []):  # approved, so the demo can run campaigns
                if gateway_session.scalar(select(Account).where(Account.email == promoter["email"].lower())) is None:
                    accounts.create_account(gateway_session, promoter["email"], DEMO_PASSWORD, promoter["name"],
                                            "promoter", approved=True)
            gateway_session.commit()
        with make_session_factory(catalog_engine)() as catalog_session:
            media_root = settings["catalog"].media_root if with_images else None
            counts = catalog_seed.seed_demo(catalog_session, owner_ids, media_root=media_root, **kwargs)
            catalog_session.commit()
        return counts
    finally:
        catalog_engine.dispose()
        gateway_engine.dispose()


def service_command(service: str, config_file: Path) -> list[str]:
    return [sys.executable, "-m", "services.run_service", "run", "--config", str(config_file), f"services.{service}.service"]


def child_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


def stop_when_parent_dies() -> None:
    """In the child, before it runs the service: have Linux send it SIGTERM when the process
    that started it dies, so a SIGKILLed `etalase run` leaves no service behind (one would
    keep the gateway's port, which a new gateway shares through SO_REUSEPORT)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Platform:
    """The four services as child processes of one supervisor, ``replicas`` processes of
    each (default one; ``services.replicas``). Every process has its own name (``search``,
    or ``search-1``, ``search-2`` when there are several), log file and restart count.

    With a ``restart_policy`` (what `etalase run` passes) a process that exits is restarted
    by ``services.supervision.Supervisor`` and the restarts are written to ``status_file``
    for the gateway's /health; without one (the tests' platforms) an exit is reported and
    left to the caller."""

    def __init__(self, config_file: Path, host: str, port: int, env: dict | None = None, log_dir: Path | None = None,
                 restart_policy: RestartPolicy | None = None, status_file: Path | None = None,
                 replicas: dict[str, int] | None = None):
        self.config_file = config_file
        self.address = f"{host}:{port}"
        extra = {"WEB_SERVER_ADDRESS": self.address, **(env or {})}
        if status_file is not None:
            extra[supervisor_status.ENV_VAR] = str(status_file)
        self.env = child_env(extra)
        self.log_dir = log_dir
        self.status_file = status_file
        self.replicas: dict[str, Replica] = {replica.name: replica for replica in replica_plan(replicas or {})}
        self.processes: dict[str, subprocess.Popen] = {}
        self.supervision: Supervisor | None = None
        if restart_policy is not None:
            self.supervision = Supervisor(
                list(self.replicas), self.start_service, policy=restart_policy,
                report=lambda line: print(f"etalase: {line}", file=sys.stderr, flush=True),
                on_change=self._write_status,
            )

    def start(self, services=None) -> None:
        """Start every process (``services``: only these process names, without supervision)."""
        if self.supervision is not None:
            self.supervision.start()
            return
        for name in services or self.replicas:
            self.start_service(name)

    def log_file(self, name: str) -> Path | None:
        return None if self.log_dir is None else self.log_dir / f"{name}.log"

    def start_service(self, name: str) -> subprocess.Popen:
        """Start the process ``name`` (a service, or one of its replicas such as ``search-2``)."""
        replica = self.replicas.get(name)
        if replica is None:
            raise ValueError(f"no process {name!r} in this platform: {', '.join(self.replicas)}")
        log_file = self.log_file(name)
        stdout = None
        if log_file is not None:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            stdout = open(log_file, "ab")
        try:
            process = subprocess.Popen(
                service_command(replica.service, self.config_file),
                env={**self.env, **replica.env()},
                stdout=stdout,
                stderr=subprocess.STDOUT if stdout else None,
                preexec_fn=stop_when_parent_dies if self.supervision is not None else None,
            )
        finally:
            if stdout is not None:
                stdout.close()  # the child has its own copy
        self.processes[name] = process
        return process

    def _write_status(self, status: dict) -> None:
        if self.status_file is None:
            return
        # each entry also says which service the process runs, so /health can group replicas
        entries = {name: {"service": self.replicas[name].service, **entry} for name, entry in status.items()}
        try:
            supervisor_status.write_status(self.status_file, entries)
        except OSError as exc:  # a full disk must not stop the supervising: /health only loses the counts
            print(f"etalase: cannot write {self.status_file} ({exc})", file=sys.stderr, flush=True)

    def stop_service(self, service: str, timeout: float = 15) -> None:
        process = self.processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        for service in reversed(list(self.processes)):
            self.stop_service(service)

    def gave_up_message(self, error: GaveUp, tail_lines: int = 20) -> str:
        """The operator's message when a service keeps crashing: which, why, where its log is,
        and the end of that log."""
        log_file = self.log_file(error.service)
        if log_file is None:
            return f"{error}; its output is above. Stopping the platform."
        message = f"{error}. Stopping the platform. Its log: {log_file}"
        try:
            lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-tail_lines:]
        except OSError:
            return message
        return message + f"\n--- last lines of {log_file} ---\n" + "\n".join(lines)

    def wait_healthy(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.supervision is not None:
                self.supervision.check()  # restarts a service that crashed; GaveUp ends the wait
            else:
                for service, process in self.processes.items():
                    if process.poll() is not None:
                        raise RuntimeError(f"service {service} exited with code {process.returncode}")
            try:
                response = httpx.get(f"http://{self.address}/health", timeout=3)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise TimeoutError(f"platform not healthy after {timeout}s: {last}")

    def wait(self) -> int:
        """Without a restart policy: block until a service exits; return its exit code.
        With one: supervise until ``GaveUp`` is raised."""
        while self.supervision is not None:
            self.supervision.check()
            time.sleep(0.2)
        while True:
            for service, process in self.processes.items():
                code = process.poll()
                if code is not None:
                    print(f"etalase: service {service} stopped (exit code {code})", file=sys.stderr)
                    return code or 1
            time.sleep(0.5)


def dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
