"""The gateway sends its buffered interaction counts in batches: an entry may carry a count."""
from datetime import datetime, timezone

import pytest

from services.search.interactions import InteractionBuffer, parse_interactions
from shared.errors import ValidationFailed

NOON = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)


def test_an_entry_counts_once_unless_it_says_how_many():
    parsed = parse_interactions([{"product_id": "p-1", "kind": "impression", "count": 12},
                                 {"product_id": "p-2", "kind": "view"}])
    assert parsed == [("p-1", "impression", 12), ("p-2", "view", 1)]
    buffer = InteractionBuffer()
    buffer.add(parsed, when=NOON)
    buffer.add([("p-1", "impression")], when=NOON)
    assert sorted((key[0], key[2], count) for key, count in buffer.take().items()) == [
        ("p-1", "impression", 13), ("p-2", "view", 1)]


@pytest.mark.parametrize("count", [0, -1, 1.5, "3", True, 1_000_001, None])
def test_a_bad_count_is_refused(count):
    with pytest.raises(ValidationFailed):
        parse_interactions([{"product_id": "p-1", "kind": "view", "count": count}])
