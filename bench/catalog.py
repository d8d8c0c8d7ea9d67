"""Catalog benchmark.

1. Product creation through the gateway (POST /api/v1/products: HTTP, auth, RPC, validation,
   insert + outbox row, commit) in requests/s at 1 and 8 concurrent clients, against raw
   SQLAlchemy insert + commit of the same rows into the same database, in the same run.
2. A 10,000-row CSV import: time until the import is done, and until all 10,000 products
   are searchable, against kombu publish + consume of as many 1 KB persistent messages in the
   same run; with the CPU seconds each service used over the import.

    .venv/bin/python bench/catalog.py [--creates 400] [--rows 10000] [--port 8766]
    .venv/bin/python bench/catalog.py --import-only --profile var/profile-import  # py-spy of catalog and search
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
from pathlib import Path

import httpx
from common import (
    SERVICE_PIDS,
    cpu_seconds,
    letters,
    load_average,
    owner_with_merchant,
    private_platform,
    py_spy_recorders,
    raw_round_trip_seconds,
)
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


PROFILED = ("catalog", "search")


def cpu_and_queue_seconds(pid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for one) of all the process's threads
    so far (Linux schedstat): the second says how much a busy machine held it back."""
    on_cpu = waiting = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:
            continue
        on_cpu += int(fields[0])
        waiting += int(fields[1])
    return on_cpu / 1e9, waiting / 1e9


POLL_SECONDS = 0.1


def import_benchmark(base_url: str, auth: dict, merchant_id: str, rows: int,
                     profile: str | None = None) -> tuple[float, float, dict[str, float]]:
    """(seconds until the job is done, until all rows are searchable, CPU seconds per service).
    The job's status is polled from the upload on, the search total until a first product
    shows (a query is work for search, which is indexing) and again once the job is done."""
    http = httpx.Client(base_url=base_url, timeout=60)
    word = "impor" + letters()
    body = import_csv(rows, word)
    spies = py_spy_recorders(profile, PROFILED)
    cpu_before = {name: cpu_seconds(pid) for name, pid in SERVICE_PIDS.items()}
    queue_before = {name: cpu_and_queue_seconds(pid)[1] for name, pid in SERVICE_PIDS.items()}
    start = time.perf_counter()
    response = http.post("/api/v1/imports", headers=auth, data={"merchant_id": merchant_id},
                         files={"file": ("produk.csv", body, "text/csv")})
    if response.status_code != 202:
        raise RuntimeError(f"import refused: {response.status_code} {response.text}")
    import_id = response.json()["id"]
    answered = time.perf_counter() - start
    imported = first_found = None
    status: dict = {}
    search_errors = 0
    while True:
        if imported is None:
            status = http.get(f"/api/v1/imports/{import_id}", headers=auth).json()
            if status["status"] in ("done", "failed"):
                imported = time.perf_counter() - start
                if status["status"] != "done":
                    raise RuntimeError(f"import failed: {status}")
        if imported is None and first_found is not None:
            time.sleep(POLL_SECONDS)  # while the job runs, search is asked only until a first product shows
            continue
        response = http.get("/api/v1/search", params={"q": word, "per_page": 1})
        if response.status_code == 200:
            found = response.json()["total"]
            if found and first_found is None:
                first_found = time.perf_counter() - start
            if imported is not None and found >= rows:
                break
        else:
            search_errors += 1
            if search_errors == 1:
                print(f"search answered {response.status_code} while indexing: {response.text[:200]}")
        if time.perf_counter() - start > 900:
            raise TimeoutError("imported products not searchable after 15 minutes")
        time.sleep(POLL_SECONDS)
    searchable = time.perf_counter() - start
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in SERVICE_PIDS.items()}
    queued = {name: cpu_and_queue_seconds(pid)[1] - queue_before[name] for name, pid in SERVICE_PIDS.items()}
    for spy in spies:
        spy.send_signal(2)  # py-spy writes its profile on SIGINT
        spy.wait(30)
    if search_errors:
        print(f"search answered with an error {search_errors} time(s) while the import was indexed")
    moments = [datetime.fromisoformat(status[key]) for key in ("created_at", "started_at", "finished_at")]
    print(f"  the upload answered after {answered:.2f} s; "
          f"the job: waited {(moments[1] - moments[0]).total_seconds():.2f} s for the runner, "
          f"ran {(moments[2] - moments[1]).total_seconds():.2f} s; first product searchable after "
          f"{first_found or 0:.2f} s, the last {searchable - imported:.2f} s after the job was done")
    print("  seconds waiting for a CPU over the import: "
          + "  ".join(f"{name} {seconds:.2f}" for name, seconds in queued.items()))
    return imported, searchable, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creates", type=int, default=400, help="products created per measurement")
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the import")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--postgres", action="store_true", help="run the platform on PostgreSQL instead of SQLite")
    parser.add_argument("--import-only", action="store_true", help="skip the create measurements")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the catalog and search processes during the import")
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
        imported, searchable, cpu = import_benchmark(base_url, import_auth, import_merchant, args.rows, args.profile)
        kombu_s = raw_round_trip_seconds(_uri, args.rows)
    print(f"Catalog benchmark ({'PostgreSQL' if args.postgres else 'SQLite'}, embedded search, "
          f"{args.creates} products per measurement)")
    for clients, (gateway_rps, raw_rps) in results.items():
        print(f"create, {clients} client(s): gateway {gateway_rps:8.1f} req/s   raw SQLAlchemy insert+commit "
              f"{raw_rps:8.1f} rows/s   ratio gateway/raw {gateway_rps / raw_rps:6.3f}")
    print(f"import of {args.rows} rows: done after {imported:6.1f} s, all searchable after {searchable:6.1f} s; "
          f"raw kombu publish + consume of {args.rows:,} 1 KB persistent messages {kombu_s:.2f} s, "
          f"ratio {searchable / kombu_s:.2f}x (load average {load_average()})")
    print("  CPU seconds over the import: " + "  ".join(f"{name} {seconds:.2f}" for name, seconds in cpu.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
