"""The relevance evaluation data (bench/relevance/, issue 12) is well formed: evaluation
catalogs in demo_data.json's shape, and tuning and held-out sets each judged over the union of
the demo catalog and the evaluation catalogs it names. Data only: no engine runs here."""
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from shared.regions import REGIONS
from shared.taxonomy import LEAF_SLUGS

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "bench" / "relevance"
DEMO = ROOT / "services" / "catalog" / "demo" / "demo_data.json"
TOURISM_SLUGS = {"paket-wisata", "selam-snorkeling", "pemandu-wisata", "penginapan", "sewa-perahu"}
KINDS = {"plain", "typo", "variant", "synonym", "hypernym", "place", "multiword", "english",
         "measure", "code", "tourism"}
# heldout-1 to -14: earlier held-out sets, spent; "heldout" is the set that counts while it waits for its first run.
SETS = tuple(name for name in ("tuning", "heldout", "heldout-1", "heldout-2", "heldout-3", "heldout-4", "heldout-5",
                               "heldout-6", "heldout-7", "heldout-8", "heldout-9", "heldout-10", "heldout-11", "heldout-12", "heldout-13",
                               "heldout-14")
             if (EVAL_DIR / f"{name}.json").exists())
CATALOGS = ("catalog_eval.json", "catalog_heldout-3.json", "catalog_heldout-4.json", "catalog_heldout-5.json",
            "catalog_heldout-6.json", "catalog_heldout-7.json", "catalog_heldout-8.json",
            "catalog_heldout-9.json", "catalog_heldout-10.json", "catalog_heldout-11.json",
            "catalog_heldout-12.json", "catalog_heldout-13.json", "catalog_heldout-14.json")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def eval_merchants(catalog: str = "catalog_eval.json") -> list[dict]:
    return load(EVAL_DIR / catalog)["merchants"]


def catalogs_of(name: str) -> list[str]:
    return load(EVAL_DIR / f"{name}.json").get("catalogs", ["catalog_eval.json"])


def union_products(catalogs=CATALOGS) -> list[dict]:
    merchants = load(DEMO)["merchants"] + [merchant for catalog in catalogs for merchant in eval_merchants(catalog)]
    return [product for merchant in merchants for product in merchant["products"]]


def normalised(query: str) -> str:
    return re.sub(r"\s+", " ", query.strip().lower())


@pytest.mark.parametrize("catalog", CATALOGS)
def test_eval_catalog_has_the_demo_shape_and_valid_reference_data(catalog):
    merchants = eval_merchants(catalog)
    assert len(merchants) >= 45
    assert {merchant["region"] for merchant in merchants} == set(REGIONS)  # every kabupaten/kota
    products = [product for merchant in merchants for product in merchant["products"]]
    assert len(products) >= 180
    for merchant in merchants:
        assert set(merchant) >= {"key", "name", "kind", "region", "description", "products"}
        assert merchant["kind"] in {"umkm", "koperasi"}
        assert merchant["products"]
    for product in products:
        assert set(product) == {"name", "description", "price", "stock", "unit", "category", "halal"}
        assert product["category"] in LEAF_SLUGS | TOURISM_SLUGS, product["name"]
        assert isinstance(product["price"], int) and product["price"] > 0
        assert isinstance(product["stock"], int) and product["stock"] >= 0
        assert isinstance(product["halal"], bool)
        assert product["name"].strip() and product["description"].strip() and product["unit"].strip()
    assert sum(product["category"] in TOURISM_SLUGS for product in products) >= 30


def test_names_and_keys_are_unique_across_every_catalog():
    """Judgments name products, so a name must mean one product in any union."""
    names = Counter(normalised(product["name"]) for product in union_products())
    assert [name for name, count in names.items() if count > 1] == []
    keys = Counter(merchant["key"] for merchant in load(DEMO)["merchants"]
                   + [merchant for catalog in CATALOGS for merchant in eval_merchants(catalog)])
    assert [key for key, count in keys.items() if count > 1] == []


@pytest.mark.parametrize("name", SETS)
def test_each_set_is_judged_over_the_union(name):
    data = load(EVAL_DIR / f"{name}.json")
    assert data["about"].strip()
    cases = data["cases"]
    assert len(cases) >= 64
    assert set(catalogs_of(name)) <= set(CATALOGS)
    known = {product["name"] for product in union_products(catalogs_of(name))}
    queries = [normalised(case["query"]) for case in cases]
    assert len(queries) == len(set(queries)), "a query appears twice in the set"
    for case in cases:
        assert set(case) == {"query", "kind", "judgments"}
        assert case["query"].strip() and case["kind"] in KINDS, case["query"]
        assert case["judgments"], f"{case['query']!r} judges nothing (its nDCG would always be 0)"
        assert max(case["judgments"].values()) >= 2, case["query"]
        for product_name, grade in case["judgments"].items():
            assert product_name in known, f"{case['query']!r} judges an unknown product {product_name!r}"
            assert grade in (1, 2, 3)
    assert {case["kind"] for case in cases} == KINDS  # every kind in both sets


def test_no_query_is_in_two_sets():
    queries = {name: {normalised(case["query"]) for case in load(EVAL_DIR / f"{name}.json")["cases"]} for name in SETS}
    for first, second in itertools.combinations(SETS, 2):
        assert queries[first] & queries[second] == set(), (first, second)
