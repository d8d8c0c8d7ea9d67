"""`make load`: a bounded load test on loopback, 1 against 2 replicas of search and gateway,
side by side in one run.

One private RabbitMQ vhost and one fresh data directory (SQLite, the default profile, with
the embedded search engine) serve the whole run. The first platform, ``search=1,gateway=1``,
seeds the demo data and waits until search holds every demo product; the second,
``search=2,gateway=2``, starts on the same data once the first has stopped (each search
replica loads the whole index from the shared store at start). Each is driven by a fixed
number of clients for a fixed time, then stopped; the products its clients created are
deleted before it stops, so both configurations search the same catalog:

- first the raw baseline: every client fetching the site's stylesheet (``/static/``: the
  gateway's HTTP alone, no RPC, no database), so the figures read as ratios against this
  machine's speed in this very run;
- then the mix: searches (words and pairs from the demo catalog's vocabulary, a quarter of
  them filtered by kabupaten), product pages (the HTML page ``/produk/<id>``) and writes (an
  owner signed in through the API creating products and changing their prices).

Each client keeps its connection for 50 requests, then opens a new one: the kernel spreads
new connections over the gateways sharing the port (SO_REUSEPORT), as it would for many
browsers. Throughput (requests/s) and p50/p99 latency per kind are printed for both
configurations, with the load average at start and end and the machine's core count.
Every request loop stops at its deadline; the platforms are stopped afterwards.

    .venv/bin/python bench/load.py                 # 60 s per configuration, 8 clients
    .venv/bin/python bench/load.py --seconds 10    # a quick check
"""
from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from common import load_average, percentile, platform_on, private_vhost

from services import platform as etalase_platform

CONFIGURATIONS = ({"search": 1, "gateway": 1}, {"search": 2, "gateway": 2})
MIX = (("search", 6), ("product page", 3), ("write", 1))  # weights out of 10
KINDS = ("static (raw)", "search", "product page", "write")
RECONNECT_EVERY = 50
STATIC_PATH = "/static/css/site.css"
REGIONS = ("7401", "7402", "7403", "7404", "7405", "7406", "7407", "7471", "7472")
PASSWORD = "kain-tenun-123"


# --- what the clients ask ------------------------------------------------------------


def vocabulary(demo: dict) -> list[str]:
    """Search queries from the demo catalog's own words: single words of product names
    (four letters or more) and pairs of neighbouring words."""
    words: set[str] = set()
    pairs: set[str] = set()
    for merchant in demo["merchants"]:
        for product in merchant["products"]:
            tokens = [token for token in re.findall(r"[a-z]+", product["name"].lower()) if len(token) >= 4]
            words.update(tokens)
            pairs.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))
    return sorted(words) + sorted(pairs)[: len(words) // 2]


@dataclass
class Target:
    """What a configuration's clients need: the platform's address, the queries, the ids
    of listed products, and a signed-in owner with a merchant for the writes."""
    base_url: str
    queries: list[str]
    product_ids: list[str]
    owner: dict[str, str]
    merchant_id: str


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    errors: Counter = field(default_factory=Counter)  # (kind, status or exception name)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float | None, error: str | None) -> None:
        with self.lock:
            if error is None and seconds is not None:
                self.latencies[kind].append(seconds)
            else:
                self.errors[(kind, error)] += 1

    def error_count(self, kind: str) -> int:
        return sum(count for (k, _), count in self.errors.items() if k == kind)


class Client:
    """One simulated user: its own connection (renewed every ``RECONNECT_EVERY`` requests),
    its own random draw and the products it created."""

    def __init__(self, target: Target, seed: int):
        self.target = target
        self.rng = random.Random(seed)
        self.http: httpx.Client | None = None
        self.sent = 0
        self.mine: list[tuple[str, int]] = []  # (product id, version) it created

    def connection(self) -> httpx.Client:
        if self.http is None or self.sent % RECONNECT_EVERY == 0:
            if self.http is not None:
                self.http.close()
            self.http = httpx.Client(base_url=self.target.base_url, timeout=30)
        self.sent += 1
        return self.http

    def close(self) -> None:
        if self.http is not None:
            self.http.close()

    def request(self, kind: str) -> httpx.Response:
        http = self.connection()
        if kind == "static (raw)":
            return http.get(STATIC_PATH)
        if kind == "search":
            params = {"q": self.rng.choice(self.target.queries), "per_page": 20}
            if self.rng.random() < 0.25:
                params["region"] = self.rng.choice(REGIONS)
            return http.get("/api/v1/search", params=params)
        if kind == "product page":
            return http.get(f"/produk/{self.rng.choice(self.target.product_ids)}")
        return self.write(http)

    def write(self, http: httpx.Client) -> httpx.Response:
        """Create a product (a third of the writes, or when it has none), else change the
        price of one it created, naming the version it last saw."""
        if not self.mine or self.rng.random() < 1 / 3:
            response = http.post("/api/v1/products", headers=self.target.owner, json={
                "merchant_id": self.target.merchant_id, "name": f"Kain Tenun Uji {uuid.uuid4().hex[:6]}",
                "description": "Kain tenun untuk uji beban.", "price": self.rng.randrange(50, 500) * 1000,
                "stock": 5, "category": "tenun", "halal": False,
            })
            if response.status_code == 201:
                self.mine.append((response.json()["id"], int(response.json().get("version") or 1)))
            return response
        index = self.rng.randrange(len(self.mine))
        product_id, version = self.mine[index]
        response = http.patch(f"/api/v1/products/{product_id}", headers={**self.target.owner, "If-Match": str(version)},
                              json={"price": self.rng.randrange(50, 500) * 1000})
        if response.status_code == 200:
            self.mine[index] = (product_id, int(response.json().get("version") or version + 1))
        return response


def drive(target: Target, clients: int, seconds: float, kinds: tuple[tuple[str, int], ...], tally: Tally | None,
          seed: int) -> tuple[float, list[str]]:
    """``clients`` threads sending requests of ``kinds`` (name, weight) for ``seconds``;
    each result goes to ``tally`` (None: a warm-up). Returns the seconds it took and the
    ids of the products the clients created."""
    names = [kind for kind, _ in kinds]
    weights = [weight for _, weight in kinds]
    barrier = threading.Barrier(clients + 1)
    deadline: list[float] = []
    created: list[str] = []

    def run(index: int) -> None:
        client = Client(target, seed * 1000 + index)
        try:
            barrier.wait()
            while time.monotonic() < deadline[0]:
                kind = client.rng.choices(names, weights)[0]
                started = time.perf_counter()
                try:
                    response = client.request(kind)
                    error = None if response.status_code < 400 else str(response.status_code)
                except httpx.HTTPError as exc:
                    error = exc.__class__.__name__
                    client.http = None  # a fresh connection after a transport error
                if tally is not None:
                    tally.add(kind, time.perf_counter() - started, error)
        finally:
            client.close()
            created.extend(product_id for product_id, _ in client.mine)

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    deadline.append(started + seconds)
    barrier.wait()
    for thread in threads:
        thread.join(seconds + 60)  # a request has a 30 s timeout past the deadline at most
    return time.monotonic() - started, created


# --- one configuration ---------------------------------------------------------------


def prepare(base_url: str, demo: dict, product_count: int, owner: tuple[dict, str] | None,
            timeout: float = 300) -> Target:
    """Wait until search lists every demo product, collect their ids, and sign up an owner
    with a merchant for the writes (``owner``: the one signed up before, on the same data)."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        deadline = time.monotonic() + timeout
        total = 0
        while time.monotonic() < deadline:
            response = http.get("/api/v1/search", params={"per_page": 1})
            total = response.json().get("total", 0) if response.status_code == 200 else 0
            if total >= product_count:
                break
            time.sleep(1)
        else:
            raise SystemExit(f"search holds {total} of the {product_count} demo products after {timeout:g} s")
        ids: list[str] = []
        page = 1
        while len(ids) < total and page <= 20:
            response = http.get("/api/v1/search", params={"per_page": 50, "page": page})
            response.raise_for_status()
            ids += [item["id"] for item in response.json()["items"]]
            page += 1
        if owner is None:
            owner = sign_up_owner(http)
    return Target(base_url, vocabulary(demo), ids, owner[0], owner[1])


def sign_up_owner(http: httpx.Client) -> tuple[dict, str]:
    """(bearer headers, merchant id) of a new owner with a new merchant."""
    email = f"beban-{uuid.uuid4().hex[:8]}@contoh.id"
    http.post("/api/v1/accounts", json={"email": email, "password": PASSWORD, "name": "Pemilik Uji Beban",
                                        "role": "owner"}).raise_for_status()
    token = http.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    merchant = http.post("/api/v1/merchants", headers=headers, json={
        "name": "Koperasi Uji Beban", "kind": "koperasi", "region": "7471", "whatsapp": "0812 3456 7890"})
    merchant.raise_for_status()
    return headers, merchant.json()["id"]


def delete_products(target: Target, product_ids: list[str]) -> None:
    """Delete what the clients created (not measured), so the next configuration searches
    the same catalog."""
    with httpx.Client(base_url=target.base_url, timeout=30) as http:
        for product_id in product_ids:
            response = http.delete(f"/api/v1/products/{product_id}", headers=target.owner)
            if response.status_code not in (204, 404):
                print(f"load: could not delete product {product_id}: {response.status_code}", flush=True)


@dataclass
class Result:
    label: str
    baseline: Tally
    baseline_seconds: float
    mix: Tally
    mix_seconds: float


def measure(replicas: dict[str, int], port: int, uri: str, data_dir, clients: int, seconds: float,
            baseline_seconds: float, warmup: float, owner: tuple[dict, str] | None) -> tuple[Result, tuple[dict, str]]:
    """One configuration on the shared data: (its result, the owner the writes use)."""
    from services.catalog import seed as catalog_seed

    label = f"search={replicas['search']}, gateway={replicas['gateway']}"
    print(f"load: starting the platform with {label} ...", flush=True)
    with platform_on(port, uri, data_dir, replicas) as base_url:
        demo = catalog_seed.load_demo_data()
        counts = etalase_platform.seed_demo(etalase_platform.load_config(), with_images=False)
        if counts:
            print(f"load: demo data loaded ({counts})", flush=True)
        product_count = sum(len(merchant["products"]) for merchant in demo["merchants"])
        print(f"load: waiting for search to hold the {product_count} demo products", flush=True)
        target = prepare(base_url, demo, product_count, owner)
        baseline = Tally()
        baseline_elapsed, _ = drive(target, clients, baseline_seconds, (("static (raw)", 1),), baseline, seed=1)
        _, warm_created = drive(target, clients, warmup, MIX, None, seed=2)
        print(f"load: {label}: measuring the mix for {seconds:g} s", flush=True)
        mix = Tally()
        mix_elapsed, created = drive(target, clients, seconds, MIX, mix, seed=3)
        delete_products(target, warm_created + created)
    return Result(label, baseline, baseline_elapsed, mix, mix_elapsed), (target.owner, target.merchant_id)


# --- the table -------------------------------------------------------------------------


def row(tally: Tally, kind: str, seconds: float) -> tuple[float, float | None, float | None, int]:
    """(requests/s, p50 ms, p99 ms, errors) of ``kind``."""
    latencies = tally.latencies[kind]
    rate = len(latencies) / seconds if seconds else 0.0
    if not latencies:
        return rate, None, None, tally.error_count(kind)
    return rate, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000, tally.error_count(kind)


def cells(values: tuple[float, float | None, float | None, int]) -> str:
    rate, p50, p99, errors = values

    def ms(value: float | None) -> str:
        return f"{value:8.1f}" if value is not None else f"{'-':>8}"

    return f"{rate:8.1f} {ms(p50)} {ms(p99)} {errors:5d}"


def print_table(results: list[Result], clients: int, seconds: float, started_load: str, ended_load: str) -> None:
    mix_text = " / ".join(f"{kind} {weight * 10}%" for kind, weight in MIX)
    print()
    print(f"Load test on loopback: {clients} clients, {seconds:g} s of mix per configuration ({mix_text}); "
          f"SQLite, embedded search engine, demo data")
    print(f"machine: {os.cpu_count()} cores; load average at start {started_load}, at end {ended_load}")
    print()
    width = 8 * 3 + 5 + 3
    print(f"{'':16}" + " | ".join(f"{result.label:^{width}}" for result in results) + " | 2 vs 1")
    print(f"{'kind':16}" + " | ".join(f"{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'err':>5}" for _ in results)
          + " | req/s")
    table: dict[str, list[tuple[float, float | None, float | None, int]]] = {}
    for kind in KINDS:
        table[kind] = [row(result.baseline, kind, result.baseline_seconds) if kind == "static (raw)"
                       else row(result.mix, kind, result.mix_seconds) for result in results]
    for kind in KINDS:
        rates = [values[0] for values in table[kind]]
        ratio = f"{rates[1] / rates[0]:5.2f}x" if len(rates) == 2 and rates[0] else "    -"
        print(f"{kind:16}" + " | ".join(cells(values) for values in table[kind]) + f" | {ratio}")
    mixes = []
    for result in results:
        every = [latency for kind, _ in MIX for latency in result.mix.latencies[kind]]
        errors = sum(result.mix.error_count(kind) for kind, _ in MIX)
        mixes.append((len(every) / result.mix_seconds, percentile(every, 50) * 1000 if every else None,
                      percentile(every, 99) * 1000 if every else None, errors))
    ratio = f"{mixes[1][0] / mixes[0][0]:5.2f}x" if len(mixes) == 2 and mixes[0][0] else "    -"
    print(f"{'all of the mix':16}" + " | ".join(cells(values) for values in mixes) + f" | {ratio}")
    raw = [table["static (raw)"][index][0] for index in range(len(results))]
    print(f"{'mix / raw req/s':16}" + " | ".join(f"{(mixes[i][0] / raw[i] if raw[i] else 0):^{width}.3f}"
                                                  for i in range(len(results))))
    for result in results:
        every_error = result.baseline.errors + result.mix.errors
        if every_error:
            listed = ", ".join(f"{kind} {error}: {count}" for (kind, error), count in every_error.most_common(6))
            print(f"errors with {result.label}: {listed}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="seconds of mix per configuration")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--baseline-seconds", type=float, help="seconds of the raw baseline (default: a sixth of --seconds, 2 at least)")
    parser.add_argument("--port", type=int, default=8771, help="the first configuration's port; the next one +1")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be from 1 to 600")
    if not 1 <= args.clients <= 64:
        parser.error("--clients must be from 1 to 64")
    baseline_seconds = args.baseline_seconds or max(2.0, args.seconds / 6)
    warmup = min(5.0, max(1.0, args.seconds / 6))
    # `timeout`, `kill`: stop the platform's processes (the finally blocks) before exiting
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    started_load = load_average()
    results: list[Result] = []
    owner = None
    with private_vhost() as uri, tempfile.TemporaryDirectory(prefix="etalase-load-") as data_dir:
        for index, replicas in enumerate(CONFIGURATIONS):
            result, owner = measure(replicas, args.port + index, uri, Path(data_dir), args.clients, args.seconds,
                                    baseline_seconds, warmup, owner)
            results.append(result)
    print_table(results, args.clients, args.seconds, started_load, load_average())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
