"""The memory index's facet counts equal a plain count over the documents a query selects,
whichever way it counts them (set intersections, a walk per facet, or one walk for halal, kind
and price together), with and without filters, and after documents change."""
import random
from collections import Counter

import pytest

from services.search.embedded import MemoryIndex, _bucket_of
from services.search.engine import SearchQuery

from search_factories import document

WORDS = ["keripik", "kopi", "madu", "tenun", "gula", "abon", "kacang"]
REGIONS = ["7401", "7402", "7403", "7471"]


@pytest.fixture(scope="module")
def index_and_docs():
    rng = random.Random(7)
    index = MemoryIndex()
    docs = {}
    for n in range(600):
        doc = document(f"p{n}", name=" ".join(rng.sample(WORDS, rng.randint(1, 3))), region=rng.choice(REGIONS),
                       halal=rng.random() < 0.6, kind=rng.choice(["umkm", "koperasi"]),
                       price=rng.choice([5_000, 30_000, 60_000, 120_000, 300_000, 700_000]))
        index.put(doc)
        docs[doc["id"]] = doc
    for n in range(0, 600, 7):  # changed documents take new numbers; their old ones are gone
        doc = document(f"p{n}", 2, name="kopi madu", region="7471", halal=False, kind="koperasi", price=40_000)
        index.put(doc)
        docs[doc["id"]] = doc
    return index, docs


def plain_counts(docs, query: SearchQuery, facet: str, matching: set[str]) -> dict:
    """What the facet should say: documents matching the text and every filter but the facet's own."""
    def passes(doc, name, check):
        return name == facet or check(doc)
    filters = {"region": lambda d: query.region is None or d["region"] == query.region,
               "halal": lambda d: query.halal is None or d["halal"] == query.halal,
               "kind": lambda d: query.kind is None or d["merchant"]["kind"] == query.kind}
    value = {"region": lambda d: d["region"], "halal": lambda d: d["halal"], "kind": lambda d: d["merchant"]["kind"],
             "price": lambda d: _bucket_of(d["price"]), "category": lambda d: d["category"]}[facet]
    return Counter(value(d) for pid, d in docs.items() if pid in matching
                   and all(passes(d, name, check) for name, check in filters.items()))


@pytest.mark.parametrize("q", ["kopi", "madu kopi", "tenun"])
@pytest.mark.parametrize("filters", [{}, {"region": "7402"}, {"halal": True}, {"kind": "koperasi", "halal": False}])
def test_facet_counts_equal_a_plain_count(index_and_docs, q, filters):
    index, docs = index_and_docs
    query = SearchQuery(q=q, per_page=10, **filters)
    matching = {pid for pid, doc in docs.items() if set(q.split()) <= set(doc["name"].split())}
    facets = index.search(query).facets
    for facet in ("region", "halal", "kind"):
        expected = {value: count for value, count in plain_counts(docs, query, facet, matching).items() if count}
        assert {entry["value"]: entry["count"] for entry in facets[facet]} == expected, facet
    expected_price = plain_counts(docs, query, "price", matching)
    assert [entry["count"] for entry in facets["price"]] == [expected_price.get(n, 0) for n in range(6)]
