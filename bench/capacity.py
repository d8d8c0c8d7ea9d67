"""The sizes behind docs/capacity.md: what one product costs in each store, and the embedded
engine's memory per document. Sizes only, no timings (run it on a shared machine).

Products are bench/search.py's generator (names, descriptions, prices, categories and
regions from the demo data), each with one photo as the demo products have, ten products per
merchant, uuid4 ids as the services give them. They go through the services' own code where
it is plain Python over a session:

- catalog: merchants, products and photo rows inserted with ``shared.db.insert_rows`` and the
  catalog import's column lists; snapshots from ``domain.product_snapshot_dicts`` (what an
  import publishes); one ``catalog.product_published`` outbox row per product
  (``shared.outbox.add_events``);
- search: those events applied in batches of 200 (``indexer.apply_events``, then the
  embedded engine's ``stage``: ``search_documents``, the inbox, ``aggregate_state``), then one
  pricing event per product, the ones the promotion service staged below;
- promotion: the same events in batches of 100 (``facts.apply_events``: ``product_facts``),
  then an active 20 % campaign that every product joined, repriced with
  ``campaigns.fanout.reprice`` (``campaign_members``, ``product_pricing``, its outbox);
- gateway: one owner account per merchant (an argon2 hash as the service makes).

Each table's growth (SQLite: ``dbstat``; PostgreSQL: ``pg_total_relation_size``, tables with
their indexes) is divided by the rows it gained. The embedded engine's memory is measured in
a fresh child process per size: resident memory (VmRSS) before and after a ``MemoryIndex``
holds N documents decoded from the stored JSON (as ``EmbeddedEngine._build`` does at start),
then after a pricing for each, the snapshot file it writes, and a start from that snapshot.
Last, the JSON the Elasticsearch engine would index per document (``elastic.bulk_operations``).

    .venv/bin/python bench/capacity.py                                   # 20,000 products, SQLite
    .venv/bin/python bench/capacity.py --products 100000 --postgres --memory 10000,50000,100000
    .venv/bin/python bench/capacity.py --platform                        # RSS of each idle service
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import uuid
import zlib
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from argon2 import PasswordHasher
from common import SERVICE_NAMES, SERVICE_PIDS, fresh_postgres_databases, private_platform
from search import generate_snapshots
from sqlalchemy import text

from services.catalog import domain
from services.catalog.imports.chunks import PHOTO_COLUMNS, PRODUCT_COLUMNS
from services.catalog.media import variant_path
from services.catalog.models import Merchant, OutboxMessage, Product, ProductPhoto
from services.gateway.models import Account
from services.promotion import facts
from services.promotion.campaigns.fanout import reprice
from services.promotion.models import Campaign, CampaignMember
from services.search import snapshot as index_snapshot
from services.search.analysis import analyze
from services.search.elastic import bulk_operations
from services.search.embedded import EmbeddedEngine, MemoryIndex
from services.search.engine import Change, document_from_snapshot, merge_changes
from services.search.indexer import apply_events
from shared.contracts import ProductSnapshot
from shared.db import insert_rows, make_engine, make_session_factory
from shared.events import PRODUCT_PUBLISHED, Event, utcnow
from shared.migrations import upgrade
from shared.outbox import add_events

SERVICES = SERVICE_NAMES
PRODUCTS_PER_MERCHANT = 10
SEARCH_BATCH = 200  # half of search's prefetch, as the service batches (shared/batching.py)
PROMOTION_BATCH = 100
KB = 1024


# --- the generated catalog ------------------------------------------------------------------

def generate_catalog(count: int, extra_words: int, seed: int = 4) -> tuple[list[Merchant], list[SimpleNamespace]]:
    """``count`` products of ``count / PRODUCTS_PER_MERCHANT`` merchants, as the catalog's rows
    (merchants as transient ORM objects, products and photos as the import's plain rows);
    ``extra_words`` more words of demo descriptions at the end of each description."""
    rng = random.Random(seed)
    drawn = generate_snapshots(count, seed=seed)
    demo = json.loads((Path(__file__).resolve().parent.parent / "services/catalog/demo/demo_data.json")
                      .read_text(encoding="utf-8"))
    vocabulary = sorted({w for m in demo["merchants"] for p in m["products"]
                         for w in (p.get("description") or "").split()})
    now = utcnow()
    merchants: list[Merchant] = []
    for n in range((count + PRODUCTS_PER_MERCHANT - 1) // PRODUCTS_PER_MERCHANT):
        template = demo["merchants"][n % len(demo["merchants"])]
        merchants.append(Merchant(
            id=str(uuid.uuid4()), owner_id=str(uuid.uuid4()), name=f"{template['name']} {n}", kind=template["kind"],
            region=template["region"], whatsapp=f"+62812{n:08d}", address="", description=template["description"],
            status="verified", status_reason=None, status_changed_at=now, status_changed_by=None,
            review_changes=None, logo=None, nib=f"{n:013d}", pirt_number=None, halal_number=None,
            halal_expires_on=None, halal_active=False, legal_number=None, member_count=None,
            last_rat_year=None, version=2, created_at=now, updated_at=now))
    products = []
    for n, snapshot in enumerate(drawn):
        merchant = merchants[n // PRODUCTS_PER_MERCHANT]
        description = snapshot.description
        if extra_words:
            description = " ".join([description, *rng.choices(vocabulary, k=extra_words)])
        product_id, photo_id = str(uuid.uuid4()), str(uuid.uuid4())
        product = SimpleNamespace(
            id=product_id, merchant_id=merchant.id, name=snapshot.name, slug=f"{domain.slugify(snapshot.name)}-{n}",
            description=description, sku=f"SKU-{n:07d}", price=snapshot.price, compare_at_price=None, tags=[],
            member_business=None, stock=snapshot.stock, unit=snapshot.unit, category=snapshot.category.slug,
            halal=snapshot.halal, status="published", version=1, created_at=now, updated_at=now, deleted_at=None)
        product.photos = [SimpleNamespace(
            id=photo_id, product_id=product_id, position=0, content_type="image/jpeg", width=1600, height=1200,
            sha256=uuid.uuid4().hex * 2, alt=snapshot.name[:200], created_at=now,
            variants={size: variant_path("products", photo_id, side)
                      for size, side in (("thumb", 320), ("medium", 800), ("large", 1600))})]
        products.append(product)
    return merchants, products


def product_events(merchants: list[Merchant], products: list[SimpleNamespace]) -> list[Event]:
    """One ``catalog.product_published`` per product, its payload as the catalog builds it."""
    by_merchant: dict[str, list[SimpleNamespace]] = {}
    for product in products:
        by_merchant.setdefault(product.merchant_id, []).append(product)
    events = []
    for merchant in merchants:
        for snapshot in domain.product_snapshot_dicts(by_merchant.get(merchant.id, []), merchant):
            events.append(Event(type=PRODUCT_PUBLISHED, aggregate_id=snapshot["id"], aggregate_version=1,
                                payload=snapshot))
    return events


# --- databases and their sizes -----------------------------------------------------------------

@contextlib.contextmanager
def databases(directory: Path, postgres: bool):
    """{service: url} of fresh, migrated databases (SQLite files in ``directory``, or PostgreSQL
    databases created for this run and dropped afterwards)."""
    if not postgres:
        urls = {service: f"sqlite:///{directory}/{service}.sqlite" for service in SERVICES}
        for service, url in urls.items():
            upgrade(service, url)
        yield urls
        return
    with fresh_postgres_databases("etalase_capacity") as urls:
        for service, url in urls.items():
            upgrade(service, url)
        yield urls


def table_sizes(engine) -> dict[str, int]:
    """Bytes per table, its indexes (and TOAST on PostgreSQL) included."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            owner = dict(connection.execute(text(
                "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")).all())
            sizes: dict[str, int] = {}
            for name, size in connection.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")):
                table = owner.get(name, name)
                sizes[table] = sizes.get(table, 0) + int(size)
            return sizes
        return {name: int(size) for name, size in connection.execute(text(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"))}


def row_counts(engine, tables) -> dict[str, int]:
    with engine.connect() as connection:
        return {table: connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one() for table in tables}


class Growth:
    """Each table's bytes and rows before and after a step: the bytes per row it added."""

    def __init__(self, engine, label: str):
        self.engine, self.label = engine, label

    def __enter__(self):
        self.before = table_sizes(self.engine)
        self.rows_before = row_counts(self.engine, self.before)
        return self

    def __exit__(self, *exc_info):
        if exc_info[0] is not None:
            return
        after = table_sizes(self.engine)
        rows_after = row_counts(self.engine, after)
        self.grown = {}
        for table, size in sorted(after.items()):
            rows = rows_after[table] - self.rows_before.get(table, 0)
            if rows > 0:
                self.grown[table] = (rows, size - self.before.get(table, 0))


def report(results: list[tuple[str, str, Growth]], products: int) -> None:
    print(f"\n  {'store':10s} {'step':34s} {'table':26s} {'rows':>9s} {'MB':>9s} {'B/row':>7s} {'B/product':>9s}")
    for store, step, growth in results:
        for table, (rows, size) in growth.grown.items():
            print(f"  {store:10s} {step:34s} {table:26s} {rows:9,d} {size / KB / KB:9.2f} {size / rows:7,.0f} "
                  f"{size / products:9,.0f}")


# --- the stores ----------------------------------------------------------------------------------

def fill_catalog(url: str, merchants, products, events) -> list[tuple[str, str, Growth]]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    merchant_columns = tuple(column.name for column in Merchant.__table__.columns)
    with Growth(engine, "rows") as rows, factory() as session:
        insert_rows(session, Merchant.__table__, merchant_columns,
                    [tuple(getattr(m, name) for name in merchant_columns) for m in merchants])
        insert_rows(session, Product.__table__, PRODUCT_COLUMNS,
                    [tuple(getattr(p, name) for name in PRODUCT_COLUMNS) for p in products])
        insert_rows(session, ProductPhoto.__table__, PHOTO_COLUMNS,
                    [tuple(getattr(ph, name) for name in PHOTO_COLUMNS) for p in products for ph in p.photos])
        session.commit()
    with Growth(engine, "outbox") as outbox, factory() as session:
        for start in range(0, len(events), 500):
            add_events(session, OutboxMessage, events[start:start + 500])
            session.commit()
    engine.dispose()
    return [("catalog", "merchants, products, photos", rows), ("catalog", "one event per product (7 days)", outbox)]


def fill_promotion(url: str, events: list[Event]) -> tuple[list[tuple[str, str, Growth]], list[Event]]:
    """Promotion's facts of ``events``, then a 20 % campaign every product joined; returns the
    growth and the pricing events the fan-out staged (for search)."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with Growth(engine, "facts") as fact_growth:
        for start in range(0, len(events), PROMOTION_BATCH):
            with factory() as session:
                results = facts.apply_events(session, events[start:start + PROMOTION_BATCH])
                assert not any(isinstance(r, Exception) for r in results), results
                session.commit()
    now = utcnow()
    campaign_id = str(uuid.uuid4())
    ids = [event.aggregate_id for event in events]
    with Growth(engine, "campaign") as campaign_growth:
        with factory() as session:
            session.add(Campaign(
                id=campaign_id, owner_id=str(uuid.uuid4()), name="Diskon Akhir Tahun Sultra", description="",
                starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7), discount_type="percent",
                discount_value=20, featured=False, target_product_ids=[], target_categories=[], target_regions=[],
                target_merchant_kind=None, target_verified_only=False, max_products=None, open_for_signup=False,
                budget=None, funded_by="pemda", budget_spent=0, budget_exhausted=False, status="active", version=2,
                activated_at=now, closed_at=None, created_at=now, updated_at=now))
            session.flush()
            insert_rows(session, CampaignMember.__table__, ("campaign_id", "product_id", "source", "joined_at", "left_at"),
                        [(campaign_id, product_id, "target", now, None) for product_id in ids])
            session.commit()
        if engine.dialect.name == "postgresql":
            # The members went in past campaigns.targeting.join, which analyses the table
            # for the service (docs/capacity.md, item 8); without statistics reprice scans all
            # of them per chunk of 500. Statistics live in pg_catalog: the sizes do not change.
            with engine.begin() as connection:
                connection.execute(text("ANALYZE campaign_members, product_facts"))
        for start in range(0, len(ids), 500):
            with factory() as session:
                reprice(session, ids[start:start + 500], now)
                session.commit()
    with factory() as session:
        bodies = session.execute(text("SELECT body FROM outbox ORDER BY id")).scalars().all()
    engine.dispose()
    pricing_events = [Event.from_dict(json.loads(body)) for body in bodies]
    assert len(pricing_events) == len(events), (len(pricing_events), len(events))
    return [("promotion", "facts of the product events", fact_growth),
            ("promotion", "a campaign all products joined", campaign_growth)], pricing_events


def fill_search(url: str, events: list[Event], pricing_events: list[Event]) -> list[tuple[str, str, Growth]]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    search_engine = EmbeddedEngine(factory, snapshot_path=None)  # stage only: the memory is measured apart
    results = []
    for label, batch_events in (("the product events", events), ("the pricing events", pricing_events)):
        with Growth(engine, label) as growth:
            for start in range(0, len(batch_events), SEARCH_BATCH):
                with factory() as session:
                    changes = apply_events(session, batch_events[start:start + SEARCH_BATCH])
                    assert not any(isinstance(c, Exception) for c in changes), changes
                    merged = merge_changes(c for c in changes if isinstance(c, Change))
                    if merged:
                        search_engine.stage(session, merged)
                    session.commit()
        results.append(("search", label, growth))
    engine.dispose()
    return results


def fill_gateway(url: str, merchants: list[Merchant]) -> list[tuple[str, str, Growth]]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    password_hash = PasswordHasher().hash("kain-tenun-123")  # one real hash: they all have its length
    now = utcnow()
    columns = ("id", "email", "name", "role", "password_hash", "created_at", "status")
    with Growth(engine, "accounts") as growth, factory() as session:
        insert_rows(session, Account.__table__, columns,
                    [(m.owner_id, f"pemilik.{n}@contoh.id", f"Pemilik {m.name}"[:100], "owner", password_hash, now,
                      "active") for n, m in enumerate(merchants)])
        session.commit()
    engine.dispose()
    return [("gateway", "one owner account per merchant", growth)]


def sqlite_file_bytes(directory: Path) -> dict[str, int]:
    """Each SQLite file's size once its write-ahead log is checkpointed into it."""
    for path in directory.glob("*.sqlite"):
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {path.name: path.stat().st_size for path in sorted(directory.glob("*.sqlite"))}


# --- the embedded engine's memory ----------------------------------------------------------------

def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def memory_child(database: str, count: int, snapshot_file: str, mode: str) -> dict:
    """In a fresh process, KB of resident memory (VmRSS; VmHWM for peaks) around the memory index
    of the first ``count`` stored documents. ``build``: decoded one by one from the stored JSON as
    a start without a snapshot does (``EmbeddedEngine._build``), snapshot written
    (``<snapshot_file>.plain``), a pricing set for each, snapshot written again
    (``<snapshot_file>.priced``). ``plain``/``priced``: a start from that snapshot."""
    connection = sqlite3.connect(database)
    first = "SELECT id FROM search_documents ORDER BY rowid LIMIT ?"
    documents = dict(connection.execute(
        "SELECT id, version FROM search_documents ORDER BY rowid LIMIT ?", (count,)).fetchall())
    pricings = dict(connection.execute(
        f"SELECT product_id, version FROM search_pricing WHERE product_id IN ({first})", (count,)).fetchall())
    gc.collect()
    figures = {"base_kb": status_kb("VmRSS"), "pricings": len(pricings)}
    if mode != "build":
        state = (documents, pricings if mode == "priced" else {})
        loaded, why = index_snapshot.read(Path(f"{snapshot_file}.{mode}"), state)
        assert loaded is not None, why
        index = MemoryIndex.from_snapshot_state(loaded)
        del loaded
        gc.collect()
        figures.update(loaded_kb=status_kb("VmRSS"), peak_kb=status_kb("VmHWM"), count=index.count())
        return figures
    index = MemoryIndex()
    for (document,) in connection.execute("SELECT document FROM search_documents ORDER BY rowid LIMIT ?", (count,)):
        index.put(json.loads(document))
    gc.collect()
    figures["indexed_kb"] = status_kb("VmRSS")
    index_snapshot.write(Path(f"{snapshot_file}.plain"), index, (documents, {}))
    figures["snapshot_bytes"] = Path(f"{snapshot_file}.plain").stat().st_size
    figures["write_peak_kb"] = status_kb("VmHWM")
    for (pricing,) in connection.execute(f"SELECT pricing FROM search_pricing WHERE product_id IN ({first})", (count,)):
        index.set_pricing(json.loads(pricing))
    gc.collect()
    figures["priced_kb"] = status_kb("VmRSS")
    index_snapshot.write(Path(f"{snapshot_file}.priced"), index, (documents, pricings))
    figures["priced_snapshot_bytes"] = Path(f"{snapshot_file}.priced").stat().st_size
    figures["priced_write_peak_kb"] = status_kb("VmHWM")
    figures["count"] = index.count()
    return figures


def run_memory_child(database: Path, count: int, snapshot_file: Path, mode: str) -> dict:
    command = [sys.executable, __file__, "--memory-child", str(database), str(count), str(snapshot_file), mode]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def memory_report(database: Path, sizes: list[int], directory: Path) -> None:
    """Per size: the index as built and after a pricing per document, its snapshot, and a
    start from each snapshot (bytes per document; peaks in MB of the whole process)."""
    print("\n  embedded engine (resident memory of a fresh process per step; MB = 1,048,576 bytes)")
    print(f"  {'documents':>9s} {'base MB':>8s} {'built B/doc':>11s} {'+pricing B/doc':>14s} {'snapshot B/doc':>14s} "
          f"{'from snapshot B/doc':>19s} {'+pricing':>9s} {'peak MB: write':>14s} {'load':>6s}")
    for size in sizes:
        snapshot_file = directory / f"index-{size}.snapshot"
        built = run_memory_child(database, size, snapshot_file, "build")
        plain = run_memory_child(database, size, snapshot_file, "plain")
        priced = run_memory_child(database, size, snapshot_file, "priced")
        n = built["count"]
        per_doc = (built["indexed_kb"] - built["base_kb"]) * KB / n
        per_pricing = (built["priced_kb"] - built["indexed_kb"]) * KB / max(1, built["pricings"])
        loaded = (plain["loaded_kb"] - plain["base_kb"]) * KB / n
        loaded_pricing = ((priced["loaded_kb"] - priced["base_kb"]) - (plain["loaded_kb"] - plain["base_kb"])) \
            * KB / max(1, built["pricings"])
        print(f"  {n:9,d} {built['base_kb'] / KB:8.1f} {per_doc:11,.0f} {per_pricing:14,.0f} "
              f"{built['snapshot_bytes'] / n:14,.0f} {loaded:19,.0f} {loaded_pricing:9,.0f} "
              f"{built['priced_write_peak_kb'] / KB:14.1f} {priced['peak_kb'] / KB:6.1f}")
        for suffix in ("plain", "priced"):
            Path(f"{snapshot_file}.{suffix}").unlink(missing_ok=True)


# --- what Elasticsearch would index ----------------------------------------------------------------

def elasticsearch_report(events: list[Event], pricing_events: list[Event]) -> None:
    pricing_by_id = {event.aggregate_id: event.payload for event in pricing_events}
    sample = events[:: max(1, len(events) // 5000)]
    bodies, documents, sources, priced_sources, terms = [], [], [], [], []
    for event in sample:
        bodies.append(len(json.dumps(event.to_dict(), ensure_ascii=False).encode()))
        document = document_from_snapshot(ProductSnapshot.model_validate(event.payload), version=1)
        documents.append(len(json.dumps(document, ensure_ascii=False).encode()))
        source = bulk_operations("etalase-products-v7", Change(upserts=[document]))[1]
        sources.append(json.dumps(source, ensure_ascii=False).encode())
        priced = bulk_operations("etalase-products-v7", Change(upserts=[
            {**document, "pricing": pricing_by_id[event.aggregate_id]}]))[1]
        priced_sources.append(len(json.dumps(priced, ensure_ascii=False).encode()))
        text_fields = (document["name"], document["description"], document["category_name"],
                       document["category_parent_name"], document["region_name"], document["merchant"]["name"])
        terms.append(sum(len(analyze(value)) for value in text_fields))
    pricing_body = statistics.mean(len(json.dumps(e.to_dict(), ensure_ascii=False).encode()) for e in pricing_events[:5000])
    blob = b"\n".join(sources)
    compressed = sum(len(zlib.compress(blob[i:i + 60 * KB], 1)) for i in range(0, len(blob), 60 * KB))
    mean = statistics.mean
    print(f"\n  JSON per product (mean of {len(sample):,}; bytes)")
    print(f"    catalog.product_published event (outbox row body, a message on the broker)  {mean(bodies):7,.0f}")
    print(f"    promotion.pricing_changed event                                              {pricing_body:7,.0f}")
    print(f"    search document (search_documents.document)                                  {mean(documents):7,.0f}")
    print(f"    Elasticsearch _source, no pricing (elastic.bulk_operations)                  "
          f"{mean(len(s) for s in sources):7,.0f}")
    print(f"    Elasticsearch _source with a campaign pricing (two price periods)            {mean(priced_sources):7,.0f}")
    print(f"    the no-pricing _source compressed (zlib level 1, 60 KB blocks)               "
          f"{compressed / len(sources):7,.0f}")
    print(f"    analyzed terms in the text fields (name, description, category, region, merchant) "
          f"{mean(terms):5.1f}")


# --- the services at rest -----------------------------------------------------------------------------

def platform_report(port: int) -> None:
    with private_platform(port):
        print("\n  resident memory of each service at rest (fresh platform, SQLite, empty index)")
        for name, pid in sorted(SERVICE_PIDS.items()):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    print(f"    {name:10s} {int(line.split()[1]) / KB:7.1f} MB")


# --- main -------------------------------------------------------------------------------------------

def measure_stores(args) -> None:
    merchants, products = generate_catalog(args.products, args.extra_words)
    events = product_events(merchants, products)
    description = statistics.mean(len(p.description) for p in products)
    print(f"{len(products):,} products of {len(merchants):,} merchants; descriptions {description:.0f} characters "
          f"on average (the demo catalog's: 96)")
    memory_sizes = [int(s.replace("_", "")) for s in args.memory.split(",") if s.strip()]
    pricing_events: list[Event] = []
    for postgres in (False, True) if args.postgres else (False,):
        with tempfile.TemporaryDirectory(prefix="etalase-capacity-") as tmp:
            directory = Path(tmp)
            with databases(directory, postgres) as urls:
                print(f"\n== {'PostgreSQL' if postgres else 'SQLite'} ==", flush=True)
                results = fill_catalog(urls["catalog"], merchants, products, events)
                promotion_results, pricing_events = fill_promotion(urls["promotion"], events)
                results += fill_search(urls["search"], events, pricing_events) + promotion_results
                results += fill_gateway(urls["gateway"], merchants)
                report(results, len(products))
                if not postgres:
                    files = ", ".join(f"{name} {size / KB / KB:.1f} MB" for name, size in sqlite_file_bytes(directory).items())
                    print(f"\n  SQLite files: {files}")
                    if memory_sizes:
                        memory_report(directory / "search.sqlite", [min(s, len(products)) for s in memory_sizes],
                                      directory)
    elasticsearch_report(events, pricing_events)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=20000, help="0: no stores (with --platform)")
    parser.add_argument("--extra-words", type=int, default=0,
                        help="words added to each generated description (the generator writes ~20)")
    parser.add_argument("--postgres", action="store_true", help="also measure the stores on PostgreSQL")
    parser.add_argument("--memory", default="", help="comma-separated document counts for the embedded engine")
    parser.add_argument("--platform", action="store_true", help="start a private platform and print each service's RSS")
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--memory-child", nargs=4, metavar=("DATABASE", "COUNT", "SNAPSHOT", "MODE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        database, count, snapshot_file, mode = args.memory_child
        print(json.dumps(memory_child(database, int(count), snapshot_file, mode)))
        return 0

    if args.products:
        measure_stores(args)
    if args.platform:
        platform_report(args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
