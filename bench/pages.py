"""Web pages benchmark (issue 6): server time p50/p99 of the home, search and product pages
with N products in search (default 100,000), and the bytes each page sends. One fresh
private platform:

- N generated products (bench/search.py's ``generate_snapshots``) go into search and
  promotion as a burst of ``catalog.product_published`` events published straight to the
  events exchange (they are not in the catalog database); about 30 more are created through
  ``POST /api/v1/products`` so the product pages show real catalog products, and the run
  waits until those are searchable;
- after a warm-up, ~200 sequential requests per kind with one httpx client on localhost:
  home ``/``, search ``/?q=`` over ~20 common queries (bench/search.py's ``query_mix``),
  product ``/produk/<id>`` over the API products. Server time is the gateway's
  ``Server-Timing`` when it sends one, otherwise the response time seen by the client
  (localhost, so it is server time plus a loopback round trip and the HTTP parsing);
- bytes: body bytes as sent (median; the gateway does not compress) and the same body
  gzip-compressed (what a compressing proxy in front would send); the search page must stay
  under 150 KB;
- raw baselines in the same run: the static stylesheet (its versioned URL from the home
  page), the JSON search API with the same queries, and ``GET /api/v1/products/<id>``; the
  ratios page/raw say what rendering the page adds.

    make bench
    .venv/bin/python bench/pages.py --products 10000
"""
from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import time

import httpx
from common import letters, owner_with_merchant, percentile, private_platform
from search import generate_snapshots, indexing_burst, query_mix

SEARCH_PAGE_LIMIT = 150 * 1024
QUERIES = 20


class Sample:
    """Timings and sizes of one kind of request."""

    def __init__(self, label: str):
        self.label = label
        self.seconds: list[float] = []
        self.body: list[int] = []
        self.gzipped: list[int] = []
        self.headers: list[int] = []
        self.wall = 0.0
        self.server_timing = 0  # responses whose time came from a Server-Timing header

    def ms(self, q: float) -> float:
        return percentile(self.seconds, q) * 1000

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.wall if self.wall else 0.0

    def median(self, values: list[int]) -> float:
        return statistics.median(values) if values else 0.0


def server_duration(response: httpx.Response) -> float | None:
    """Seconds from a ``Server-Timing`` header (the sum of its ``dur=`` entries, in ms)."""
    header = response.headers.get("server-timing")
    if not header:
        return None
    durations = [float(d) for d in re.findall(r"dur=([0-9.]+)", header)]
    return sum(durations) / 1000 if durations else None


def measure(http: httpx.Client, label: str, urls: list[str], count: int) -> Sample:
    """``count`` sequential GETs cycling over ``urls`` after one warm-up pass over them."""
    for url in urls:
        http.get(url).raise_for_status()
    sample = Sample(label)
    started = time.perf_counter()
    for n in range(count):
        url = urls[n % len(urls)]
        start = time.perf_counter()
        response = http.get(url)
        elapsed = time.perf_counter() - start
        response.raise_for_status()
        server = server_duration(response)
        if server is not None:
            sample.server_timing += 1
        sample.seconds.append(server if server is not None else elapsed)
        body = response.content
        sample.body.append(response.num_bytes_downloaded)  # on the wire (== len(body) uncompressed)
        sample.gzipped.append(len(gzip.compress(body)))
        sample.headers.append(sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 2)
    sample.wall = time.perf_counter() - started
    return sample


def create_api_products(http: httpx.Client, count: int, tag: str) -> list[str]:
    """``count`` products through the JSON API, named like the demo data; ``tag`` in every
    description so they can be found in search."""
    auth, merchant = owner_with_merchant(http)
    ids = []
    for snapshot in generate_snapshots(count, seed=6):
        response = http.post("/api/v1/products", headers=auth, json={
            "merchant_id": merchant, "name": snapshot.name, "description": f"{snapshot.description} {tag}.",
            "price": snapshot.price, "stock": max(1, snapshot.stock), "unit": snapshot.unit,
            "category": snapshot.category.slug, "halal": snapshot.halal})
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


def wait_searchable(http: httpx.Client, tag: str, ids: list[str], timeout: float) -> float:
    start = time.perf_counter()
    want = set(ids)
    while True:
        found = http.get("/api/v1/search", params={"q": tag, "per_page": 50}).json()
        if want <= {item.get("id") for item in found.get("items") or []}:
            return time.perf_counter() - start
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{len(want)} API products not all searchable after {timeout:.0f} s")
        time.sleep(0.1)


def wait_promotion(uri: str, count: int, timeout: float) -> float:
    """Seconds until the promotion service holds ``count`` products: the burst is consumed
    by search and promotion alike, and promotion still digesting it would slow the pages."""
    from nameko.standalone.rpc import ClusterRpcClient

    start = time.perf_counter()
    with ClusterRpcClient(uri=uri, timeout=60) as rpc:
        while rpc.promotion.health().get("products", 0) < count:
            if time.perf_counter() - start > timeout:
                print(f"  WARNING: promotion still catching up after {timeout:.0f} s", flush=True)
                break
            time.sleep(0.5)
    return time.perf_counter() - start


def static_css_url(home_html: str) -> str:
    match = re.search(r'/static/css/site\.css\?v=[^"\'\s>]+', home_html)
    if not match:
        raise RuntimeError("no versioned /static/css/site.css URL in the home page")
    return match.group(0).replace("&amp;", "&")


def print_table(n: int, rows: list[Sample], pairs: list[tuple[str, Sample, Sample]], search_page: Sample) -> None:
    timing = "Server-Timing" if all(r.server_timing == len(r.seconds) for r in rows) else "client-measured"
    print(f"\nPages benchmark, N = {n:,} products in search (SQLite, embedded engine, one broker, "
          f"sequential httpx client on localhost; times are {timing})")
    print(f"  {'request':38s} {'n':>5s} {'p50 ms':>8s} {'p99 ms':>8s} {'req/s':>8s} {'body B':>9s} "
          f"{'gzip B':>8s} {'hdrs B':>7s}")
    for r in rows:
        print(f"  {r.label:38s} {len(r.seconds):5d} {r.ms(50):8.2f} {r.ms(99):8.2f} {r.rate:8.1f} "
              f"{r.median(r.body):9.0f} {r.median(r.gzipped):8.0f} {r.median(r.headers):7.0f}")
    print(f"\n  {'ratio page / raw':38s} {'p50':>8s} {'p99':>8s} {'req/s':>8s} {'body':>9s} {'gzip':>8s}")
    for label, page, raw in pairs:
        print(f"  {label:38s} {page.ms(50) / raw.ms(50):7.1f}x {page.ms(99) / raw.ms(99):7.1f}x "
              f"{raw.rate / page.rate:7.1f}x {page.median(page.body) / raw.median(raw.body):8.1f}x "
              f"{page.median(page.gzipped) / raw.median(raw.gzipped):7.1f}x")
    largest = max(search_page.body)
    verdict = "ok" if largest < SEARCH_PAGE_LIMIT else "OVER"
    print(f"\n  search page weight: largest {largest / 1024:.1f} KB, median {search_page.median(search_page.body) / 1024:.1f} KB"
          f" (gzip {search_page.median(search_page.gzipped) / 1024:.1f} KB) — limit 150 KB without photos: {verdict}")
    print("  (req/s ratio is raw/page: how many times more raw requests the gateway serves per second)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000, help="products loaded into search")
    parser.add_argument("--api-products", type=int, default=30, help="products created through the JSON API (<= 50)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per kind")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--index-timeout", type=float, default=900, help="seconds to wait for the burst")
    args = parser.parse_args()

    queries = query_mix()[:QUERIES]
    print(f"== pages with {args.products:,} products in search ==", flush=True)
    snapshots = generate_snapshots(args.products)
    with private_platform(args.port) as (base_url, uri, _):
        _published, elapsed, indexed = indexing_burst(uri, snapshots, args.index_timeout)
        del snapshots
        print(f"  {indexed:,} products indexed in {elapsed:.1f} s", flush=True)
        if indexed < args.products:
            print(f"  WARNING: only {indexed:,}/{args.products:,} indexed before the timeout", flush=True)
        waited = wait_promotion(uri, indexed, args.index_timeout)
        print(f"  promotion caught up {waited:.1f} s later", flush=True)
        with httpx.Client(base_url=base_url, timeout=60) as http:
            tag = "halaman" + letters()
            ids = create_api_products(http, args.api_products, tag)
            waited = wait_searchable(http, tag, ids, timeout=60)
            print(f"  {len(ids)} products created through the API, searchable after {waited:.1f} s", flush=True)
            css = static_css_url(http.get("/").text)
            count = args.requests
            q = httpx.QueryParams
            home = measure(http, "home /", ["/"], count)
            static = measure(http, "static /static/css/site.css", [css], count)
            search_page = measure(http, "search /?q= (page)", [f"/?{q({'q': w})}" for w in queries], count)
            search_api = measure(http, "search /api/v1/search?q= (API)",
                                 [f"/api/v1/search?{q({'q': w, 'per_page': 20})}" for w in queries], count)
            product_page = measure(http, "product /produk/<id> (page)", [f"/produk/{i}" for i in ids], count)
            product_api = measure(http, "product /api/v1/products/<id> (API)",
                                  [f"/api/v1/products/{i}" for i in ids], count)
    rows = [home, static, search_page, search_api, product_page, product_api]
    print_table(indexed, rows, [("home page / static CSS", home, static), ("search page / search API", search_page, search_api),
               ("product page / product API", product_page, product_api)], search_page)
    return 0 if max(search_page.body) < SEARCH_PAGE_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
