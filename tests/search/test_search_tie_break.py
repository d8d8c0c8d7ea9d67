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
