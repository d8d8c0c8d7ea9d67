"""Filters, facets, sorts, pricing, boost and highlight of the embedded engine (SQLite and PostgreSQL)."""
import pytest

from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchQuery

from search_factories import document, pricing

KOPI = ("kopi-teh", "Kopi & Teh")
MADU = ("madu", "Madu")
TENUN = ("tenun", "Kain Tenun")
KERAJINAN = ("kerajinan", "Kerajinan Tangan")


@pytest.fixture
def engine(search_db):
    """In this module, the embedded engine holds five products of three categories and regions.
    (It cannot build on conftest's ``engine``: pytest would lose the database parameters.)"""
    engine = EmbeddedEngine(search_db)
    engine.start()
    engine.upsert([
        document("kopi-muna", name="Kopi Robusta Muna", region="7402", category=KOPI, price=30000,
                 updated_at="2025-01-05T00:00:00+00:00"),
        document("kopi-kolaka", name="Kopi Arabika Kolaka", region="7404", category=KOPI, price=80000,
                 kind="koperasi", verified=False, updated_at="2025-01-04T00:00:00+00:00"),
        document("kopi-buton", name="Kopi Bubuk Buton", region="7401", category=KOPI, price=20000, stock=0,
                 halal=False, updated_at="2025-01-03T00:00:00+00:00"),
        document("madu-buton", name="Madu Hutan Buton", region="7401", category=MADU, price=120000,
                 kind="koperasi", updated_at="2025-01-02T00:00:00+00:00"),
        document("tenun-muna", name="Kain Tenun Muna", region="7402", category=TENUN, parent=KERAJINAN,
                 price=600000, updated_at="2025-01-01T00:00:00+00:00"),
    ])
    return engine


def ids(result):
    return [item["id"] for item in result.items]


def facet(result, name):
    return {entry["value"]: entry["count"] for entry in result.facets[name]}


@pytest.mark.parametrize("filters, expected", [
    ({"region": "7402"}, {"kopi-muna", "tenun-muna"}),
    ({"category": "kopi-teh"}, {"kopi-muna", "kopi-kolaka", "kopi-buton"}),
    ({"category": "makanan-minuman"}, {"kopi-muna", "kopi-kolaka", "kopi-buton", "madu-buton"}),  # parent
    ({"category": "kerajinan"}, {"tenun-muna"}),
    ({"min_price": 25000, "max_price": 100000}, {"kopi-muna", "kopi-kolaka"}),
    ({"min_price": 100000}, {"madu-buton", "tenun-muna"}),
    ({"halal": False}, {"kopi-buton"}),
    ({"halal": True}, {"kopi-muna", "kopi-kolaka", "madu-buton", "tenun-muna"}),
    ({"kind": "koperasi"}, {"kopi-kolaka", "madu-buton"}),
    ({"verified": True}, {"kopi-muna", "kopi-buton", "madu-buton", "tenun-muna"}),
    ({"in_stock": True}, {"kopi-muna", "kopi-kolaka", "madu-buton", "tenun-muna"}),
    ({"region": "7401", "category": "kopi-teh"}, {"kopi-buton"}),
])
def test_filters(engine, filters, expected):
    result = engine.search(SearchQuery(**filters))
    assert set(ids(result)) == expected and result.total == len(expected)


def test_filters_apply_to_text_queries(engine):
    assert set(ids(engine.search(SearchQuery(q="kopi", region="7402")))) == {"kopi-muna"}
    assert engine.search(SearchQuery(q="kopi", category="madu")).total == 0


def test_each_facet_respects_the_other_filters_but_not_its_own(engine):
    result = engine.search(SearchQuery(q="kopi", region="7401"))
    assert ids(result) == ["kopi-buton"]
    # the region facet ignores the region filter: every region that has kopi
    assert facet(result, "region") == {"7402": 1, "7404": 1, "7401": 1}
    # the other facets count only Buton's kopi
    assert facet(result, "category") == {"kopi-teh": 1}
    assert facet(result, "halal") == {False: 1}
    assert facet(result, "kind") == {"umkm": 1}

    result = engine.search(SearchQuery(kind="koperasi", halal=True))
    assert facet(result, "kind") == {"umkm": 2, "koperasi": 2}  # halal applies, kind does not
    assert facet(result, "halal") == {True: 2}  # kind applies, halal does not
    assert facet(result, "region") == {"7404": 1, "7401": 1}

    result = engine.search(SearchQuery(min_price=100000))
    prices = {(entry["min"], entry["max"]): entry["count"] for entry in result.facets["price"]}
    assert prices[(0, 25000)] == 1 and prices[(25000, 50000)] == 1 and prices[(500000, None)] == 1
    assert facet(result, "category") == {"madu": 1, "tenun": 1}


def test_facet_labels_are_in_bahasa_indonesia(engine):
    result = engine.search(SearchQuery())
    labels = {name: {entry["value"]: entry["label"] for entry in result.facets[name]}
              for name in ("region", "category", "halal", "kind")}
    assert labels["region"]["7402"] == "Muna" and labels["category"]["kopi-teh"] == "Kopi & Teh"
    assert labels["halal"] == {True: "Halal", False: "Tidak halal"}
    assert labels["kind"] == {"umkm": "UMKM", "koperasi": "Koperasi"}
    price_labels = [entry["label"] for entry in result.facets["price"]]
    assert price_labels[0] == "< Rp 25.000" and price_labels[-1] == "≥ Rp 500.000"
    assert price_labels[1] == "Rp 25.000 – 50.000"


def test_sorts(engine):
    assert ids(engine.search(SearchQuery(sort="price_asc"))) == [
        "kopi-buton", "kopi-muna", "kopi-kolaka", "madu-buton", "tenun-muna"]
    assert ids(engine.search(SearchQuery(q="kopi", sort="price_desc"))) == ["kopi-kolaka", "kopi-muna", "kopi-buton"]
    assert ids(engine.search(SearchQuery(q="kopi", sort="newest"))) == ["kopi-muna", "kopi-kolaka", "kopi-buton"]
    engine.set_pricing([pricing("madu-buton", normal_price=120000, effective_price=60000, discount_percent=50),
                        pricing("tenun-muna", normal_price=600000, effective_price=540000, discount_percent=10)])
    assert ids(engine.search(SearchQuery(sort="discount")))[:2] == ["madu-buton", "tenun-muna"]
    # price sorts use the effective price
    assert ids(engine.search(SearchQuery(sort="price_asc")))[2] == "madu-buton"
    assert ids(engine.search(SearchQuery(sort="price_asc", per_page=2, page=2))) == ["madu-buton", "kopi-kolaka"]


def test_pricing_shows_and_filters_on_the_effective_price(engine):
    engine.set_pricing([pricing("madu-buton", normal_price=120000, effective_price=96000, discount_percent=20,
                                badge="Diskon 20%")])
    result = engine.search(SearchQuery(q="madu"))
    item = result.items[0]
    assert (item["price"], item["effective_price"], item["discount_percent"], item["badge"]) == (
        120000, 96000, 20, "Diskon 20%")
    assert set(ids(engine.search(SearchQuery(max_price=100000)))) == {
        "kopi-muna", "kopi-kolaka", "kopi-buton", "madu-buton"}
    assert ids(engine.search(SearchQuery(on_promo=True))) == ["madu-buton"]
    prices = {(entry["min"], entry["max"]): entry["count"] for entry in engine.search(SearchQuery()).facets["price"]}
    assert prices[(50000, 100000)] == 2 and prices[(100000, 250000)] == 0


def test_expired_pricing_is_the_normal_price(engine):
    engine.set_pricing([pricing("madu-buton", normal_price=120000, effective_price=60000, discount_percent=50,
                                promoted=True, boost=1.0, badge="Diskon 50%", valid_until="2020-01-01T00:00:00Z")])
    item = engine.search(SearchQuery(q="madu")).items[0]
    assert (item["effective_price"], item["discount_percent"], item["promoted"], item["badge"]) == (
        120000, 0, False, None)
    assert engine.search(SearchQuery(on_promo=True)).total == 0
    assert engine.search(SearchQuery(max_price=100000, q="madu")).total == 0


def test_promoted_product_that_does_not_match_never_appears(engine):
    engine.set_pricing([pricing("madu-buton", normal_price=120000, promoted=True, boost=1.0, badge="Produk Unggulan")])
    for query in (SearchQuery(q="kopi"), SearchQuery(q="tenun"), SearchQuery(q="kopi", sort="discount"),
                  SearchQuery(region="7402"), SearchQuery(q="madu", region="7402")):
        assert "madu-buton" not in ids(engine.search(query))
    item = engine.search(SearchQuery(q="madu")).items[0]
    assert item["promoted"] is True and item["badge"] == "Produk Unggulan"


def test_promotion_boost_is_bounded(search_db):
    engine = EmbeddedEngine(search_db)
    engine.start()
    engine.upsert([
        document("strong", name="Madu Hutan Buton", description="Madu hutan asli."),  # both words in the name
        document("peer", name="Madu Kelulut Sarang", description="Dari hutan Kolaka."),  # as good as "promoted"
        document("promoted", name="Madu Kelulut Botol", description="Dari hutan Muna."),
        document("weak", name="Gula Aren Kolaka",
                 description="Enak dengan madu, teh, kopi dan roti bakar pagi hari di hutan."),
    ])
    before = ids(engine.search(SearchQuery(q="madu hutan")))
    assert before[0] == "strong" and before[-1] == "weak"
    engine.set_pricing([pricing("promoted", promoted=True, boost=1.0), pricing("weak", promoted=True, boost=1.0)])
    after = ids(engine.search(SearchQuery(q="madu hutan")))
    assert after[0] == "strong"  # a much better match stays above
    assert after.index("promoted") < after.index("peer")  # passes its peer
    assert after[-1] == "weak"  # +20% does not lift a weak match


def test_highlight_marks_matches_and_escapes_the_rest(search_db):
    engine = EmbeddedEngine(search_db)
    engine.start()
    engine.upsert([document("x", name="<script>alert(1)</script> Kopi & Gula", description="Kopi <b>enak</b> sekali.")])
    item = engine.search(SearchQuery(q="kopi")).items[0]
    assert item["highlight"] == ("&lt;script&gt;alert(1)&lt;/script&gt; <mark>Kopi</mark> &amp; Gula"
                                 " — <mark>Kopi</mark> &lt;b&gt;enak&lt;/b&gt; sekali.")
    assert "<script>" not in item["highlight"] and "<b>" not in item["highlight"]
    # stemmed and variant matches are marked too; no query: the escaped name
    engine.upsert([document("y", name="Keripik Pisang", description="")])
    assert engine.search(SearchQuery(q="kripik")).items[0]["highlight"] == "<mark>Keripik</mark> Pisang"
    assert engine.search(SearchQuery(q="", sort="newest")).items[-1]["highlight"].startswith("&lt;script&gt;")


def test_pagination_of_filtered_and_sorted_results(search_db):
    engine = EmbeddedEngine(search_db)
    engine.start()
    engine.upsert([document(f"p{i:02d}", name=f"Keripik Pisang {i}", price=1000 * (i + 1),
                            region="7402" if i % 2 else "7401") for i in range(30)])
    for query in (SearchQuery(region="7402", sort="price_desc"), SearchQuery(q="keripik", region="7402"),
                  SearchQuery(q="keripik", region="7402", sort="newest")):
        pages = [engine.search(SearchQuery(**{**query.__dict__, "page": page, "per_page": 4})) for page in (1, 2, 3, 4)]
        assert [p.total for p in pages] == [15] * 4
        seen = [i for p in pages for i in ids(p)]
        assert len(seen) == len(set(seen)) == 15


def test_suggestion_is_null_when_there_are_enough_results(engine):
    assert engine.search(SearchQuery(q="kopi")).suggestion is None
    assert engine.search(SearchQuery()).suggestion is None
