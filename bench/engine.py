"""Embedded engine latency alone: the query mix of bench/search.py on an in-process
MemoryIndex holding N generated products (no broker, no RPC, no HTTP), p50/p90 per query,
beside a raw baseline measured in the same run: for the same queries, the posting lists of
their words intersected and the first ten taken by term frequency (what any inverted index
does before it ranks). The ratio is the cost of query understanding and ranking.

    .venv/bin/python bench/engine.py [--products 100000] [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import generate_snapshots, query_mix  # noqa: E402

from services.search.analysis import query_terms  # noqa: E402
from services.search.embedded import MemoryIndex  # noqa: E402
from services.search.engine import SearchQuery, document_from_snapshot  # noqa: E402


def raw_page(index: MemoryIndex, text: str) -> list[int]:
    postings = [index._postings.get(term, {}) for term in query_terms(text)]
    if not postings:
        return []
    first, *rest = sorted(postings, key=len)
    found = [docno for docno in first if all(docno in other for other in rest)]
    return sorted(found, key=lambda docno: -sum(p.get(docno, 0) for p in postings))[:10]


def timings(call, queries: list[str], rounds: int) -> list[float]:
    for query in queries:
        call(query)  # warm up
    measured = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            call(query)
            measured.append((time.perf_counter() - start) * 1000)
    return sorted(measured)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    index = MemoryIndex()
    start = time.perf_counter()
    for snapshot in generate_snapshots(args.products):
        index.put(document_from_snapshot(snapshot))
    print(f"engine: {args.products:,} products indexed in memory in {time.perf_counter() - start:.1f} s")
    queries = query_mix()
    engine = timings(lambda q: index.search(SearchQuery(q=q)), queries, args.rounds)
    raw = timings(lambda q: raw_page(index, q), queries, args.rounds)
    for name, values in (("engine search", engine), ("raw intersect", raw)):
        print(f"  {name:14s} p50 {statistics.median(values):7.2f} ms   p90 {values[int(len(values) * 0.9)]:7.2f} ms"
              f"   n={len(values)}")
    print(f"  ratio engine/raw p50 {statistics.median(engine) / statistics.median(raw):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
