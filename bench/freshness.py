"""Freshness benchmark: from the 201 of POST /api/v1/products until the product appears in
/api/v1/search, against the raw kombu publish->consume round trip on the same broker,
measured in the same run. Starts its own platform on a fresh vhost and temporary data.

    make bench                    # all benchmarks
    .venv/bin/python bench/freshness.py --products 500
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

import httpx
from common import letters, owner_with_merchant, percentile, private_platform
from kombu import Connection, Exchange, Queue


def raw_round_trips(uri: str, count: int) -> list[float]:
    """Publish one persistent, confirmed message and wait for a consumer to receive it."""
    exchange = Exchange("bench.raw", type="topic", durable=True)
    queue = Queue("bench.raw", exchange=exchange, routing_key="#", durable=True)
    timings = []
    with Connection(uri, transport_options={"confirm_publish": True}) as publish_conn, Connection(uri) as consume_conn:
        producer = publish_conn.Producer(exchange=exchange)
        queue(publish_conn.default_channel).declare()
        received: list[str] = []
        with consume_conn.Consumer(queue, callbacks=[lambda body, message: (received.append(body["n"]), message.ack())], accept=["json"]):
            for n in range(count):
                marker = uuid.uuid4().hex
                start = time.perf_counter()
                producer.publish({"n": marker}, routing_key="bench.raw", serializer="json", delivery_mode=2, declare=[queue])
                while marker not in received:
                    consume_conn.drain_events(timeout=5)
                timings.append(time.perf_counter() - start)
    return timings


def freshness(base_url: str, count: int) -> list[float]:
    http = httpx.Client(base_url=base_url, timeout=15)
    auth, merchant = owner_with_merchant(http)
    timings = []
    for n in range(count):
        word = "bench" + letters()
        response = http.post("/api/v1/products", headers=auth, json={
            "merchant_id": merchant, "name": f"Produk {word}", "description": "Benchmark.", "price": 10000 + n,
            "stock": 1, "category": "camilan"})
        response.raise_for_status()
        start = time.perf_counter()
        product_id = response.json()["id"]
        while True:
            items = http.get("/api/v1/search", params={"q": word}).json()["items"]
            if any(item["id"] == product_id for item in items):
                break
            if time.perf_counter() - start > 30:
                raise TimeoutError(f"product {product_id} not searchable after 30 s")
            time.sleep(0.002)
        timings.append(time.perf_counter() - start)
    return timings


def report(name: str, timings: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(timings, 50) * 1000, percentile(timings, 99) * 1000
    print(f"{name:<34} n={len(timings):<5} p50={p50:8.2f} ms  p99={p99:8.2f} ms  mean={statistics.mean(timings) * 1000:8.2f} ms")
    return p50, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with private_platform(args.port) as (base_url, uri, _):
        raw = raw_round_trips(uri, args.products)
        fresh = freshness(base_url, args.products)
    print(f"Freshness benchmark ({args.products} products, SQLite, embedded search engine, one broker)")
    raw_p50, raw_p99 = report("raw kombu publish->consume", raw)
    p50, p99 = report("POST 201 -> visible in search", fresh)
    print(f"ratio (freshness / raw)            p50={p50 / raw_p50:8.1f}x    p99={p99 / raw_p99:8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
