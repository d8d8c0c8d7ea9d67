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
    ({"category": "mobil"}, "category"),
    ({"category": 5}, "category"),
    ({"min_price": "-1"}, "min_price"),
    ({"min_price": -1}, "min_price"),
    ({"max_price": "murah"}, "max_price"),
    ({"max_price": "1.5"}, "max_price"),
    ({"min_price": "50000", "max_price": "1000"}, "min_price"),
    ({"halal": "mungkin"}, "halal"),
    ({"kind": "pt"}, "kind"),
    ({"verified": "2"}, "verified"),
    ({"on_promo": "promo"}, "on_promo"),
    ({"in_stock": "ada"}, "in_stock"),
    ({"sort": "popular"}, "sort"),
    ({"sort": "price"}, "sort"),
])
def test_invalid_arguments_name_their_field(kwargs, field):
    with pytest.raises(ValidationFailed) as info:
        parse_search_query(**kwargs)
    assert list(info.value.fields) == [field]
    assert info.value.message == "Parameter pencarian tidak valid."


def test_deepest_allowed_page():
    assert parse_search_query(page=20, per_page=50).page == 20
    assert parse_search_query(q="x" * 200).q == "x" * 200


def test_filters_and_sort_from_a_query_string():
    query = parse_search_query(category="Kopi-Teh", min_price="1000", max_price="50000", halal="ya", kind="KOPERASI",
                               verified="1", on_promo="true", in_stock="Ya", sort="price_desc")
    assert (query.category, query.min_price, query.max_price, query.halal, query.kind) == (
        "kopi-teh", 1000, 50000, True, "koperasi")
    assert (query.verified, query.on_promo, query.in_stock, query.sort) == (True, True, True, "price_desc")
    assert parse_search_query(category="makanan-minuman").category == "makanan-minuman"  # a parent
    assert parse_search_query(halal="tidak").halal is False and parse_search_query(halal="0").halal is False
    assert parse_search_query(verified="false").verified is False
    assert parse_search_query(halal="").halal is None and parse_search_query(sort="").sort == "relevance"
    assert parse_search_query(min_price="5000", max_price="5000").min_price == 5000


@pytest.mark.parametrize("sort", ["relevance", "price_asc", "price_desc", "newest", "discount"])
def test_every_sort_is_accepted(sort):
    assert parse_search_query(sort=sort).sort == sort
