"""Fault tests of issue 14, on the platform as `etalase run` runs it (supervised): a stream
of product writes, each with its own Idempotency-Key and retried by the client until it is
answered, while (1) each service in turn is killed with SIGKILL, (2) RabbitMQ is stopped for
60 s. Nothing may be lost or made twice, the platform restarts what died, and search ends
equal to the catalog. The broker test is serial: make test runs it alone, after the others."""
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager

import httpx
import pytest

from services import platform as etalase_platform

from e2e_helpers import health, start_run, stop_run, unique_word, wait_for
from platform_fixtures import RunningPlatform, free_port, service_pid

pytestmark = pytest.mark.e2e

RETRYABLE = {409, 502, 503, 504}  # in progress, or a service or the broker out of reach
WRITE_DEADLINE = 180  # seconds one write may take, retries included


class KeyedWriter(threading.Thread):
    """Writes ``count`` products, one key each, retrying every write with its key until it
    is answered 201: what a careful client does."""

    def __init__(self, base_url: str, headers: dict, merchant_id: str, tag: str, count: int,
                 stops: tuple[int, ...] = ()):
        super().__init__(daemon=True)
        # Before write n of ``stops`` the writer waits for ``go_on``: the test breaks something
        # at that exact point, and the writes after it meet the breakage.
        self.stops = set(stops)
        self.stopped = threading.Event()
        self.go_on = threading.Event()
        self.base_url, self.headers, self.merchant_id, self.tag = base_url, headers, merchant_id, tag
        self.count = count
        self.done = 0  # writes answered 201
        self.retries = 0
        self.statuses: dict[str, int] = {}  # what the retried attempts met: status or error name
        self.created: dict[str, str] = {}  # key -> product id
        self.failure: str | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=15) as http:
            for n in range(self.count):
                if n in self.stops:
                    self.go_on.clear()
                    self.stopped.set()
                    if not self.go_on.wait(timeout=WRITE_DEADLINE):
                        self.failure = f"not told to go on after write {n}"
                        return
                key = f"{self.tag}-{n}-{uuid.uuid4().hex[:6]}"
                body = {"merchant_id": self.merchant_id, "name": f"Bagea {self.tag} nomor {n}", "price": 15000 + n,
                        "stock": 3, "category": "camilan", "description": "Kue sagu khas Kendari."}
                product_id = self._write(http, key, body)
                if product_id is None:
                    return
                self.created[key] = product_id
                self.done += 1

    def _write(self, http: httpx.Client, key: str, body: dict) -> str | None:
        deadline = time.monotonic() + WRITE_DEADLINE
        while time.monotonic() < deadline:
            try:
                response = http.post("/api/v1/products", json=body, headers={**self.headers, "Idempotency-Key": key})
            except httpx.TransportError as exc:  # the gateway itself is down or restarting
                self._met(type(exc).__name__)
                time.sleep(0.5)
                continue
            if response.status_code == 201:
                return response.json()["id"]
            if response.status_code not in RETRYABLE:
                self.failure = f"{key}: {response.status_code} {response.text[:300]}"
                return None
            self._met(str(response.status_code))
            time.sleep(0.5)
        self.failure = f"{key}: not answered within {WRITE_DEADLINE} s"
        return None

    def _met(self, what: str) -> None:
        self.retries += 1
        self.statuses[what] = self.statuses.get(what, 0) + 1


def search_ids(p: RunningPlatform, tag: str) -> set[str]:
    ids, page = set(), 1
    while True:
        response = p.http.get("/api/v1/search", params={"q": tag, "page": page, "per_page": 50})
        if response.status_code != 200:
            return set()
        items = response.json()["items"]
        ids |= {item["id"] for item in items}
        if len(items) < 50:
            return ids
        page += 1


@contextmanager
def supervised_owner(vhost_uri, tmp_path):
    """The platform as `etalase run` runs it, healthy, with a new owner and their merchant:
    yields (run, platform, its output file, owner headers, merchant id); stopped afterwards."""
    port, var_dir, output = free_port(), tmp_path / "var", tmp_path / "etalase-run.out"
    env = etalase_platform.child_env({"AMQP_URI": vhost_uri, "ETALASE_VAR_DIR": str(var_dir), "LOG_LEVEL": "INFO"})
    run = start_run(env, port, output)
    try:
        p = RunningPlatform(None, f"http://127.0.0.1:{port}", vhost_uri, var_dir, env)
        wait_for(lambda: health(p.base_url), 180, "healthy platform", run, output)
        owner = p.sign_up()
        yield run, p, output, owner, p.new_merchant(owner)
    finally:
        stop_run(run)


def wait_for_stop(writer: KeyedWriter, after: int) -> None:
    """Until the writer has made ``after`` writes and waits at its stop."""
    assert writer.stopped.wait(timeout=WRITE_DEADLINE), writer.failure or f"no {after} writes"
    writer.stopped.clear()
    assert writer.done == after


def check_nothing_lost_or_doubled(p, writer, headers, merchant_id, count, settle):
    assert writer.failure is None, writer.failure
    assert writer.done == count
    in_catalog = p.merchant_product_ids(headers, merchant_id)
    assert len(in_catalog) == count, f"{len(in_catalog)} products for {count} writes"  # 0 duplicated
    assert set(in_catalog) == set(writer.created.values())  # 0 lost: every answer is a product
    assert p.wait_until(lambda: search_ids(p, writer.tag) == set(in_catalog), timeout=settle), (
        f"search has {len(search_ids(p, writer.tag))} of {count}")


def test_sigkill_of_each_service_during_200_keyed_writes(vhost_uri, tmp_path):
    with supervised_owner(vhost_uri, tmp_path) as (run, p, output, owner, merchant_id):
        kills = (("catalog", 30), ("search", 70), ("promotion", 110), ("gateway", 150))
        writer = KeyedWriter(p.base_url, owner, merchant_id, unique_word("bagea"), 200,
                             stops=tuple(after for _, after in kills))
        writer.start()
        for service, after in kills:
            wait_for_stop(writer, after)
            pid = service_pid(run.pid, service)
            assert pid is not None, f"{service} is not running"
            subprocess.run(["kill", "-KILL", str(pid)], check=True)
            writer.go_on.set()  # the next writes meet the dead service, then its restart
            wait_for(lambda: service_pid(run.pid, service) not in (None, pid), 120, f"{service} restarted", run,
                     output)
        writer.join(timeout=WRITE_DEADLINE * 2)
        assert not writer.is_alive()
        report = wait_for(lambda: health(p.base_url), 120, "healthy platform after the kills", run, output)
        check_nothing_lost_or_doubled(p, writer, owner, merchant_id, 200, settle=60)
        restarts = {name: entry["restarts"] for name, entry in report["services"].items()}
        assert restarts == {"catalog": 1, "search": 1, "promotion": 1, "gateway": 1}, report
        print(f"\n200 keyed writes, each service SIGKILLed once: retries {writer.retries} {writer.statuses}")


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.mark.serial  # stops the machine's one RabbitMQ: nothing else may run meanwhile
def test_rabbitmq_stopped_for_60_seconds_during_keyed_writes(vhost_uri, tmp_path):
    with supervised_owner(vhost_uri, tmp_path) as (run, p, output, owner, merchant_id):
        writer = KeyedWriter(p.base_url, owner, merchant_id, unique_word("bagea"), 100, stops=(30,))
        writer.start()
        wait_for_stop(writer, 30)
        rabbitmqctl("stop_app")
        writer.go_on.set()  # the next writes meet the stopped broker
        try:
            time.sleep(60)
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
        back = time.monotonic()
        # The outbox drains within 30 s of the broker's return: what was written before and
        # during the outage (the writes then in flight among them) is in search by then.
        written_before = set(writer.created.values())
        assert p.wait_until(lambda: written_before <= search_ids(p, writer.tag), timeout=30), (
            f"{len(written_before - search_ids(p, writer.tag))} of {len(written_before)} writes not in search "
            "30 s after the broker came back")
        drained = time.monotonic() - back
        writer.join(timeout=WRITE_DEADLINE * 2)
        assert not writer.is_alive()
        check_nothing_lost_or_doubled(p, writer, owner, merchant_id, 100, settle=60)
        print(f"\n100 keyed writes, RabbitMQ stopped 60 s: retries {writer.retries} {writer.statuses}; "
              f"the {len(written_before)} earlier writes in search {drained:.1f} s after the broker came back")
