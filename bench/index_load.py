"""Embedded engine start-up: N generated products (as bench/engine.py makes them) stored in a
SQLite search database, then the memory index built from the store (the cold start: every
document parsed and analysed) beside the same index loaded from its snapshot (what a start
does when the snapshot matches the store). Both starts read the same store in one run; the
ratio is snapshot load / cold build.

    .venv/bin/python bench/index_load.py [--products 100000]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import generate_snapshots, query_mix  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from services.search.embedded import EmbeddedEngine  # noqa: E402
from services.search.engine import SearchQuery, document_from_snapshot  # noqa: E402
from services.search.models import SearchDocument  # noqa: E402
from shared.db import make_engine, make_session_factory  # noqa: E402
from shared.migrations import upgrade  # noqa: E402


def fill_store(session_factory, count: int) -> None:
    """Store ``count`` generated documents in one transaction (setup, not measured)."""
    rows = []
    for snapshot in generate_snapshots(count):
        doc = document_from_snapshot(snapshot)
        rows.append({"id": str(doc["id"]), "version": int(doc.get("version") or 0), "region": doc.get("region") or "",
                     "document": json.dumps(doc, ensure_ascii=False)})
    with session_factory() as session:
        session.execute(insert(SearchDocument), rows)
        session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="etalase-bench-index-load-") as directory:
        url = f"sqlite:///{directory}/search.db"
        upgrade("search", url)
        sql_engine = make_engine(url)
        session_factory = make_session_factory(sql_engine)
        fill_store(session_factory, args.products)
        path = Path(f"{directory}/search.db.index-snapshot")

        cold = EmbeddedEngine(session_factory)  # no snapshot yet: builds from the store
        assert cold.snapshot_path == path
        start = time.perf_counter()
        cold.index = cold._build()
        build = time.perf_counter() - start
        start = time.perf_counter()
        assert cold.save_snapshot()
        write = time.perf_counter() - start

        # The start from the snapshot is measured as a fresh process would see it: without
        # the cold index still in memory (the collector would walk both).
        cold_count = cold.count()
        expected = [cold.search(SearchQuery(q=q)) for q in query_mix()]
        del cold
        gc.collect()
        warm = EmbeddedEngine(session_factory)
        start = time.perf_counter()
        warm.start()
        load = time.perf_counter() - start
        assert warm.count() == cold_count == args.products
        same = [warm.search(SearchQuery(q=q)) for q in query_mix()] == expected
        sql_engine.dispose()
        print(f"index load: {args.products:,} stored documents, snapshot {os.path.getsize(path) / 1e6:.0f} MB")
        print(f"  cold build from the store   {build:6.2f} s")
        print(f"  snapshot write              {write:6.2f} s   (after a full load and at a clean stop)")
        print(f"  start from the snapshot     {load:6.2f} s   (store check included)")
        print(f"  ratio snapshot/cold {load / build:.2f}   same results on the query mix: {same}")
        print(f"  uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
