"""The Elasticsearch engine's requests, checked without a server (a fake client records them).
Behaviour against a live node is covered by the engine contract suite when ELASTICSEARCH_URL is set."""
import pytest
from search_factories import document

from services.search.elastic import (
    ElasticsearchEngine, ElasticsearchError, bulk_operations, index_body, search_body,
)
from services.search.engine import Change, Removal, SearchQuery


class FakeIndices:
    def __init__(self, client):
        self.client = client
        self.aliases = set()

    def exists_alias(self, name):
        return name in self.aliases

    def create(self, index, settings, mappings, aliases):
        self.client.calls.append(("create", index, settings, mappings, aliases))
        self.aliases.update(aliases)


class FakeClient:
    def __init__(self, bulk_items=(), total=0):
        self.calls = []
        self.indices = FakeIndices(self)
        self.bulk_items = list(bulk_items)
        self.total = total
        self.hits = []
        self.aggregations = {}

    def bulk(self, operations, refresh):
        self.calls.append(("bulk", operations, refresh))
        return {"errors": bool(self.bulk_items), "items": self.bulk_items}

    def search(self, index, body):
        self.calls.append(("search", index, body))
        return {"hits": {"total": {"value": self.total}, "hits": self.hits}, "aggregations": self.aggregations}


def test_index_has_an_indonesian_analyzer():
    body = index_body()
    analysis = body["settings"]["analysis"]
    filters = analysis["analyzer"]["etalase_id"]["filter"]
    assert filters[:2] == ["lowercase", "asciifolding"] and filters[-1] == "etalase_stemmer"
    assert analysis["filter"]["etalase_stemmer"] == {"type": "stemmer", "language": "indonesian"}
    assert "yang" in analysis["filter"]["etalase_stop"]["stopwords"]
    assert "kripik => keripik" in analysis["filter"]["etalase_variants"]["synonyms"]
    assert body["mappings"]["properties"]["region"] == {"type": "keyword"}
    assert body["mappings"]["properties"]["name"]["analyzer"] == "etalase_id"


def test_start_creates_a_versioned_index_behind_the_alias_once():
    client = FakeClient()
    engine = ElasticsearchEngine(client, "etalase-products")
    engine.start()
    engine.start()
    creates = [call for call in client.calls if call[0] == "create"]
    assert len(creates) == 1
    assert creates[0][1] == "etalase-products-v2" and creates[0][4] == {"etalase-products": {}}


def test_bulk_uses_external_versions():
    doc = document("p1", 3, name="Kopi")
    ops = bulk_operations("products", Change(upserts=[doc], removals=[Removal("p2", 5), Removal("p3", None)]))
    assert ops == [
        {"index": {"_index": "products", "_id": "p1", "version": 3, "version_type": "external"}},
        doc,
        {"delete": {"_index": "products", "_id": "p2", "version": 5, "version_type": "external"}},
        {"delete": {"_index": "products", "_id": "p3"}},
    ]


def test_version_conflicts_and_missing_deletes_are_not_failures():
    client = FakeClient(bulk_items=[
        {"index": {"_id": "p1", "status": 409}},
        {"delete": {"_id": "p2", "status": 404}},
    ])
    ElasticsearchEngine(client, "products").stage(None, Change(upserts=[document("p1")], removals=[Removal("p2", 2)]))
    assert client.calls[-1][2] is False  # the consumer path does not force a refresh


def test_other_bulk_errors_raise():
    client = FakeClient(bulk_items=[{"index": {"_id": "p1", "status": 400, "error": {"type": "mapper_parsing_exception"}}}])
    with pytest.raises(ElasticsearchError):
        ElasticsearchEngine(client, "products").upsert([document("p1")])


def text_query(body):
    return body["query"]["function_score"]["query"]["bool"]["must"][0]["multi_match"]


def test_search_body_with_words_region_and_paging():
    body = search_body(SearchQuery(q="kopi muna", region="7402", page=3, per_page=10))
    assert body["from"] == 20 and body["size"] == 10 and body["track_total_hits"] is True
    match = text_query(body)
    assert match["query"] == "kopi muna" and match["operator"] == "and" and "name^3" in match["fields"]
    assert body["post_filter"] == {"bool": {"filter": [{"term": {"region": "7402"}}]}}
    assert body["sort"][0] == "_score"


def test_empty_query_lists_newest_first():
    body = search_body(SearchQuery())
    assert body["query"]["bool"]["must"] == [{"match_all": {}}] and body["post_filter"] == {"bool": {"filter": []}}
    assert body["sort"][0] == {"updated_at": "desc"}
    assert "highlight" not in body


def test_falls_back_to_any_word_when_all_words_find_nothing():
    client = FakeClient(total=0)
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika hutan"))
    operators = [text_query(call[2])["operator"] for call in client.calls]
    assert operators == ["and", "or"]
    client.calls.clear()
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika"))
    assert len(client.calls) == 1


def test_every_filter_becomes_a_clause():
    query = SearchQuery(q="kopi", region="7402", category="makanan-minuman", min_price=1000, max_price=50000,
                        halal=False, kind="koperasi", verified=True, on_promo=True, in_stock=True)
    filters = search_body(query, now_ms=0)["post_filter"]["bool"]["filter"]
    assert {"term": {"region": "7402"}} in filters
    assert {"bool": {"should": [{"term": {"category": "makanan-minuman"}},
                                {"term": {"category_parent": "makanan-minuman"}}],
                     "minimum_should_match": 1}} in filters  # a parent includes its children
    assert {"range": {"effective_price_now": {"gte": 1000, "lte": 50000}}} in filters  # the effective price
    assert {"term": {"halal": False}} in filters and {"term": {"merchant.kind": "koperasi"}} in filters
    assert {"term": {"merchant.verified": True}} in filters and {"range": {"stock": {"gt": 0}}} in filters
    assert len(filters) == 8


def test_effective_price_honours_valid_until():
    body = search_body(SearchQuery(sort="price_asc"), now_ms=1234)
    runtime = body["runtime_mappings"]["effective_price_now"]
    assert runtime["type"] == "long" and runtime["script"]["params"] == {"now": 1234}
    assert "pricing.valid_until" in runtime["script"]["source"]
    assert body["sort"][0] == {"effective_price_now": "asc"}
    assert search_body(SearchQuery(sort="price_desc"))["sort"][0] == {"effective_price_now": "desc"}
    assert search_body(SearchQuery(sort="discount"))["sort"][0] == {"discount_now": "desc"}
    assert search_body(SearchQuery(q="kopi", sort="newest"))["sort"][0] == {"updated_at": "desc"}


def test_each_facet_leaves_out_its_own_filter():
    aggs = search_body(SearchQuery(q="kopi", region="7402", halal=True))["aggs"]
    assert aggs["region"]["filter"] == {"bool": {"filter": [{"term": {"halal": True}}]}}
    assert aggs["halal"]["filter"] == {"bool": {"filter": [{"term": {"region": "7402"}}]}}
    assert aggs["kind"]["filter"]["bool"]["filter"] == [{"term": {"region": "7402"}}, {"term": {"halal": True}}]
    assert aggs["kind"]["aggs"]["values"] == {"terms": {"field": "merchant.kind", "size": 100}}
    ranges = aggs["price"]["aggs"]["values"]["range"]
    assert ranges["field"] == "effective_price_now" and ranges["ranges"][0] == {"key": "0", "from": 0, "to": 25000}
    assert ranges["ranges"][-1] == {"key": "5", "from": 500000}


def test_promotion_boost_is_bounded_and_only_rescores_matches():
    body = search_body(SearchQuery(q="madu"))
    score = body["query"]["function_score"]
    assert score["boost_mode"] == "multiply" and score["query"]["bool"]["must"][0]["multi_match"]["query"] == "madu"
    function = score["functions"][0]
    assert function["filter"] == {"term": {"promoted_now": True}}
    assert function["script_score"]["script"]["params"] == {"max": 0.2}


def test_highlight_is_html_encoded_with_marks():
    body = search_body(SearchQuery(q="kopi"))
    assert body["highlight"]["encoder"] == "html" and body["highlight"]["pre_tags"] == ["<mark>"]
    client = FakeClient(total=1)
    client.hits = [{"_source": {**document("p1", name="<script>x</script> Kopi"),
                                "pricing": {"effective_price": 20000, "discount_percent": 20, "promoted": True,
                                            "badge": "Diskon 20%", "boost": 1.0, "valid_until": None}},
                    "highlight": {"description": ["<mark>Kopi</mark> &lt;b&gt;"]}}]
    client.aggregations = {
        "region": {"values": {"buckets": [{"key": "7402", "doc_count": 1}]}},
        "halal": {"values": {"buckets": [{"key": 1, "key_as_string": "true", "doc_count": 1}]}},
        "category": {"values": {"buckets": [{"key": "kopi-teh", "doc_count": 1}]}},
        "price": {"values": {"buckets": [{"key": "0", "doc_count": 1}]}},
    }
    result = ElasticsearchEngine(client, "products").search(SearchQuery(q="kopi"))
    item = result.items[0]
    assert item["highlight"] == "&lt;script&gt;x&lt;/script&gt; Kopi — <mark>Kopi</mark> &lt;b&gt;"
    assert (item["effective_price"], item["discount_percent"], item["promoted"], item["badge"]) == (
        20000, 20, True, "Diskon 20%")
    assert result.facets["region"] == [{"value": "7402", "label": "Muna", "count": 1}]
    assert result.facets["halal"] == [{"value": True, "label": "Halal", "count": 1}]
    assert result.facets["category"] == [{"value": "kopi-teh", "label": "Kopi & Teh", "count": 1}]
    assert result.facets["price"][0]["count"] == 1 and result.facets["price"][1]["count"] == 0


def test_pricing_is_a_partial_update_and_a_missing_product_is_not_a_failure():
    price = {"product_id": "p1", "version": 2, "normal_price": 25000, "effective_price": 20000,
             "discount_percent": 20, "promoted": False, "badge": None, "boost": 0.0, "valid_until": None}
    ops = bulk_operations("products", Change(pricings=[price]))
    assert ops[0] == {"update": {"_index": "products", "_id": "p1"}}
    assert ops[1]["doc"]["pricing"]["effective_price"] == 20000
    client = FakeClient(bulk_items=[{"update": {"_id": "p1", "status": 404}}])
    ElasticsearchEngine(client, "products").stage(None, Change(pricings=[price]))
