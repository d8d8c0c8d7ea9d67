"""The relevance sets (bench/relevance.json over the demo data; bench/relevance/tuning.json and
heldout.json over the demo plus the evaluation catalog): a regression in language or ranking
lowers nDCG@10 below a floor and fails here. The floors sit a little under the measured
figures, so only a real drop fails; the held-out floor guards against regressions and is never
a target to tune to (bench/relevance/README.md)."""
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "relevance.py"
KINDS = {"plain", "stem", "variant", "typo", "synonym", "english", "region"}
# Measured 0.958 overall (lowest kind: region 0.926) when the floors were set; a bit below, so only a real drop fails.
OVERALL_FLOOR = 0.92
KIND_FLOOR = 0.85


@pytest.fixture(scope="module")
def relevance():
    spec = importlib.util.spec_from_file_location("bench_relevance", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report(relevance, tmp_path_factory):
    engine = relevance.demo_engine(str(tmp_path_factory.mktemp("relevance")))
    return relevance.evaluate(engine, relevance.load_cases())


def test_the_set_covers_every_kind_with_enough_queries(relevance):
    cases = relevance.load_cases()
    assert len(cases) >= 40
    counts = Counter(case["kind"] for case in cases)
    assert set(counts) == KINDS and min(counts.values()) >= 3, counts
    names = {doc["name"] for doc in relevance.demo_documents()}
    for case in cases:
        assert case["judgments"] and set(case["judgments"]) <= names, case["query"]
        assert all(grade in (1, 2, 3) for grade in case["judgments"].values())


def test_ndcg_is_one_for_the_ideal_order_and_lower_otherwise(relevance):
    judged = {"a": 3, "b": 2, "c": 1}
    assert relevance.ndcg(["a", "b", "c"], judged) == pytest.approx(1.0)
    assert relevance.ndcg(["c", "b", "a"], judged) < relevance.ndcg(["a", "c", "b"], judged) < 1.0
    assert relevance.ndcg(["x", "y"], judged) == 0.0


def test_overall_ndcg_stays_above_the_floor(report):
    assert report["overall"] >= OVERALL_FLOOR, report["kinds"]


def test_every_kind_stays_above_its_floor(report):
    low = {kind: score for kind, score in report["kinds"].items() if score < KIND_FLOOR}
    assert not low, low


# Measured when set (issue 12): tuning 0.951, the spent held-out sets 0.914, 0.923, 0.920 and
# 0.901. The held-out set that counts (heldout.json) has not been run yet: its floor is set
# after its first run (bench/relevance/README.md), so that no one sees its figure before then.
# Raised 2026-12-05 after the family pass (docs/decisions/search-relevance.md): held-out 1 0.936,
# 8 0.924, 9 0.910.
SET_FLOORS = {"tuning": 0.93, "heldout-1": 0.91, "heldout-2": 0.92, "heldout-3": 0.90, "heldout-4": 0.91,
              "heldout-5": 0.89, "heldout-6": 0.91, "heldout-7": 0.90,
              "heldout-8": 0.90, "heldout-9": 0.89, "heldout-10": 0.91, "heldout-11": 0.93, "heldout-12": 0.93, "heldout-13": 0.91,
              "heldout-14": 0.89}


@pytest.mark.parametrize("name", sorted(SET_FLOORS))
def test_the_tuning_and_held_out_sets_stay_above_their_floors(relevance, tmp_path_factory, name):
    engine = relevance.demo_engine(str(tmp_path_factory.mktemp(name)),
                                   relevance.catalog_documents(relevance.catalogs_of(name)))
    report = relevance.evaluate(engine, relevance.load_cases(name))
    assert report["overall"] >= SET_FLOORS[name], report["kinds"]
