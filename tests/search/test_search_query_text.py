"""The search query's text hygiene: a control character is refused with 422 naming ``q``
(not stripped: docs/decisions/text-hygiene.md), and the query is NFC-normalised."""
import pytest

from services.search.params import parse_search_query, parse_suggest_prefix
from shared.errors import ValidationFailed


@pytest.mark.parametrize("q", ["kopi\x00", "kopi\x85", "kopi\ud800", "kopi\nkolaka", "kopi\tkolaka"])
def test_a_control_character_in_the_query_is_refused_naming_q(q):
    for parse in (parse_search_query, parse_suggest_prefix):
        with pytest.raises(ValidationFailed) as info:
            parse(q=q)
        assert set(info.value.fields) == {"q"}


def test_the_query_is_nfc_normalised():
    assert parse_search_query(q=" Kafe\u0301 ").q == "Kaf\u00e9"
    assert parse_suggest_prefix("kafe\u0301") == "kaf\u00e9"
