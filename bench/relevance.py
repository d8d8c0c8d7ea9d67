"""Relevance of search over the demo data: nDCG@10 of the judged queries in
bench/relevance.json, per case and per kind (plain, stem, variant, typo, synonym, english,
region) and overall. In process, no broker: the demo products go straight into an
embedded engine on a throwaway SQLite file; queries go through ``engine.search`` only.

    make bench
    .venv/bin/python bench/relevance.py [--verbose]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.search.engine import SearchQuery, document_from_snapshot  # noqa: E402
from shared.contracts import ProductSnapshot  # noqa: E402
from shared.regions import REGIONS  # noqa: E402
from shared.taxonomy import leaf_categories  # noqa: E402

DEMO = ROOT / "services" / "catalog" / "demo" / "demo_data.json"
JUDGMENTS = Path(__file__).resolve().parent / "relevance.json"
K = 10


def demo_documents() -> list[dict]:
    """Search documents for every demo product (merchants verified, all published)."""
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    categories = leaf_categories()
    docs = []
    n = 0
    for merchant in data["merchants"]:
        merchant_ref = {"id": merchant["key"], "name": merchant["name"], "kind": merchant["kind"],
                        "region": merchant["region"], "verified": True, "status": "verified"}
        for product in merchant["products"]:
            n += 1
            category = categories[product["category"]]
            snapshot = ProductSnapshot.model_validate({
                "id": f"demo-{n:03d}", "merchant_id": merchant["key"], "name": product["name"],
                "slug": f"demo-{n:03d}", "description": product.get("description") or "",
                "price": product["price"], "stock": product.get("stock", 1), "unit": product.get("unit", "pcs"),
                "category": {"slug": category["slug"], "name": category["name"],
                             "parent_slug": category["parent"]["slug"], "parent_name": category["parent"]["name"]},
                "halal": bool(product.get("halal")), "status": "published", "region": merchant["region"],
                "region_name": REGIONS[merchant["region"]], "merchant": merchant_ref, "version": 1,
                "created_at": "2025-01-01T00:00:00+00:00", "updated_at": f"2025-01-01T00:{n // 60:02d}:{n % 60:02d}+00:00",
            })
            docs.append(document_from_snapshot(snapshot))
    return docs


def demo_engine(directory: str):
    """An embedded engine holding the demo products, on a SQLite file in ``directory``."""
    from services.search.embedded import EmbeddedEngine
    from shared.db import make_engine, make_session_factory
    from shared.migrations import upgrade

    url = f"sqlite:///{directory}/relevance.sqlite"
    upgrade("search", url)
    engine = EmbeddedEngine(make_session_factory(make_engine(url)))
    engine.start()
    engine.upsert(demo_documents())
    return engine


def ndcg(ranked_names: list[str], judgments: dict[str, int], k: int = K) -> float:
    """nDCG@k with gains 2^grade - 1 (a 3 is worth much more than a 1)."""
    dcg = sum((2 ** judgments.get(name, 0) - 1) / math.log2(rank + 2) for rank, name in enumerate(ranked_names[:k]))
    ideal = sorted(judgments.values(), reverse=True)[:k]
    idcg = sum((2 ** grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def load_cases() -> list[dict]:
    return json.loads(JUDGMENTS.read_text(encoding="utf-8"))["cases"]


def evaluate(engine, cases: list[dict]) -> dict:
    """{"cases": [(query, kind, ndcg, top names)], "kinds": {kind: mean}, "overall": mean}."""
    rows = []
    for case in cases:
        result = engine.search(SearchQuery(q=case["query"], per_page=K))
        names = [item["name"] for item in result.items]
        rows.append((case["query"], case["kind"], ndcg(names, case["judgments"]), names))
    by_kind: dict[str, list[float]] = defaultdict(list)
    for _query, kind, score, _names in rows:
        by_kind[kind].append(score)
    kinds = {kind: sum(scores) / len(scores) for kind, scores in sorted(by_kind.items())}
    overall = sum(score for _q, _k, score, _n in rows) / len(rows) if rows else 0.0
    return {"cases": rows, "kinds": kinds, "overall": overall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print the top results of every query")
    args = parser.parse_args()
    cases = load_cases()
    with tempfile.TemporaryDirectory(prefix="etalase-relevance-") as directory:
        engine = demo_engine(directory)
        report = evaluate(engine, cases)
    print(f"relevance: {len(cases)} judged queries over {engine.count()} demo products, nDCG@{K}")
    for query, kind, score, names in report["cases"]:
        print(f"  {score:5.3f}  {kind:8s} {query}")
        if args.verbose:
            for name in names:
                print(f"           - {name}")
    for kind, score in report["kinds"].items():
        count = sum(1 for case in cases if case["kind"] == kind)
        print(f"  nDCG@{K} {kind:8s} {score:5.3f}  ({count} queries)")
    print(f"  nDCG@{K} overall  {report['overall']:5.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
