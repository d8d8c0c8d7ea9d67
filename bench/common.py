"""What the benchmarks share: a private platform (fresh vhost, temporary data directory)
and a signed-in owner with a merchant."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import httpx

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services import platform as etalase_platform  # noqa: E402

RABBIT_API = os.environ.get("RABBIT_API_URI", "http://127.0.0.1:15672")
# The process id of each service of the running private platform (CPU time per event).
SERVICE_PIDS: dict[str, int] = {}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def letters(n: int = 10) -> str:
    """A unique all-letter word (the search analyzer splits letters from digits)."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:n])


POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
SERVICE_NAMES = ("catalog", "search", "promotion", "gateway")


@contextlib.contextmanager
def fresh_postgres_databases(prefix: str = "etalase_bench"):
    """{service: url} of one fresh PostgreSQL database per service, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    names = {service: f"{prefix}_{uuid.uuid4().hex[:8]}_{service}" for service in SERVICE_NAMES}
    with admin.connect() as connection:
        for name in names.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield {service: f"{base}/{name}" for service, name in names.items()}
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def postgres_databases():
    """``fresh_postgres_databases`` named in the services' DATABASE_URL variables for the
    platform about to start."""
    with fresh_postgres_databases() as urls:
        for service, url in urls.items():
            os.environ[f"{service.upper()}_DATABASE_URL"] = url
        try:
            yield urls
        finally:
            for service in SERVICE_NAMES:
                os.environ.pop(f"{service.upper()}_DATABASE_URL", None)


@contextlib.contextmanager
def private_platform(port: int, postgres: bool = False, replicas: dict[str, int] | None = None):
    """Yield (base_url, amqp_uri, var_dir) of a platform started for this benchmark only
    (with ``postgres``, on fresh PostgreSQL databases instead of SQLite files; ``replicas``:
    processes per service, as `etalase run --replicas`)."""
    if postgres:
        with postgres_databases(), private_platform(port, replicas=replicas) as platform:
            yield platform
        return
    with private_vhost() as uri:
        var_dir = Path(tempfile.mkdtemp(prefix="etalase-bench-"))
        with platform_on(port, uri, var_dir, replicas) as base_url:
            yield base_url, uri, var_dir


@contextlib.contextmanager
def private_vhost():
    """Yield the AMQP URI of a new RabbitMQ virtual host, deleted afterwards."""
    auth = ("guest", "guest")
    vhost = f"etalase_bench_{uuid.uuid4().hex[:8]}"
    httpx.put(f"{RABBIT_API}/api/vhosts/{vhost}", auth=auth).raise_for_status()
    httpx.put(f"{RABBIT_API}/api/permissions/{vhost}/guest", auth=auth,
              json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        httpx.delete(f"{RABBIT_API}/api/vhosts/{vhost}", auth=auth)


@contextlib.contextmanager
def platform_on(port: int, uri: str, var_dir: Path, replicas: dict[str, int] | None = None):
    """Yield the base URL of the platform's processes on ``uri`` with their data in
    ``var_dir`` (migrated first; a directory an earlier platform used keeps its data),
    stopped afterwards."""
    # both names: ETALASE_DATA_DIR wins over ETALASE_VAR_DIR, and may be set in the shell
    os.environ.update({"AMQP_URI": uri, "ETALASE_VAR_DIR": str(var_dir), "ETALASE_DATA_DIR": str(var_dir)})
    env = etalase_platform.child_env({"LOG_LEVEL": "WARNING"})
    config = etalase_platform.load_config()
    etalase_platform.migrate_all(config)
    etalase_platform.declare_events_topology(uri)
    supervisor = etalase_platform.Platform(etalase_platform.config_path(), "127.0.0.1", port, env=env,
                                           log_dir=var_dir / "logs", replicas=replicas)
    supervisor.start()
    SERVICE_PIDS.update({name: process.pid for name, process in supervisor.processes.items()})
    try:
        supervisor.wait_healthy(timeout=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        SERVICE_PIDS.clear()
        supervisor.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc), 0.0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def py_spy_recorders(directory: str | None, services: tuple[str, ...], rate: int = 200,
                     output_format: str = "raw") -> list[subprocess.Popen]:
    """py-spy recording the platform's ``services`` into ``directory`` (one file each; stop
    them with SIGINT, which makes py-spy write its profile); none without a directory."""
    if not directory:
        return []
    Path(directory).mkdir(parents=True, exist_ok=True)
    py_spy = Path(sys.executable).parent / "py-spy"
    suffix = "json" if output_format == "speedscope" else "txt"
    return [subprocess.Popen([str(py_spy), "record", "--pid", str(SERVICE_PIDS[name]), "--rate", str(rate),
                              "--format", output_format, "--output", f"{directory}/{name}.{suffix}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name in services]


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, to print beside a timing."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def raw_consume_rate(uri: str, bodies: list[bytes], prefetch: int = 200) -> float:
    """The broker's own pace for ``bodies``, in messages/s: published persistent to a fresh
    queue, then consumed with plain kombu, one ack per message, ``prefetch`` in flight. The
    raw baseline an event consumer is measured against in the same run."""
    from kombu import Connection, Consumer, Producer, Queue

    queue = Queue(f"bench.raw.{uuid.uuid4().hex[:8]}", durable=True, auto_delete=False)
    with Connection(uri) as connection:
        channel = connection.channel()
        bound = queue(channel)
        bound.declare()
        producer = Producer(channel)
        for body in bodies:
            producer.publish(body, routing_key=queue.name, delivery_mode=2, content_type="application/json",
                             content_encoding="utf-8")
        received = 0

        def on_message(_body, message):
            nonlocal received
            message.ack()
            received += 1

        start = time.perf_counter()
        with Consumer(channel, [queue], callbacks=[on_message], prefetch_count=prefetch):
            while received < len(bodies):
                connection.drain_events(timeout=30)
        elapsed = time.perf_counter() - start
        bound.delete()
    return len(bodies) / elapsed


def raw_round_trip_seconds(uri: str, count: int, size: int = 1024) -> float:
    """The broker's own time for ``count`` persistent messages of ``size`` bytes: published
    with plain kombu while another connection consumes them (one ack each, prefetch 200);
    seconds from the first publish to the last ack. The raw baseline of a pipeline that moves
    that many events (a campaign's pricing, an import), measured in the same run."""
    import threading

    from kombu import Connection, Consumer, Producer, Queue

    queue = Queue(f"bench.raw.{uuid.uuid4().hex[:8]}", durable=True, auto_delete=False)
    body = b"x" * size
    ready, done = threading.Event(), threading.Event()

    def consume() -> None:
        received = 0

        def on_message(_body, message):
            nonlocal received
            message.ack()
            received += 1

        with Connection(uri) as connection:
            channel = connection.channel()
            queue(channel).declare()
            with Consumer(channel, [queue], callbacks=[on_message], prefetch_count=200):
                ready.set()
                while received < count:
                    connection.drain_events(timeout=60)
            queue(channel).delete()
        done.set()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    ready.wait(30)
    start = time.perf_counter()
    with Connection(uri) as connection:
        producer = Producer(connection.default_channel)
        for _ in range(count):
            producer.publish(body, routing_key=queue.name, delivery_mode=2)
    done.wait(300)
    return time.perf_counter() - start


def owner_with_merchant(http: httpx.Client, region: str = "7471") -> tuple[dict, str]:
    email = f"bench-{uuid.uuid4().hex[:8]}@contoh.id"
    http.post("/api/v1/accounts", json={"email": email, "password": "kain-tenun-123", "name": "Bench", "role": "owner"}).raise_for_status()
    token = http.post("/api/v1/sessions", json={"email": email, "password": "kain-tenun-123"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    response = http.post("/api/v1/merchants", headers=auth, json={
        "name": "UMKM Bench", "kind": "umkm", "region": region, "whatsapp": "081234567890"})
    response.raise_for_status()
    return auth, response.json()["id"]
