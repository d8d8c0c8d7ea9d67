"""Documents decoded from events each carry their own copy of a region code, a category slug
or a merchant kind; the memory index keeps one string object per value, so that counting a
facet finds each document's value as the very key of its count (no string comparison)."""
import json
import pickle

from services.search.embedded import MemoryIndex
from services.search.engine import SearchQuery

from search_factories import document


def decoded(doc: dict) -> dict:
    """``doc`` as a consumer gets it: its own strings, decoded from the event's JSON."""
    return json.loads(json.dumps(doc))


def two_documents_of_one_region_and_category() -> tuple[MemoryIndex, dict, dict]:
    first = decoded(document("p1", name="Kopi Bubuk", region="7402"))
    second = decoded(document("p2", name="Kopi Luwak", region="7402"))
    assert first["region"] is not second["region"]  # what the decoder gives
    index = MemoryIndex()
    index.put(first)
    index.put(second)
    return index, index.get("p1"), index.get("p2")


def test_documents_of_one_value_share_one_string_object():
    index, first, second = two_documents_of_one_region_and_category()
    for field in ("region", "region_name", "category", "category_name", "category_parent", "unit"):
        assert first[field] is second[field], field
    assert first["merchant"]["kind"] is second["merchant"]["kind"]
    region_key = next(key for key in index._by_region if key == "7402")
    assert all(value is region_key for value in index._value_of["region"].values())


def test_the_sharing_survives_a_snapshot_and_changes_no_answer():
    index, _first, _second = two_documents_of_one_region_and_category()
    loaded = MemoryIndex.from_snapshot_state(pickle.loads(pickle.dumps(index.snapshot_state(), protocol=5)))
    first, second = loaded.get("p1"), loaded.get("p2")
    assert first["region"] is second["region"]
    assert first == decoded(document("p1", name="Kopi Bubuk", region="7402"))
    facets = loaded.search(SearchQuery(q="kopi")).facets
    assert facets["region"][0]["value"] == "7402" and facets["region"][0]["count"] == 2
