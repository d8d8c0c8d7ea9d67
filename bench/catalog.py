"""Catalog benchmark.

1. Product creation through the gateway (POST /api/v1/products: HTTP, auth, RPC, validation,
   insert + outbox row, commit) in requests/s at 1 and 8 concurrent clients, against raw
   SQLAlchemy insert + commit of the same rows into the same database, in the same run.
2. A 10,000-row CSV import: time until the import is done, and until all 10,000 products
   are searchable.

    .venv/bin/python bench/catalog.py [--creates 400] [--rows 10000]
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timezone

import httpx
from common import letters, owner_with_merchant, private_platform, raw_round_trip_seconds
from sqlalchemy import create_engine
from sqlalchemy.orm import Session


def run_clients(clients: int, total: int, make_one) -> float:
    """Run ``total`` calls of ``make_one(n)`` spread over ``clients`` threads; returns calls/s."""
    counter = iter(range(total))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker():
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            try:
                make_one(n)
            except BaseException as exc:  # noqa: BLE001 - reported after the run
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return total / elapsed


def gateway_creates(base_url: str, auth: dict, merchant_id: str, clients: int, total: int) -> float:
    local = threading.local()

    def create(n: int):
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=base_url, timeout=30)
        response = local.http.post("/api/v1/products", headers=auth, json={
            "merchant_id": merchant_id, "name": f"Produk uji {letters(8)}", "description": "Benchmark.",
            "price": 10_000 + n, "stock": 5, "category": "camilan"})
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code}: {response.text}")

    return run_clients(clients, total, create)


def raw_inserts(database_url: str, merchant_id: str, clients: int, total: int) -> float:
    """The same product rows through bare SQLAlchemy Core: one INSERT and one COMMIT each."""
    from services.catalog.models import Product

    engine = create_engine(database_url, connect_args={"timeout": 60}, pool_size=clients)
    table = Product.__table__

    def insert(n: int):
        now = datetime.now(timezone.utc)
        with Session(engine) as session:
            session.execute(table.insert().values(
                id=str(uuid.uuid4()), merchant_id=merchant_id, name=f"Produk mentah {n}", slug=f"raw-{uuid.uuid4().hex}",
                description="Benchmark.", price=10_000 + n, stock=5, unit="pcs", category="camilan", halal=False,
                status="published", tags=[], version=1, created_at=now, updated_at=now))
            session.commit()

    try:
        return run_clients(clients, total, insert)
    finally:
        engine.dispose()


def import_csv(rows: int, word: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "nama", "deskripsi", "harga", "stok", "satuan", "kategori", "halal"])
    for n in range(rows):
        writer.writerow([f"BENCH-{n:05d}", f"Keripik {word} rasa {n}", "Produk impor benchmark.", 15_000 + n, 10, "bungkus", "camilan", "tidak"])
    return out.getvalue().encode("utf-8")


def import_benchmark(base_url: str, auth: dict, merchant_id: str, rows: int) -> tuple[float, float]:
    http = httpx.Client(base_url=base_url, timeout=60)
    word = "impor" + letters()
    start = time.perf_counter()
    response = http.post("/api/v1/imports", headers=auth, data={"merchant_id": merchant_id},
                         files={"file": ("produk.csv", import_csv(rows, word), "text/csv")})
    if response.status_code != 202:
        raise RuntimeError(f"import refused: {response.status_code} {response.text}")
    import_id = response.json()["id"]
    while True:
        status = http.get(f"/api/v1/imports/{import_id}", headers=auth).json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    imported = time.perf_counter() - start
    if status["status"] != "done":
        raise RuntimeError(f"import failed: {status}")
    search_errors = 0
    while True:
        response = http.get("/api/v1/search", params={"q": word, "per_page": 1})
        if response.status_code == 200:
            if response.json()["total"] >= rows:
                break
        else:
            search_errors += 1
            if search_errors == 1:
                print(f"search answered {response.status_code} while indexing: {response.text[:200]}")
        if time.perf_counter() - start > 900:
            raise TimeoutError("imported products not searchable after 15 minutes")
        time.sleep(0.2)
    if search_errors:
        print(f"search answered with an error {search_errors} time(s) while the import was indexed")
    searchable = time.perf_counter() - start
    moments = [datetime.fromisoformat(status[key]) for key in ("created_at", "started_at", "finished_at")]
    print(f"  the job: waited {(moments[1] - moments[0]).total_seconds():.2f} s for the runner, "
          f"ran {(moments[2] - moments[1]).total_seconds():.2f} s")
    return imported, searchable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creates", type=int, default=400, help="products created per measurement")
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the import")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--postgres", action="store_true", help="run the platform on PostgreSQL instead of SQLite")
    parser.add_argument("--import-only", action="store_true", help="skip the create measurements")
    args = parser.parse_args()
    with private_platform(args.port, args.postgres) as (base_url, _uri, var_dir):
        http = httpx.Client(base_url=base_url, timeout=30)
        auth, merchant_id = owner_with_merchant(http)
        database_url = os.environ.get("CATALOG_DATABASE_URL") or f"sqlite:///{var_dir / 'catalog.db'}"
        results = {}
        for clients in () if args.import_only else (1, 8):
            gateway_rps = gateway_creates(base_url, auth, merchant_id, clients, args.creates)
            raw_rps = raw_inserts(database_url, merchant_id, clients, args.creates)
            results[clients] = (gateway_rps, raw_rps)
        import_auth, import_merchant = owner_with_merchant(http, region="7402")
        imported, searchable = import_benchmark(base_url, import_auth, import_merchant, args.rows)
        kombu_s = raw_round_trip_seconds(_uri, args.rows)
    print(f"Catalog benchmark ({'PostgreSQL' if args.postgres else 'SQLite'}, embedded search, "
          f"{args.creates} products per measurement)")
    for clients, (gateway_rps, raw_rps) in results.items():
        print(f"create, {clients} client(s): gateway {gateway_rps:8.1f} req/s   raw SQLAlchemy insert+commit "
              f"{raw_rps:8.1f} rows/s   ratio gateway/raw {gateway_rps / raw_rps:6.3f}")
    print(f"import of {args.rows} rows: done after {imported:6.1f} s, all searchable after {searchable:6.1f} s; "
          f"raw kombu publish + consume of {args.rows:,} 1 KB persistent messages {kombu_s:.2f} s, "
          f"ratio {searchable / kombu_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
