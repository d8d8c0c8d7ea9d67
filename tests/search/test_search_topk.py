"""The embedded engine's shortcut for one-group queries (the first page taken from each
alternative's ranked list) gives the same page as scoring every match."""
import heapq
import random

import pytest

from services.search.embedded import MemoryIndex
from services.search.engine import SearchQuery
from services.search.language import plan_query

from search_factories import document

WORDS = ["keripik", "bagea", "kue", "camilan", "kacang", "tenun", "madu", "kopi", "dodol", "rempeyek", "gula"]


@pytest.fixture(scope="module")
def index():
    rng = random.Random(12)
    index = MemoryIndex()
    for n in range(400):
        words = rng.sample(WORDS, rng.randint(1, 4)) + ["x" * rng.randint(3, 8)]
        index.put(document(f"p{n}", name=" ".join(words), region=rng.choice(["7401", "7402", "7471"]),
                           price=rng.randint(1, 50) * 1000))
    return index


def brute_force_page(index, query, per_page=10):
    plan = plan_query(query.q, index.vocabulary)
    groups, matches, _relaxed = index._text_matches(plan)
    filters = index._filter_sets(query, matches, 0)
    selected = {d for d in matches if all(d in s for s in filters.values())}
    present = [g for g in groups if g]
    scored = index._scored(selected, present, {})
    return [index._docs[d]["id"] for *_rest, d in heapq.nlargest(per_page, scored)]


# One group each: a synonym of a family word (its items too), a word, a spelling variant.
@pytest.mark.parametrize("q", ["kudapan", "keripik", "kripik", "gula"])
@pytest.mark.parametrize("region", [None, "7402"])
def test_the_shortcut_page_equals_scoring_every_match(index, q, region):
    query = SearchQuery(q=q, region=region, per_page=10)
    plan = plan_query(q, index.vocabulary)
    assert len(plan.groups) == 1
    page = [item["id"] for item in index.search(query).items]
    assert page == brute_force_page(index, query)
