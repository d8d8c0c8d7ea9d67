"""Search benchmark at scale: N generated products (words, regions, categories and prices
drawn from the demo data), for each N on a fresh private platform:

- indexing throughput: a burst of N ``catalog.product_published`` events published straight
  to the events exchange, timed until the search service's ``health()`` counts them all;
- search latency p50/p99 and queries/s of a fixed mix of 30 judged queries, straight to an
  in-process embedded engine holding the same N documents and through the gateway
  (``GET /api/v1/search``), side by side with the ratio;
- suggest p95 through the gateway (``GET /api/v1/suggest?q=`` on prefixes);
- freshness p50/p99 from POST /api/v1/products (201) to searchable, with N products indexed.

    make bench
    .venv/bin/python bench/search.py --sizes 10000,100000
    .venv/bin/python bench/search.py --sizes 100000 --postgres --indexing-only --profile var/profile-burst
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid

import httpx
from common import (
    SERVICE_PIDS,
    cpu_seconds,
    load_average,
    percentile,
    private_platform,
    py_spy_recorders,
    raw_consume_rate,
)
from freshness import freshness
from kombu import Connection, Producer
from relevance import DEMO, load_cases

from services.search.engine import SearchQuery, document_from_snapshot
from shared.contracts import ProductSnapshot
from shared.events import Event
from shared.regions import REGIONS
from shared.taxonomy import leaf_categories
from shared.topology import events_exchange

QUERY_MIX = 30
ROUNDS = 5


# --- data -------------------------------------------------------------------------------------

def generate_snapshots(count: int, seed: int = 4) -> list[ProductSnapshot]:
    """``count`` product snapshots: a demo product's name recombined with words from other
    demo names and descriptions, a demo merchant (its region and kind), a leaf category and a
    price near the template's."""
    rng = random.Random(seed)
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    categories = leaf_categories()
    templates = [(merchant, product) for merchant in data["merchants"] for product in merchant["products"]]
    name_words = sorted({w for _m, p in templates for w in p["name"].split() if w.isalpha() and len(w) > 2})
    desc_words = sorted({w.strip(".,;:()") for _m, p in templates for w in (p.get("description") or "").split()})
    desc_words = [w for w in desc_words if w.isalpha()]
    region_codes = sorted(REGIONS)
    category_slugs = sorted(categories)
    snapshots = []
    for n in range(count):
        merchant, product = rng.choice(templates)
        words = product["name"].split()
        words = words[: rng.randint(2, len(words))] if len(words) > 2 else words
        words += rng.sample(name_words, rng.randint(0, 2))
        description = " ".join((product.get("description") or "").split()[:12] + rng.sample(desc_words, 8))
        # Most products keep the template's category and region; some are spread elsewhere.
        slug = product["category"] if rng.random() < 0.8 else rng.choice(category_slugs)
        region = merchant["region"] if rng.random() < 0.7 else rng.choice(region_codes)
        category = categories[slug]
        pid = f"bench-{n:06d}-{uuid.uuid4().hex[:8]}"
        snapshots.append(ProductSnapshot.model_validate({
            "id": pid, "merchant_id": merchant["key"], "name": " ".join(words), "slug": pid,
            "description": description, "price": max(1000, int(product["price"] * rng.uniform(0.6, 1.5)) // 500 * 500),
            "stock": rng.randint(0, 50), "unit": product.get("unit", "pcs"),
            "category": {"slug": slug, "name": category["name"], "parent_slug": category["parent"]["slug"],
                         "parent_name": category["parent"]["name"]},
            "halal": bool(product.get("halal")), "status": "published", "region": region,
            "region_name": REGIONS[region],
            "merchant": {"id": merchant["key"], "name": merchant["name"], "kind": merchant["kind"],
                         "region": region, "verified": True, "status": "verified"},
            "version": 1, "created_at": "2025-01-01T00:00:00+00:00",
            "updated_at": f"2025-01-{1 + n % 28:02d}T00:00:00+00:00",
        }))
    return snapshots


def query_mix() -> list[str]:
    return [case["query"] for case in load_cases()[::2]][:QUERY_MIX]


def prefixes(queries: list[str]) -> list[str]:
    out = []
    for query in queries:
        word = query.split()[0].lower()
        out += [word[:3], word[:5]] if len(word) > 4 else [word[:3]]
    return out


# --- measurements -------------------------------------------------------------------------------

def documents_indexed(uri: str) -> int:
    from nameko.standalone.rpc import ClusterRpcClient

    with ClusterRpcClient(uri=uri, timeout=30) as rpc:
        return rpc.search.health()["documents"]


def promotion_products(uri: str) -> int:
    from nameko.standalone.rpc import ClusterRpcClient

    with ClusterRpcClient(uri=uri, timeout=30) as rpc:
        return rpc.promotion.health()["products"]


def event_bodies(snapshots: list[ProductSnapshot]) -> list[bytes]:
    return [json.dumps(Event(type="catalog.product_published", aggregate_id=s.id, aggregate_version=1,
                             payload=s.model_dump(mode="json")).to_dict(), ensure_ascii=False).encode("utf-8")
            for s in snapshots]


cpu_used: dict[str, float] = {}


def indexing_burst(uri: str, snapshots: list[ProductSnapshot], timeout: float,
                   follow_promotion: bool = False) -> tuple[float, float, int] | tuple[float, float, int, float]:
    """(publish seconds, seconds until all indexed, documents counted at the end[, seconds
    until the promotion service holds a fact of each product too])."""
    baseline = documents_indexed(uri)
    promotion_baseline = promotion_products(uri) if follow_promotion else 0
    bodies = event_bodies(snapshots)
    cpu_before = {name: cpu_seconds(pid) for name, pid in SERVICE_PIDS.items()}
    start = time.perf_counter()
    with Connection(uri) as connection:
        producer = Producer(connection.default_channel, exchange=events_exchange())
        for body in bodies:
            producer.publish(body, routing_key="catalog.product_published", content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2, headers={"event_type": "catalog.product_published"})
    published = time.perf_counter() - start
    del bodies
    target = baseline + len(snapshots)
    count = baseline
    indexed_at = None
    promoted_at = None if follow_promotion else start
    last_report = start
    cpu_used.clear()  # CPU seconds of the search (and promotion) process over the burst
    while indexed_at is None or promoted_at is None:
        time.sleep(0.5)
        now = time.perf_counter()
        if indexed_at is None:
            count = documents_indexed(uri)
            if count >= target:
                indexed_at = time.perf_counter()
        if promoted_at is None and promotion_products(uri) >= promotion_baseline + len(snapshots):
            promoted_at = time.perf_counter()
        if now - last_report > 30:
            print(f"    ... {count - baseline}/{len(snapshots)} indexed after {now - start:.0f} s", flush=True)
            last_report = now
        if now - start > timeout:
            break
        if indexed_at is not None and "search" in cpu_before and "search" not in cpu_used:
            cpu_used["search"] = cpu_seconds(SERVICE_PIDS["search"]) - cpu_before["search"]
    if "promotion" in cpu_before:
        cpu_used["promotion"] = cpu_seconds(SERVICE_PIDS["promotion"]) - cpu_before["promotion"]
    indexed_s = (indexed_at or time.perf_counter()) - start
    if not follow_promotion:
        return published, indexed_s, count - baseline
    return published, indexed_s, count - baseline, (promoted_at or time.perf_counter()) - start


def time_calls(call, inputs: list, rounds: int) -> list[float]:
    for item in inputs:  # warm up (caches, connections)
        call(item)
    timings = []
    for _ in range(rounds):
        for item in inputs:
            start = time.perf_counter()
            call(item)
            timings.append(time.perf_counter() - start)
    return timings


def embedded_engine(directory: str, snapshots: list[ProductSnapshot]):
    from services.search.embedded import EmbeddedEngine
    from shared.db import make_engine, make_session_factory
    from shared.migrations import upgrade

    url = f"sqlite:///{directory}/bench-search.sqlite"
    upgrade("search", url)
    engine = EmbeddedEngine(make_session_factory(make_engine(url)))
    engine.start()
    for i in range(0, len(snapshots), 5000):
        engine.upsert([document_from_snapshot(s) for s in snapshots[i:i + 5000]])
    return engine


def engine_timings(snapshots: list[ProductSnapshot], queries: list[str]) -> list[float]:
    """Search timings straight to an in-process embedded engine holding ``snapshots``."""
    with tempfile.TemporaryDirectory(prefix="etalase-bench-search-") as directory:
        engine = embedded_engine(directory, snapshots)
        return time_calls(lambda q: engine.search(SearchQuery(q=q, per_page=20)), queries, ROUNDS)


def ms(seconds: float) -> float:
    return seconds * 1000


def run_size(size: int, port: int, fresh_count: int, index_timeout: float, postgres: bool = False,
             indexing_only: bool = False, profile: str | None = None) -> dict:
    print(f"\n== N = {size:,} products ==", flush=True)
    started = time.perf_counter()
    snapshots = generate_snapshots(size)
    queries = query_mix()
    figures: dict = {"n": size, "database": "PostgreSQL" if postgres else "SQLite"}
    if not indexing_only:
        figures["engine"] = engine_timings(snapshots, queries)
        print(f"  engine loaded and measured in {time.perf_counter() - started:.0f} s", flush=True)
    with private_platform(port, postgres) as (base_url, uri, _):
        figures["raw_rate"] = raw_consume_rate(uri, event_bodies(snapshots))
        print(f"  raw kombu consume of the same {size:,} bodies: {figures['raw_rate']:,.0f} msg/s", flush=True)
        spies = py_spy_recorders(profile, ("search", "promotion"))
        published, elapsed, indexed, promoted = indexing_burst(uri, snapshots, index_timeout, follow_promotion=True)
        for spy in spies:
            spy.send_signal(2)  # py-spy writes its profile on SIGINT
            spy.wait()
        figures.update(publish_s=published, index_s=elapsed, indexed=indexed, promotion_s=promoted,
                       cpu=dict(cpu_used), load=load_average())
        print(f"  {indexed:,} indexed in {elapsed:.1f} s (published in {published:.1f} s); "
              f"the promotion service had them all after {promoted:.1f} s", flush=True)
        print_indexing(figures)
        del snapshots
        if indexing_only:
            return figures
        with httpx.Client(base_url=base_url, timeout=30) as http:
            def gateway_search(q):
                http.get("/api/v1/search", params={"q": q, "per_page": 20}).raise_for_status()

            def gateway_suggest(prefix):
                http.get("/api/v1/suggest", params={"q": prefix}).raise_for_status()

            figures["gateway"] = time_calls(gateway_search, queries, ROUNDS)
            figures["suggest"] = time_calls(gateway_suggest, prefixes(queries), ROUNDS)
        figures["fresh"] = freshness(base_url, fresh_count)
    return figures


def print_indexing(f: dict) -> None:
    rate = f["indexed"] / f["index_s"] if f["index_s"] else 0.0
    print(f"  indexing burst: {f['indexed']:,}/{f['n']:,} events in {f['index_s']:.1f} s = {rate:,.0f} events/s "
          f"(published in {f['publish_s']:.1f} s); raw kombu consume {f['raw_rate']:,.0f} msg/s, "
          f"share {rate / f['raw_rate']:.1%} (load {f['load']})")
    cpu = ", ".join(f"{name} {seconds * 1e6 / max(1, f['indexed']):,.0f}" for name, seconds in f["cpu"].items())
    if cpu:
        print(f"  CPU per event over the burst (us): {cpu}")


def print_table(f: dict) -> None:
    direct, gateway = f["engine"], f["gateway"]
    qps_direct, qps_gateway = len(direct) / sum(direct), len(gateway) / sum(gateway)
    print(f"\nSearch benchmark, N = {f['n']:,} products ({f['database']}, embedded engine, one broker, sequential client)")
    print(f"  {'':28s} {'engine':>12s} {'gateway':>12s} {'ratio':>8s}")
    for label, q in (("search p50 (ms)", 50), ("search p99 (ms)", 99)):
        a, b = ms(percentile(direct, q)), ms(percentile(gateway, q))
        print(f"  {label:28s} {a:12.2f} {b:12.2f} {b / a:7.1f}x")
    print(f"  {'search queries/s':28s} {qps_direct:12.1f} {qps_gateway:12.1f} {qps_direct / qps_gateway:7.1f}x")
    print(f"  {'suggest p95 (ms, gateway)':28s} {'':12s} {ms(percentile(f['suggest'], 95)):12.2f}")
    print_indexing(f)
    print(f"  promotion facts of the same burst: all after {f['promotion_s']:.1f} s = "
          f"{f['promotion_s'] / f['index_s']:.2f}x search's time")
    fresh = f["fresh"]
    print(f"  freshness write->searchable: p50 {ms(percentile(fresh, 50)):.1f} ms  p99 {ms(percentile(fresh, 99)):.1f} ms "
          f"(n={len(fresh)}, mean {ms(statistics.mean(fresh)):.1f} ms)")


def scaling(small: dict, large: dict) -> None:
    def line(name, fn, unit, higher_is_better=False):
        a, b = fn(small), fn(large)
        factor = b / a if a else float("nan")
        print(f"  {name:34s} {a:10.2f} -> {b:10.2f} {unit:6s} ({factor:.2f}x)")

    x = large["n"] / small["n"]
    print(f"\nScaling from {small['n']:,} to {large['n']:,} products ({x:.0f}x the data):")
    line("engine search p50", lambda f: ms(percentile(f["engine"], 50)), "ms")
    line("engine search p99", lambda f: ms(percentile(f["engine"], 99)), "ms")
    line("gateway search p50", lambda f: ms(percentile(f["gateway"], 50)), "ms")
    line("gateway search p99", lambda f: ms(percentile(f["gateway"], 99)), "ms")
    line("engine queries/s", lambda f: len(f["engine"]) / sum(f["engine"]), "q/s")
    line("gateway queries/s", lambda f: len(f["gateway"]) / sum(f["gateway"]), "q/s")
    line("suggest p95 (gateway)", lambda f: ms(percentile(f["suggest"], 95)), "ms")
    line("indexing throughput", lambda f: f["indexed"] / f["index_s"], "ev/s")
    line("freshness p50", lambda f: ms(percentile(f["fresh"], 50)), "ms")
    line("freshness p99", lambda f: ms(percentile(f["fresh"], 99)), "ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated product counts")
    parser.add_argument("--freshness", type=int, default=50, help="products written for the freshness figure")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--index-timeout", type=float, default=900, help="seconds to wait for a burst to be indexed")
    parser.add_argument("--postgres", action="store_true", help="run the platform on PostgreSQL instead of SQLite")
    parser.add_argument("--indexing-only", action="store_true",
                        help="only the indexing burst (no engine, gateway or freshness figures)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the search and promotion processes during each burst")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    results = []
    for size in sizes:
        results.append(run_size(size, args.port, args.freshness, args.index_timeout, args.postgres,
                                args.indexing_only, args.profile))
        if not args.indexing_only:
            print_table(results[-1])
    if len(results) >= 2 and not args.indexing_only:
        scaling(results[0], results[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
