"""What the search change log (services/search/changes.py) costs a batch: generated documents
staged in batches, one transaction each (``EmbeddedEngine.stage`` + commit, the store write of
a consumer's batch), with the log off and on, alternating in one run, on a fresh PostgreSQL
database (default) or a SQLite file; and the log's insert timed inside ``stage``.

    .venv/bin/python bench/change_log.py [--documents 20000] [--batch 500] [--runs 9] [--sqlite]
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_postgres_databases  # noqa: E402
from search import generate_snapshots  # noqa: E402

from services.search import changes  # noqa: E402
from services.search.embedded import EmbeddedEngine  # noqa: E402
from services.search.engine import Change, document_from_snapshot  # noqa: E402
from shared.db import make_engine, make_session_factory  # noqa: E402
from shared.migrations import upgrade  # noqa: E402


@contextlib.contextmanager
def search_database(sqlite: bool):
    if sqlite:
        with tempfile.TemporaryDirectory(prefix="etalase-bench-change-log-") as directory:
            yield f"sqlite:///{directory}/search.db"
        return
    with fresh_postgres_databases("etalase_bench_change_log") as urls:
        yield urls["search"]


def fresh_documents(templates: list[dict]) -> list[dict]:
    """The templates under new ids: every run inserts new rows, as a burst of new products."""
    prefix = uuid.uuid4().hex[:8]
    return [{**doc, "id": f"{prefix}-{n}"} for n, doc in enumerate(templates)]


def stage_all(session_factory, docs: list[dict], batch: int, log: bool) -> float:
    engine = EmbeddedEngine(session_factory, snapshot_path=None, change_log=log)
    started = time.perf_counter()
    for start in range(0, len(docs), batch):
        with session_factory() as session:
            engine.stage(session, Change(upserts=docs[start:start + batch]))
            session.commit()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    args = parser.parse_args()
    templates = [document_from_snapshot(snapshot) for snapshot in generate_snapshots(args.documents)]
    batches = -(-args.documents // args.batch)
    with search_database(args.sqlite) as url:
        upgrade("search", url)
        sql_engine = make_engine(url)
        session_factory = make_session_factory(sql_engine)
        for log in (True, False):  # warm-up
            stage_all(session_factory, fresh_documents(templates), args.batch, log)
        times: dict[bool, list[float]] = {False: [], True: []}
        for run in range(args.runs):
            for log in ((False, True) if run % 2 == 0 else (True, False)):
                times[log].append(stage_all(session_factory, fresh_documents(templates), args.batch, log))
        # The insert alone, timed where it runs (the difference of two noisy totals hides it).
        record, inserts = changes.record, []

        def timed_record(session, product_ids):
            started = time.perf_counter()
            record(session, product_ids)
            inserts.append(time.perf_counter() - started)

        changes.record = timed_record
        try:
            stage_all(session_factory, fresh_documents(templates), args.batch, True)
        finally:
            changes.record = record
        sql_engine.dispose()
    kind = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"change log: {args.documents:,} new documents staged in batches of {args.batch} on {kind}, "
          f"{args.runs} runs each, alternating")
    for label, pick in (("median", statistics.median), ("minimum", min)):
        off, on = pick(times[False]), pick(times[True])
        print(f"  {label:8s} off {off:6.3f} s   on {on:6.3f} s   on/off {on / off:.3f}   "
              f"{(on - off) / batches * 1000:+.2f} ms a batch")
    insert = statistics.median(inserts) * 1000
    per_batch = statistics.median(times[False]) / batches * 1000
    print(f"  the log's insert: {insert:.2f} ms a batch (median), {insert / per_batch * 100:.1f} % of a batch "
          f"without the log ({per_batch:.2f} ms)")
    print(f"  uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
