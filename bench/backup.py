"""How long `etalase backup` and `etalase restore` take: for the demo data, and for 100,000
products (in the catalog, the search index and promotion's facts), printed with the load
average. Not part of CI.

The demo case seeds the demo data (with its drawn photos) on a private platform; the large
case writes the products into the catalog's table directly (multi-row inserts) and sends the
same products to search and promotion as one burst of events, as bench/search.py does. The
backup is taken while the platform runs; the restore goes into a fresh data location (new
SQLite files, or new PostgreSQL databases with ``--postgres``).

    .venv/bin/python bench/backup.py [--products 100000] [--port 8769] [--postgres]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
from common import POSTGRES_ADMIN_URL, load_average, owner_with_merchant, private_platform
from search import documents_indexed, generate_snapshots, indexing_burst
from sqlalchemy import create_engine, text

from services import backup, platform

SERVICES = backup.BACKUP_ORDER


@contextlib.contextmanager
def restore_target(postgres: bool):
    """An empty data location to restore into, removed afterwards."""
    var_dir = Path(tempfile.mkdtemp(prefix="etalase-bench-restore-"))
    names: list[str] = []
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT") if postgres else None
    try:
        if admin is None:
            urls = {service: f"sqlite:///{var_dir / f'{service}.db'}" for service in SERVICES}
        else:
            base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
            names = [f"etalase_bench_{uuid.uuid4().hex[:8]}_{service}" for service in SERVICES]
            with admin.connect() as connection:
                for name in names:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls = {service: f"{base}/{name}" for service, name in zip(SERVICES, names)}
        yield backup.Layout(tuple(backup.Database(service, urls[service]) for service in SERVICES), var_dir / "media")
    finally:
        if admin is not None:
            with admin.connect() as connection:
                for name in names:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(var_dir, ignore_errors=True)


def insert_catalog_products(database_url: str, merchant_id: str, snapshots, batch: int = 1000) -> float:
    """The snapshots' products as catalog rows of ``merchant_id``, in multi-row inserts."""
    from services.catalog.models import Product

    engine = create_engine(database_url)
    now = datetime.now(timezone.utc)
    start = time.perf_counter()
    try:
        with engine.begin() as connection:
            for offset in range(0, len(snapshots), batch):
                connection.execute(Product.__table__.insert(), [{
                    "id": s.id, "merchant_id": merchant_id, "name": s.name, "slug": s.slug,
                    "description": s.description, "price": s.price, "stock": s.stock, "unit": s.unit,
                    "category": s.category.slug, "halal": s.halal, "status": "published", "tags": [],
                    "version": 1, "created_at": now, "updated_at": now,
                } for s in snapshots[offset:offset + batch]])
    finally:
        engine.dispose()
    return time.perf_counter() - start


def measure(label: str, postgres: bool) -> None:
    """Back up the running private platform's data and restore it into a fresh location."""
    config = platform.load_config()
    source = backup.Layout.from_config(config)
    folder = Path(tempfile.mkdtemp(prefix="etalase-bench-backup-")) / "backup"
    try:
        load_before = load_average()
        start = time.perf_counter()
        manifest = backup.backup(source, folder)
        backed_up = time.perf_counter() - start
        sizes = ", ".join(f"{item['service']} {item['bytes'] / 1e6:.1f} MB" for item in manifest["databases"])
        media = manifest["media"]
        print(f"  {label}: backup {backed_up:6.2f} s (load {load_before}); {sizes}; "
              f"media {media['count']} files {media['bytes'] / 1e6:.1f} MB", flush=True)
        with restore_target(postgres) as target:
            load_before = load_average()
            start = time.perf_counter()
            backup.restore(target, folder)
            restored = time.perf_counter() - start
            print(f"  {label}: restore {restored:6.2f} s (load {load_before}), checksums included", flush=True)
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


def wait_documents(uri: str, count: int, timeout: float = 300) -> None:
    """Until search holds ``count`` documents (the demo's events have gone through)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if documents_indexed(uri) >= count:
            return
        time.sleep(1)
    print(f"  WARNING: fewer than {count} products searchable after {timeout:.0f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8769)
    parser.add_argument("--postgres", action="store_true", help="on fresh PostgreSQL databases instead of SQLite")
    parser.add_argument("--index-timeout", type=float, default=900)
    args = parser.parse_args()
    engine_name = "PostgreSQL" if args.postgres else "SQLite"

    print(f"== backup and restore, {engine_name} ==", flush=True)
    with private_platform(args.port, postgres=args.postgres) as (_base_url, uri, _var_dir):
        counts = platform.seed_demo(platform.load_config())
        print(f"  demo data seeded: {counts}", flush=True)
        wait_documents(uri, (counts or {}).get("products", 0))
        measure("demo data", args.postgres)

    with private_platform(args.port, postgres=args.postgres) as (base_url, uri, _var_dir):
        with httpx.Client(base_url=base_url, timeout=30) as http:
            _auth, merchant_id = owner_with_merchant(http)
        snapshots = generate_snapshots(args.products)
        catalog_url = backup.Layout.from_config(platform.load_config()).databases[SERVICES.index("catalog")].url
        inserted = insert_catalog_products(catalog_url, merchant_id, snapshots)
        print(f"  {len(snapshots):,} products inserted into the catalog in {inserted:.1f} s", flush=True)
        _published, indexed_s, indexed, promoted_s = indexing_burst(uri, snapshots, args.index_timeout,
                                                                    follow_promotion=True)
        print(f"  {indexed:,} indexed by search in {indexed_s:.1f} s, promotion caught up at {promoted_s:.1f} s",
              flush=True)
        del snapshots
        measure(f"{args.products:,} products", args.postgres)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.exit(main())
