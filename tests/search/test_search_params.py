import pytest

from services.search.engine import SearchQuery
from services.search.params import parse_search_query
from shared.errors import ValidationFailed


def test_defaults():
    assert parse_search_query() == SearchQuery(q="", region=None, page=1, per_page=20)


def test_strings_from_a_query_string_are_accepted():
    assert parse_search_query(q=" kopi ", region="7402", page="2", per_page="10") == SearchQuery(
        q="kopi", region="7402", page=2, per_page=10)
    assert parse_search_query(region="", page="", per_page=None).region is None


@pytest.mark.parametrize("kwargs, field", [
    ({"q": "x" * 201}, "q"),
    ({"q": 5}, "q"),
    ({"region": "7499"}, "region"),
    ({"region": "Muna"}, "region"),
    ({"page": 0}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "dua"}, "page"),
    ({"page": 1.5}, "page"),
    ({"page": True}, "page"),
    ({"per_page": 0}, "per_page"),
    ({"per_page": "51"}, "per_page"),
    ({"page": 21, "per_page": 50}, "page"),  # deeper than 1000 results
    ({"page": 101}, "page"),
])
def test_invalid_arguments_name_their_field(kwargs, field):
    with pytest.raises(ValidationFailed) as info:
        parse_search_query(**kwargs)
    assert list(info.value.fields) == [field]
    assert info.value.message == "Parameter pencarian tidak valid."


def test_deepest_allowed_page():
    assert parse_search_query(page=20, per_page=50).page == 20
    assert parse_search_query(q="x" * 200).q == "x" * 200
