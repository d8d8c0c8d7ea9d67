"""Documents of equal score rank newest first (updated_at), the one-word shortcut, the
two-word path and the general scoring alike, and an update moves a document by its new date."""
import pytest

from services.search.embedded import MemoryIndex
from services.search.engine import SearchQuery

from search_factories import document


def day(n: int) -> str:
    return f"2025-01-{n:02d}T00:00:00+00:00"


@pytest.mark.parametrize("q", ["kopi", "kopi bubuk", "kopi bubuk muna"])
def test_equal_scores_rank_newest_first_and_follow_an_update(q):
    index = MemoryIndex()
    for product_id, updated in (("a", 3), ("b", 1), ("c", 2)):
        index.put(document(product_id, name="Kopi Bubuk", updated_at=day(updated)))
    assert [item["id"] for item in index.search(SearchQuery(q=q)).items] == ["a", "c", "b"]
    index.put(document("b", 2, name="Kopi Bubuk", updated_at=day(9)))
    assert [item["id"] for item in index.search(SearchQuery(q=q)).items] == ["b", "a", "c"]
    index.remove("b")
    assert [item["id"] for item in index.search(SearchQuery(q=q)).items] == ["a", "c"]


@pytest.mark.parametrize("size", [30, 2500])  # the small path (a heap over the selection) and the walk
@pytest.mark.parametrize("sort", ["price_asc", "price_desc"])
def test_products_of_one_price_are_ordered_by_id_whatever_order_they_were_indexed_in(size, sort):
    """As Elasticsearch (price, then id ascending): two replicas that indexed the same products
    in other orders page through a tie alike."""
    ids = [f"p{n:05d}" for n in range(size)]
    orders = [ids, list(reversed(ids))]
    pages = []
    # Two thirds cost 15000, the first price in this sort order; the others one price each.
    other = 20000 if sort == "price_asc" else 1000
    for order in orders:
        index = MemoryIndex()
        for product_id in order:
            number = int(product_id[1:])
            index.put(document(product_id, name="Kopi Bubuk", price=15000 if number % 3 else other + number))
        query = SearchQuery(q="kopi" if size <= 2000 else "", sort=sort, per_page=20)
        pages.append([[item["id"] for item in index.search(SearchQuery(**{**query.__dict__, "page": page})).items]
                      for page in (1, 2, 5)])
    assert pages[0] == pages[1]
    tied = sorted(product_id for product_id in ids if int(product_id[1:]) % 3)
    assert pages[0][0] == tied[:20]  # the tie comes first, by id


@pytest.mark.parametrize("sort", ["price_asc", "price_desc"])
def test_a_price_range_keeps_its_bounds_and_ties_on_the_long_walk(sort):
    index = MemoryIndex()
    prices = {"a": 99, "b": 100, "c": 100, "d": 300, "e": 300, "f": 301}
    prices.update({f"m{n:04d}": 200 for n in range(2100)})  # more than the small path takes
    for product_id, price in reversed(list(prices.items())):
        index.put(document(product_id, name="Kopi Bubuk", price=price))
    result = index.search(SearchQuery(sort=sort, min_price=100, max_price=300, per_page=5))
    assert result.total == 2104
    expected = ["b", "c", "m0000", "m0001", "m0002"] if sort == "price_asc" else ["d", "e", "m0000", "m0001", "m0002"]
    assert [item["id"] for item in result.items] == expected
