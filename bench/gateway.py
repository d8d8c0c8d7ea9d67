"""Gateway search against the engine alone, at N products (10,000 by default), on a fresh
private platform:

- gateway search p50/p99 (``GET /api/v1/search``, one client, the 30 judged queries of
  bench/search.py), next to the p50 of an in-process embedded engine holding the same N
  documents and answering the same queries: the difference is the cost of the trip
  (HTTP, RPC request and reply through RabbitMQ, interaction reports);
- gateway search throughput with 8 concurrent clients (queries/s), next to the engine's
  single-threaded queries/s;
- CPU milliseconds per search of the gateway and search processes (/proc), one client and
  8 clients (RabbitMQ's is not counted: other vhosts share its process).

    .venv/bin/python bench/gateway.py
    .venv/bin/python bench/gateway.py --size 10000 --clients 8 --rounds 10
    .venv/bin/python bench/gateway.py --profile var/profile   # py-spy of both during the 8 clients
"""
from __future__ import annotations

import argparse
import sys
import threading
import time

import httpx
from common import SERVICE_PIDS, cpu_seconds, load_average, percentile, private_platform, py_spy_recorders
from search import engine_timings, generate_snapshots, indexing_burst, ms, query_mix


def gateway_timings(base_url: str, queries: list[str], rounds: int) -> list[float]:
    """One client, one query at a time (after one warm-up pass)."""
    timings = []
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for round_ in range(rounds + 1):
            for q in queries:
                start = time.perf_counter()
                http.get("/api/v1/search", params={"q": q, "per_page": 20}).raise_for_status()
                if round_:
                    timings.append(time.perf_counter() - start)
    return timings


def concurrent_throughput(base_url: str, queries: list[str], clients: int, rounds: int) -> tuple[float, list[float]]:
    """(queries/s, latencies) of ``clients`` threads, each running the query mix ``rounds``
    times on its own connection, started together."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)

    def client(offset: int) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=30) as http:
                http.get("/api/v1/search", params={"q": queries[0], "per_page": 20}).raise_for_status()
                barrier.wait()
                mine = []
                for i in range(rounds * len(queries)):
                    q = queries[(offset + i) % len(queries)]
                    start = time.perf_counter()
                    http.get("/api/v1/search", params={"q": q, "per_page": 20}).raise_for_status()
                    mine.append(time.perf_counter() - start)
                latencies.extend(mine)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=client, args=(n * 7,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return len(latencies) / elapsed, latencies


class CpuPerRequest:
    """CPU milliseconds per request of the gateway and search processes over a block."""

    SERVICES = ("gateway", "search")

    def __init__(self) -> None:
        self.per_request: dict[str, float] = {}

    def measure(self, run):
        before = {name: cpu_seconds(SERVICE_PIDS[name]) for name in self.SERVICES}
        result = run()
        requests = len(result[1]) if isinstance(result, tuple) else len(result)
        for name in self.SERVICES:
            self.per_request[name] = (cpu_seconds(SERVICE_PIDS[name]) - before[name]) * 1000 / requests
        return result

    def __str__(self) -> str:
        return "  ".join(f"{name} {value:.2f}" for name, value in self.per_request.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000, help="products indexed")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10, help="passes over the query mix")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--profile", metavar="DIR", help="py-spy the gateway and search during the 8 clients")
    args = parser.parse_args()

    snapshots = generate_snapshots(args.size)
    queries = query_mix()
    engine = engine_timings(snapshots, queries)
    with private_platform(args.port) as (base_url, uri, _):
        _, elapsed, indexed = indexing_burst(uri, snapshots, timeout=900)
        print(f"{indexed:,} products indexed in {elapsed:.1f} s", flush=True)
        del snapshots
        one, many = CpuPerRequest(), CpuPerRequest()
        single = one.measure(lambda: gateway_timings(base_url, queries, args.rounds))
        spies = py_spy_recorders(args.profile, CpuPerRequest.SERVICES, rate=250, output_format="speedscope")
        qps, loaded = many.measure(lambda: concurrent_throughput(base_url, queries, args.clients, args.rounds))
        for spy in spies:
            spy.send_signal(2)  # py-spy writes its profile on SIGINT
            spy.wait(30)

    engine_p50, gateway_p50 = ms(percentile(engine, 50)), ms(percentile(single, 50))
    engine_qps = len(engine) / sum(engine)
    print(f"\n== gateway search at {args.size:,} products (load average {load_average()}) ==")
    print(f"  {'':34s} {'engine':>10s} {'gateway':>10s} {'ratio':>8s}")
    print(f"  {'search p50 (ms, one client)':34s} {engine_p50:10.2f} {gateway_p50:10.2f} {gateway_p50 / engine_p50:7.1f}x"
          f"   (+{gateway_p50 - engine_p50:.1f} ms)")
    print(f"  {'search p99 (ms, one client)':34s} {ms(percentile(engine, 99)):10.2f} {ms(percentile(single, 99)):10.2f}")
    print(f"  {f'queries/s ({args.clients} clients; engine: one)':34s} {engine_qps:10.1f} {qps:10.1f} "
          f"{qps / engine_qps:7.2f}x")
    print(f"  {f'search p50 (ms, {args.clients} clients)':34s} {'':10s} {ms(percentile(loaded, 50)):10.2f}")
    print(f"  CPU ms per search, one client: {one}; {args.clients} clients: {many}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
