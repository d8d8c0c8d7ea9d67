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

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "deploy" / "nameko.yaml"
SERVICES = ("catalog", "search", "promotion", "gateway")
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


class Platform:
    """The four services as child processes of one supervisor."""

    def __init__(self, config_file: Path, host: str, port: int, env: dict | None = None, log_dir: Path | None = None):
        self.config_file = config_file
        self.address = f"{host}:{port}"
        self.env = child_env({"WEB_SERVER_ADDRESS": self.address, **(env or {})})
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, services=SERVICES) -> None:
        for service in services:
            self.start_service(service)

    def start_service(self, service: str) -> None:
        stdout = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            stdout = open(self.log_dir / f"{service}.log", "ab")
        env = dict(self.env)
        self.processes[service] = subprocess.Popen(
            service_command(service, self.config_file),
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
        )

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

    def wait_healthy(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
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
        """Block until a service exits; return its exit code."""
        while True:
            for service, process in self.processes.items():
                code = process.poll()
                if code is not None:
                    print(f"etalase: service {service} stopped (exit code {code})", file=sys.stderr)
                    return code or 1
            time.sleep(0.5)


def dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
