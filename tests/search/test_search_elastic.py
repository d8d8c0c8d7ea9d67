"""The Elasticsearch engine's requests, checked without a server (a fake client records them,
or ``elastic_model`` answers them as our reading of Elasticsearch does). Behaviour against a
live node is covered by the engine contract suite when ELASTICSEARCH_URL is set."""
from pathlib import Path

import eventlet
import pytest
import yaml
from pydantic import ValidationError
from waiting import advisory_locks_awaited, wait_for

from services.search import reindex
from services.search.analysis import analyze
from services.search.elastic import (
    COVERAGE_SCORE,
    FUZZINESS,
    PLACE_SCORE,
    PRODUCT_WRITES_LOCK_BUCKETS,
    ElasticsearchEngine,
    ElasticsearchError,
    ProbedVocabulary,
    bulk_failures,
    bulk_operations,
    current_period,
    external_version,
    facets_from,
    index_body,
    joined_terms,
    price_periods,
    product_lock_buckets,
    promotion_boost,
    search_body,
    text_query,
    vocabulary_from,
)
from services.search.engine import FEW_MATCHES, REGION_HINT_BOOST, Change, Removal, SearchQuery
from services.search.language import Hypernyms, Synonyms, plan_query
from services.search.settings import SearchSettings
from shared.contracts import ProductSnapshot
from shared.db import make_engine, make_session_factory
from shared.migrations import upgrade

from elastic_model import ModelCluster, ModelError
from search_factories import document, pricing, snapshot

NOW = 1_790_000_000_000  # a fixed "now" (epoch ms) for request bodies
GUARD = current_period(NOW)


def now_period(*clauses):
    """Documents whose price period current at NOW matches ``clauses``."""
    return {"nested": {"path": "price_periods", "score_mode": "none",
                       "query": {"bool": {"filter": list(clauses), "must_not": GUARD["bool"]["must_not"]}}}}


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
        self.suggest = {}

    def bulk(self, operations, refresh):
        self.calls.append(("bulk", operations, refresh))
        return {"errors": bool(self.bulk_items), "items": self.bulk_items}

    def search(self, index, body):
        self.calls.append(("search", index, body))
        # ``total`` is every request's total, or a list: one per request, in order
        total = self.total.pop(0) if isinstance(self.total, list) else self.total
        return {"hits": {"total": {"value": total}, "hits": self.hits}, "aggregations": self.aggregations,
                "suggest": self.suggest}


def test_index_has_an_indonesian_analyzer():
    body = index_body()
    analysis = body["settings"]["analysis"]
    filters = analysis["analyzer"]["etalase_id"]["filter"]
    assert filters[:2] == ["lowercase", "asciifolding"] and filters[-2:] == ["etalase_protected", "etalase_stemmer"]
    assert analysis["filter"]["etalase_stemmer"] == {"type": "stemmer", "language": "indonesian"}
    # roots that look affixed are never stemmed, as in the embedded analyzer (perhiasan is no hiasan)
    assert {"periuk", "perhiasan"} <= set(analysis["filter"]["etalase_protected"]["keywords"])
    assert "yang" in analysis["filter"]["etalase_stop"]["stopwords"]
    assert "kripik => keripik" in analysis["filter"]["etalase_variants"]["synonyms"]
    assert body["mappings"]["properties"]["region"] == {"type": "keyword"}
    assert body["mappings"]["properties"]["name"]["analyzer"] == "etalase_id"


def test_start_creates_a_versioned_index_behind_the_alias_once():
    client = ModelCluster()
    engine = ElasticsearchEngine(client, "etalase-products")
    engine.start()
    engine.start()
    assert [call for call in client.calls if call[0] == "create"] == [("create", "etalase-products-v7")]
    assert engine.indices() == ["etalase-products-v7"]


def test_bulk_uses_external_versions_with_room_for_pricing_updates():
    doc = document("p1", 3, name="Kopi")
    ops = bulk_operations("products", Change(upserts=[doc], removals=[Removal("p2", 5), Removal("p3", None)]))
    assert ops == [
        {"index": {"_index": "products", "_id": "p1", "version": 3 << 32, "version_type": "external"}},
        {**doc, "measures": [], "joined_terms": [], "name_head": ["kopi"],
         "price_periods": [{"effective_price": 25000, "discount_percent": 0, "promoted": False, "on_promo": False}],
         "promotion_boost": 1.0},
        {"delete": {"_index": "products", "_id": "p2", "version": 5 << 32, "version_type": "external"}},
        {"delete": {"_index": "products", "_id": "p3"}},
    ]
    assert external_version(1) > external_version(0) + 2 ** 31 and external_version(2 ** 31 - 1) < 2 ** 63


def test_version_conflicts_and_missing_deletes_are_not_failures():
    client = FakeClient(bulk_items=[
        {"index": {"_id": "p1", "status": 409}},
        {"delete": {"_id": "p2", "status": 404}},
        {"delete": {"_id": "p3", "status": 409}},
        {"update": {"_id": "p4", "status": 404}},
    ])
    ElasticsearchEngine(client, "products").stage(None, Change(upserts=[document("p1")], removals=[Removal("p2", 2)]))
    assert client.calls[-1][2] is False  # the consumer path does not force a refresh


def test_a_conflict_on_a_pricing_update_is_a_failure():
    """409 on an update is not "a newer version is there": the pricing was not applied (another
    write kept winning its retries), so the event must be retried."""
    client = FakeClient(bulk_items=[{"update": {"_id": "p1", "status": 409,
                                                "error": {"type": "version_conflict_engine_exception"}}}])
    with pytest.raises(ElasticsearchError):
        ElasticsearchEngine(client, "products").stage(None, Change(pricings=[pricing("p1", 2)]))
    assert bulk_failures({"items": [{"index": {"status": 409}}, {"update": {"status": 409}}]}) == [{"status": 409}]


def test_other_bulk_errors_raise():
    client = FakeClient(bulk_items=[{"index": {"_id": "p1", "status": 400, "error": {"type": "mapper_parsing_exception"}}}])
    with pytest.raises(ElasticsearchError):
        ElasticsearchEngine(client, "products").upsert([document("p1")])


def plan_part(body):
    """The query plan part of a request body (inside the boosts and the suspended filter)."""
    return body["query"]["function_score"]["query"]["bool"]["must"][0]


def deciding(part):
    """The clauses that decide a match, without the optional and coverage ones around them."""
    return part["bool"]["must"][0] if set(part["bool"]) == {"must", "should"} else part


def optional_part(part):
    """The optional clauses of a plan: other groups, then one coverage clause per counted group."""
    return part["bool"]["should"] if set(part["bool"]) == {"must", "should"} else []


def covered(clause):
    return {"constant_score": {"filter": clause, "boost": COVERAGE_SCORE}}


def place(region, weight=1.0):
    return {"constant_score": {"filter": {"term": {"region": region}}, "boost": weight * PLACE_SCORE}}


def match(term, weight=None, **fuzzy):
    query = {"query": term, "fields": SEARCH_FIELDS}
    if weight is not None:
        query["boost"] = weight
    query.update(fuzzy)
    return {"multi_match": query}


SEARCH_FIELDS = ["name^3", "category_name^2", "category_parent_name", "merchant.name^2", "region_name^2",
                 "description"]


def test_search_body_with_words_region_and_paging():
    body = search_body(SearchQuery(q="kopi muna", region="7402", page=3, per_page=10))
    assert body["from"] == 20 and body["size"] == 10 and body["track_total_hits"] is True
    part = plan_part(body)
    # kopi decides; Muna, a place, only ranks: its products, or its name in a listing
    muna = {"dis_max": {"queries": [place("7402"), match("muna")]}}
    assert deciding(part) == {"bool": {"must": [match("kopi")]}}
    assert optional_part(part) == [muna, covered(match("kopi")), covered(muna)]
    words = plan_part(search_body(SearchQuery(q="kopi robusta")))
    assert words == {"bool": {"must": [match("kopi"), match("robusta")]}}  # both words required, no coverage
    assert body["post_filter"] == {"bool": {"filter": [{"term": {"region": "7402"}}]}}
    assert body["sort"][0] == "_score"


def test_empty_query_lists_newest_first():
    body = search_body(SearchQuery())
    assert body["query"]["bool"]["must"] == [{"match_all": {}}] and body["post_filter"] == {"bool": {"filter": []}}
    assert body["sort"][0] == {"updated_at": "desc"}
    assert "highlight" not in body


def test_falls_back_to_typo_tolerance_then_partial_then_any_word_when_all_words_find_nothing():
    client = FakeClient(total=0)
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika hutan"))
    parts = [plan_part(call[2]) for call in client.calls]
    exact = [match("arabika"), match("hutan")]
    fuzzy = [match(term, fuzziness=FUZZINESS, prefix_length=1, max_expansions=4) for term in ("arabika", "hutan")]
    one_of = {"bool": {"must": [{"bool": {"should": fuzzy, "minimum_should_match": 1}}],
                       "should": [covered(clause) for clause in fuzzy]}}  # more words first
    # partial (one concept fewer: here one of two), then any word (the same for two words)
    assert parts == [{"bool": {"must": exact}}, {"bool": {"must": fuzzy}}, one_of, one_of]
    assert "suggest" in client.calls[0][2] and "suggest" not in client.calls[1][2]  # only the first probes
    client.calls.clear()
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika"))
    assert len(client.calls) == 2  # exact, then fuzzy; one word has no "any word" fallback
    client.calls.clear()
    client.total = 5
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika hutan"))
    assert len(client.calls) == 2  # found fewer than FEW_MATCHES: the partial match follows
    client.calls.clear()
    client.total = FEW_MATCHES
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika hutan"))
    assert len(client.calls) == 1  # found enough, and the plan needed no vocabulary: one request


def test_a_partial_match_is_one_concept_fewer_and_names_something():
    part = text_query(plan_query("beras merah 1kg"), "partial")
    beras, merah = match("beras"), match("merah")
    size = {"constant_score": {"filter": {"term": {"measures": "1000g"}}, "boost": 3.0}}
    assert part["bool"]["must"][0] == {"bool": {
        "should": [beras, merah, size], "minimum_should_match": 1,
        "filter": [{"bool": {"should": [beras, merah], "minimum_should_match": 1}}]}}  # never the size alone


def test_every_filter_becomes_a_clause():
    query = SearchQuery(q="kopi", region="7402", category="makanan-minuman", min_price=1000, max_price=50000,
                        halal=False, kind="koperasi", verified=True, on_promo=True, in_stock=True)
    filters = search_body(query, now_ms=NOW)["post_filter"]["bool"]["filter"]
    assert {"term": {"region": "7402"}} in filters
    assert {"bool": {"should": [{"term": {"category": "makanan-minuman"}},
                                {"term": {"category_parent": "makanan-minuman"}}],
                     "minimum_should_match": 1}} in filters  # a parent includes its children
    # the effective price: the indexed field of the price period current now
    assert now_period({"range": {"price_periods.effective_price": {"gte": 1000, "lte": 50000}}}) in filters
    assert now_period({"term": {"price_periods.on_promo": True}}) in filters
    assert {"term": {"halal": False}} in filters and {"term": {"merchant.kind": "koperasi"}} in filters
    assert {"term": {"merchant.verified": True}} in filters and {"range": {"stock": {"gt": 0}}} in filters
    assert len(filters) == 8


def test_price_sorts_are_on_the_indexed_field_of_the_current_period():
    body = search_body(SearchQuery(sort="price_asc"), now_ms=NOW)
    assert body["sort"] == [{"price_periods.effective_price": {
        "order": "asc", "mode": "min", "nested": {"path": "price_periods", "filter": GUARD}}}, {"id": "asc"}]
    assert search_body(SearchQuery(sort="price_desc"), now_ms=NOW)["sort"][0] == {"price_periods.effective_price": {
        "order": "desc", "mode": "max", "nested": {"path": "price_periods", "filter": GUARD}}}
    assert search_body(SearchQuery(q="kopi", sort="discount"), now_ms=NOW)["sort"] == [
        {"price_periods.discount_percent": {"order": "desc", "mode": "max",
                                            "nested": {"path": "price_periods", "filter": GUARD}}},
        "_score", {"id": "asc"}]
    assert search_body(SearchQuery(q="kopi", sort="newest"))["sort"][0] == {"updated_at": "desc"}


def test_the_guard_on_valid_until_is_two_ranges_on_indexed_dates():
    """A period is current when it has not ended (``until`` > now) and has begun (``from`` <=
    now): a pricing past its valid_until is no longer current, its revert event or not."""
    assert GUARD == {"bool": {"must_not": [
        {"range": {"price_periods.until": {"lte": NOW, "format": "epoch_millis"}}},
        {"range": {"price_periods.from": {"gt": NOW, "format": "epoch_millis"}}},
    ]}}
    mapping = index_body()["mappings"]["properties"]["price_periods"]
    assert mapping["type"] == "nested"
    assert mapping["properties"]["until"] == mapping["properties"]["from"] == {"type": "date", "format": "epoch_millis"}
    assert mapping["properties"]["effective_price"] == {"type": "long"}
    assert index_body()["mappings"]["properties"]["pricing"] == {"type": "object", "enabled": False}  # shown, not queried


def test_a_pricing_becomes_price_periods_around_its_valid_until():
    window = {"effective_price": 20000, "discount_percent": 20, "promoted": True, "on_promo": True}
    normal = {"effective_price": 25000, "discount_percent": 0, "promoted": False, "on_promo": False}
    until = pricing("p1", effective_price=20000, discount_percent=20, promoted=True,
                    valid_until="2026-12-05T16:00:00+00:00")
    ms = 1796486400000  # 2026-12-05T16:00:00Z
    assert price_periods(25000, until) == [{**window, "until": ms}, {**normal, "from": ms}]
    assert price_periods(25000, {**until, "valid_until": None}) == [window]  # no end: until the next event
    assert price_periods(25000, None) == [normal]
    # a revert (the normal price) is a period of its own, never "on promo"
    assert price_periods(25000, pricing("p1")) == [normal]
    # cheaper than the normal price without a discount figure: on promo, as the embedded engine says
    assert price_periods(25000, pricing("p1", effective_price=24000))[0]["on_promo"] is True
    # an unreadable valid_until is no end (as engine.parse_time reads it for the embedded engine)
    assert price_periods(25000, {**until, "valid_until": "soon"}) == [window]


def test_each_facet_leaves_out_its_own_filter():
    aggs = search_body(SearchQuery(q="kopi", region="7402", halal=True), now_ms=NOW)["aggs"]
    assert aggs["region"]["filter"] == {"bool": {"filter": [{"term": {"halal": True}}]}}
    assert aggs["halal"]["filter"] == {"bool": {"filter": [{"term": {"region": "7402"}}]}}
    assert aggs["kind"]["filter"]["bool"]["filter"] == [{"term": {"region": "7402"}}, {"term": {"halal": True}}]
    assert aggs["kind"]["aggs"]["values"] == {"terms": {"field": "merchant.kind", "size": 100}}
    # the price facet counts each document's current period (one per document)
    periods = aggs["price"]["aggs"]["periods"]
    assert periods["nested"] == {"path": "price_periods"} and periods["aggs"]["current"]["filter"] == GUARD
    ranges = periods["aggs"]["current"]["aggs"]["values"]["range"]
    assert ranges["field"] == "price_periods.effective_price"
    assert ranges["ranges"][0] == {"key": "0", "from": 0, "to": 25000} and ranges["ranges"][-1] == {"key": "5", "from": 500000}


def test_promotion_boost_is_bounded_indexed_and_only_rescores_matches():
    body = search_body(SearchQuery(q="madu"), now_ms=NOW)
    score = body["query"]["function_score"]
    assert score["boost_mode"] == "multiply" and plan_part(body) == {"bool": {"must": [match("madu")]}}
    assert score["score_mode"] == "multiply" and len(score["functions"]) == 1  # no region hint
    # the indexed multiplier, only while the promoted period is current
    assert score["functions"][0] == {"filter": now_period({"term": {"price_periods.promoted": True}}),
                                     "field_value_factor": {"field": "promotion_boost", "missing": 1.0}}
    assert promotion_boost(pricing("p1", promoted=True, boost=1.0)) == pytest.approx(1.2)
    assert promotion_boost(pricing("p1", promoted=True, boost=7.0)) == pytest.approx(1.2)  # bounded
    assert promotion_boost(pricing("p1", promoted=True, boost=0.5)) == pytest.approx(1.1)
    assert promotion_boost(pricing("p1", promoted=False, boost=1.0)) == promotion_boost(None) == 1.0


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
        "price": {"periods": {"current": {"values": {"buckets": [{"key": "0", "doc_count": 1}]}}}},
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


def test_pricing_is_a_partial_update_of_the_indexed_fields_and_a_missing_product_is_not_a_failure():
    price = pricing("p1", 2, normal_price=25000, effective_price=20000, discount_percent=20, badge="Diskon 20%",
                    valid_until="2026-12-05T16:00:00Z")
    ops = bulk_operations("products", Change(pricings=[price]))
    # no version: the update API takes none (Elasticsearch versions updates itself, +1); the
    # consumer has ordered pricings by their own sequence; retried on a concurrent write
    assert ops[0] == {"update": {"_index": "products", "_id": "p1", "retry_on_conflict": 3}}
    ms = 1796486400000
    assert ops[1] == {"doc": {
        "price_periods": [
            {"effective_price": 20000, "discount_percent": 20, "promoted": False, "on_promo": True, "until": ms},
            # after the window, the pricing's normal price (the document's own is not read back)
            {"effective_price": 25000, "discount_percent": 0, "promoted": False, "on_promo": False, "from": ms}],
        "promotion_boost": 1.0,
        "pricing": {"version": 2, "effective_price": 20000, "discount_percent": 20, "promoted": False,
                    "boost": 0.0, "valid_until": "2026-12-05T16:00:00Z", "badge": "Diskon 20%"}}}
    assert len(ops) == 2  # nothing else of the document is touched
    assert scripted(ops) == []  # a plain partial document, no update script
    client = FakeClient(bulk_items=[{"update": {"_id": "p1", "status": 404}}])
    ElasticsearchEngine(client, "products").stage(None, Change(pricings=[price]))


def test_products_staged_after_their_pricing_carry_the_stored_pricing(search_db):
    """The pricing is kept in the search database; a product indexed later (here two of a
    batch, one without a pricing) gets it in its Elasticsearch document."""
    price = {"product_id": "p1", "version": 2, "normal_price": 25000, "effective_price": 20000,
             "discount_percent": 20, "promoted": False, "badge": None, "boost": 0.0, "valid_until": None}
    engine = ElasticsearchEngine(FakeClient(), "products")
    with search_db() as session:
        engine.stage(session, Change(pricings=[price]))
        session.commit()
    client = FakeClient()
    with search_db() as session:
        ElasticsearchEngine(client, "products").stage(session, Change(upserts=[document("p1"), document("p2")]))
    operations = client.calls[-1][1]
    docs = dict(zip(("p1", "p2"), operations[1::2]))
    assert docs["p1"]["pricing"]["effective_price"] == 20000
    assert docs["p1"]["price_periods"] == [
        {"effective_price": 20000, "discount_percent": 20, "promoted": False, "on_promo": True}]
    assert "pricing" not in docs["p2"] and docs["p2"]["price_periods"][0]["effective_price"] == 25000


@pytest.mark.parametrize("first", ["product", "pricing"])
def test_two_replicas_writing_one_product_write_elasticsearch_in_their_commit_order(postgres_url, first):
    """Search replicas are competing consumers: one may index a product while another takes
    its new pricing. On PostgreSQL the second waits for the first's commit (a per-product
    lock), so the document ends with the newest pricing whichever came first; without the
    lock, a product written after the pricing update but from a pricing read before it
    dropped the discount."""
    upgrade("search", postgres_url)
    sql_engine = make_engine(postgres_url)
    sessions = make_session_factory(sql_engine)
    cluster = ModelCluster()
    engine = ElasticsearchEngine(cluster, "products")
    engine.start()
    engine.stage(None, Change(upserts=[document("p1", 1)]))  # indexed earlier, no pricing yet
    changes = {"product": Change(upserts=[document("p1", 2)]),
               "pricing": Change(pricings=[pricing("p1", 1, effective_price=20000, discount_percent=20)])}
    second = "pricing" if first == "product" else "product"
    try:
        with sessions() as holding:
            engine.stage(holding, changes[first])  # written, not yet committed
            waiter = eventlet.spawn(lambda: _stage_and_commit(sessions, engine, changes[second]))
            # the second writer waits for the first's commit (or, unlocked, writes at once)
            assert wait_for(lambda: waiter.dead or advisory_locks_awaited(sql_engine), timeout=30)
            holding.commit()
        waiter.wait()
    finally:
        sql_engine.dispose()
    _, source = cluster.indices_by_name[engine.versioned_index].docs["p1"]
    assert source["version"] == 2 and source["pricing"]["effective_price"] == 20000


def test_a_batch_of_thousands_of_products_takes_at_most_256_product_locks():
    buckets = product_lock_buckets(f"p{n}" for n in range(20_000))
    assert len(buckets) <= PRODUCT_WRITES_LOCK_BUCKETS == 256 and buckets == sorted(set(buckets))
    assert product_lock_buckets(["p1", "p1"]) == product_lock_buckets(["p1"])  # one product, one lock


def _stage_and_commit(sessions, engine, change):
    with sessions() as session:
        engine.stage(session, change)
        session.commit()


# --- the Indonesian query plan (language.py), as the embedded engine uses it --------------


def test_a_synonym_makes_any_phrasing_satisfy_its_part():
    # the shipped file: gula merah, gula aren / gula merah, gula jawa
    body = search_body(SearchQuery(q="gula merah"))
    gula, merah = plan_part(body)["bool"]["must"]
    assert gula == match("gula")
    # either word of the other part, the better one scoring it (as the embedded engine)
    assert merah == {"dis_max": {"queries": [match("merah"), match("aren", 0.8), match("jawa", 0.8)]}}
    assert plan_part(search_body(SearchQuery(q="gula aren")))["bool"]["must"][1] == {
        "dis_max": {"queries": [match("aren"), match("merah", 0.8), match("batok", 0.8)]}}


def test_an_edited_synonym_file_changes_the_next_query_without_a_restart(tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("pokea, kerang sungai\n", encoding="utf-8")
    synonyms = Synonyms(path)
    first = text_query(plan_query("tas", synonyms=synonyms))
    assert first == {"bool": {"must": [match("tas")]}}
    path.write_text("tas, kantong\n", encoding="utf-8")
    synonyms.reload()  # what the reload_synonyms RPC does (or an mtime change, within a second)
    assert text_query(plan_query("tas", synonyms=synonyms)) == {
        "bool": {"must": [{"dis_max": {"queries": [match("tas"), match("kantong", 0.8)]}}]}}


def test_an_english_word_becomes_the_indonesian_term():
    # the Indonesian word's synonyms of its length (shipped list: mete ~ mede, gula aren ~ gula
    # merah ~ gula batok) are equivalents too, below it
    assert plan_part(search_body(SearchQuery(q="cashew"))) == {
        "bool": {"must": [{"dis_max": {"queries": [match("mete", 0.9), match("mede", 0.72)]}}]}}
    assert plan_part(search_body(SearchQuery(q="palm sugar"))) == {
        "bool": {"must": [match("gula", 0.9),
                          {"dis_max": {"queries": [match("aren", 0.9), match("merah", 0.72), match("batok", 0.72)]}}]}}


def test_an_english_word_with_several_equivalents_asks_for_each():
    assert plan_part(search_body(SearchQuery(q="woven"))) == {
        "bool": {"must": [{"dis_max": {"queries": [match("tenun", 0.9), match("anyam", 0.9)]}}]}}


def test_an_english_word_the_index_knows_is_asked_again_with_both():
    client = FakeClient(total=4)
    client.aggregations = {"vocabulary": {"doc_count": 50, "df": {"buckets": {"cashew": {"doc_count": 3}}}}}
    ElasticsearchEngine(client, "products").search(SearchQuery(q="cashew"))
    assert [plan_part(call[2]) for call in client.calls] == [
        {"bool": {"must": [{"dis_max": {"queries": [match("mete", 0.9), match("mede", 0.72)]}}]}},
        {"bool": {"must": [{"dis_max": {"queries": [match("cashew", 0.5), match("mete", 0.9), match("mede", 0.72)]}}]}},
    ]


def test_fuzziness_follows_the_length_rule():
    plan = plan_query("teh kelapa kelapasawit")
    words = [
        match("teh"),  # three letters: never corrected
        match("kelapa", fuzziness=FUZZINESS, prefix_length=1, max_expansions=4),
        match("kelapasawit", fuzziness=FUZZINESS, prefix_length=1, max_expansions=4),
    ]
    # three concepts: two of them decide a match; covering all three ranks first
    assert text_query(plan, fuzzy=True) == {"bool": {
        "must": [{"bool": {"should": words, "minimum_should_match": 2}}],
        "should": [covered(word) for word in words]}}
    assert FUZZINESS == "AUTO:4,8"  # 0 edits below 4 letters, 1 from 4, 2 from 8: language.max_edits
    # words the plan expanded (synonyms, English, corrections) are not fuzzed
    assert text_query(plan_query("cashew"), fuzzy=True) == {
        "bool": {"must": [{"dis_max": {"queries": [match("mete", 0.9), match("mede", 0.72)]}}]}}


def test_the_first_request_probes_the_vocabulary():
    body = search_body(SearchQuery(q="kopi mdau", region="7402"), probe=True)
    probe = body["aggs"]["vocabulary"]
    assert probe["global"] == {} and set(probe["aggs"]["df"]["filters"]["filters"]) == {"kopi", "mdau"}
    suggester = body["suggest"]["typo-1-name"]
    assert suggester["text"] == "mdau" and suggester["term"]["field"] == "name"
    assert suggester["term"]["max_term_freq"] == 2 and suggester["term"]["max_edits"] == 2
    assert {"typo-1-description", "typo-1-region_name", "typo-1-merchant.name"} <= set(body["suggest"])
    # the facets and filters are untouched by the probe
    assert set(body["aggs"]) == {"region", "category", "price", "halal", "kind", "vocabulary"}
    assert body["post_filter"] == {"bool": {"filter": [{"term": {"region": "7402"}}]}}
    assert facets_from({"vocabulary": probe})["region"] == []


def probed(df, options):
    return {"aggregations": {"vocabulary": {"df": {"buckets": {t: {"doc_count": n} for t, n in df.items()}}}},
            "suggest": {"typo-0-name": [{"text": "x", "options": [{"text": t, "score": 0.8, "freq": n}
                                                                  for t, n in options.items()]}],
                        "typo-0-description": [{"text": "x", "options": [{"text": "madu", "freq": 7}]}]}}


def test_the_probe_becomes_a_vocabulary():
    vocabulary = vocabulary_from(probed({"mdau": 0, "kopi": 40}, {"madu": 5, "mada": 1}))
    assert isinstance(vocabulary, ProbedVocabulary)
    assert "mdau" not in vocabulary and "kopi" in vocabulary and vocabulary.document_frequency("kopi") == 40
    assert vocabulary.document_frequency("madu") == 7  # the highest per-field count
    assert sorted(vocabulary.terms()) == ["kopi", "mada", "madu"] and len(vocabulary) == 3


def test_a_typo_is_corrected_from_the_probe_and_suggested():
    client = FakeClient(total=[0, 5])  # the typed word finds nothing, the corrected one five
    response = probed({"mdau": 0}, {"madu": 5})
    client.aggregations, client.suggest = response["aggregations"], response["suggest"]
    result = ElasticsearchEngine(client, "products").search(SearchQuery(q="mdau"))
    assert [plan_part(call[2]) for call in client.calls] == [
        {"bool": {"must": [match("mdau")]}},
        {"bool": {"must": [{"dis_max": {"queries": [match("mdau"), match("madu", 0.7)]}}]}},
    ]  # the plan corrected it: no fuzziness on top
    assert result.suggestion == "madu"
    client.calls.clear()
    client.total = [3, 9]
    assert ElasticsearchEngine(client, "products").search(SearchQuery(q="mdau")).suggestion is None  # enough results
    client.total = [1, 2]
    assert ElasticsearchEngine(client, "products").search(SearchQuery(q="mdau")).suggestion is None  # not clearly more


def test_a_common_word_is_not_corrected():
    client = FakeClient(total=2)
    response = probed({"topi": 30}, {"kopi": 900})
    client.aggregations, client.suggest = response["aggregations"], response["suggest"]
    result = ElasticsearchEngine(client, "products").search(SearchQuery(q="topi"))
    assert len(client.calls) == 1 and result.suggestion is None


def test_a_region_phrase_gives_a_boost_not_a_filter():
    body = search_body(SearchQuery(q="oleh-oleh khas Baubau"), now_ms=NOW)
    functions = body["query"]["function_score"]["functions"]
    assert functions[0]["filter"] == now_period({"term": {"price_periods.promoted": True}})
    assert functions[1] == {"filter": {"term": {"region": "7472"}}, "weight": 1 + REGION_HINT_BOOST}
    assert body["query"]["function_score"]["score_mode"] == "multiply"  # with the promotion boost
    assert body["post_filter"] == {"bool": {"filter": []}}
    # konsel (Konawe Selatan) is a place group: its products, or the word in a listing
    konsel = {"dis_max": {"queries": [place("7405"), match("konsel")]}}
    assert optional_part(plan_part(search_body(SearchQuery(q="madu konsel"))))[0] == konsel
    assert search_body(SearchQuery(q="madu konsel"))["query"]["function_score"]["functions"][1]["filter"] == {
        "term": {"region": "7405"}}


def test_filters_facets_sorts_and_highlight_stay_with_a_plan():
    query = SearchQuery(q="gula merah", region="7402", halal=True, sort="price_asc")
    body = search_body(query, probe=True, now_ms=NOW)
    assert {"term": {"region": "7402"}} in body["post_filter"]["bool"]["filter"]
    assert body["aggs"]["region"]["filter"] == {"bool": {"filter": [{"term": {"halal": True}}]}}
    assert body["sort"][0] == {"price_periods.effective_price": {
        "order": "asc", "mode": "min", "nested": {"path": "price_periods", "filter": GUARD}}}
    assert body["highlight"]["encoder"] == "html"
    assert body["query"]["function_score"]["query"]["bool"]["must_not"] == [
        {"terms": {"merchant.status": ["rejected", "suspended"]}}]


def test_only_stopwords_match_nothing():
    client = FakeClient(total=0)
    result = ElasticsearchEngine(client, "products").search(SearchQuery(q="yang dari"))
    assert plan_part(client.calls[0][2]) == {"match_none": {}} and len(client.calls) == 1
    assert result.total == 0


# --- the relaxed plan: families, places, fragments and measures (issue 12) ----------------


def test_a_family_word_takes_its_items_below_itself(tmp_path):
    path = tmp_path / "hypernyms.txt"
    path.write_text("bumbu dapur: kunyit, jahe\n", encoding="utf-8")
    plan = plan_query("bumbu dapur", hypernyms=Hypernyms(path))
    part = text_query(plan)
    # a phrase's head word counts like an item (see language.plan_query)
    bumbu = {"dis_max": {"queries": [match("bumbu", 0.6), match("kunyit", 0.6), match("jahe", 0.6)]}}
    # the head decides; the family word once more, a name that starts with the family word or an
    # item (a constant score on name_head) and the rest of the phrase only add to the score
    heads = {"dis_max": {"queries": [{"constant_score": {"filter": {"term": {"name_head": term}}, "boost": 0.5 * 3.0}}
                                     for term in ("bumbu", "kunyit", "jahe")]}}
    assert part == {"bool": {"must": [{"bool": {"must": [bumbu]}}],
                             "should": [match("bumbu", 0.5), heads, match("dapur", 0.3)]}}


def test_a_family_reached_through_an_english_word_scores_as_the_family(tmp_path):
    path = tmp_path / "hypernyms.txt"
    path.write_text("camilan: keripik, @camilan\n", encoding="utf-8")
    # (no synonyms: the shipped list's synonyms of camilan would be equivalents of "snacks" too)
    (tmp_path / "synonyms.txt").write_text("", encoding="utf-8")
    part = text_query(plan_query("snacks", hypernyms=Hypernyms(path), synonyms=Synonyms(tmp_path / "synonyms.txt")))
    category = {"bool": {"should": [{"term": {"category": "camilan"}}, {"term": {"category_parent": "camilan"}}],
                         "minimum_should_match": 1}}
    camilan = analyze("camilan")[0]
    snacks = {"dis_max": {"queries": [match(camilan, 0.9), match("keripik", 0.54),
                                      {"constant_score": {"filter": category, "boost": 0.45 * 2.0}}]}}
    # "snacks" -> camilan, a family: its category once more and a name that starts with the
    # family word or an item, as when the buyer types "camilan"
    heads = {"dis_max": {"queries": [{"constant_score": {"filter": {"term": {"name_head": term}}, "boost": 0.5 * 3.0}}
                                     for term in (camilan, "keripik")]}}
    assert part == {"bool": {"must": [{"bool": {"must": [snacks]}}],
                             "should": [{"constant_score": {"filter": category, "boost": 1.0}}, heads]}}


def test_a_family_named_by_generic_words_asks_for_its_items_only(tmp_path):
    path = tmp_path / "hypernyms.txt"
    path.write_text("alat masak: kuali, periuk\n", encoding="utf-8")
    part = text_query(plan_query("peralatan masak", hypernyms=Hypernyms(path)))
    # "peralatan" reads as "alat"; neither it nor "masak" names a thing: the items decide, no
    # clause asks for the generic words but the soft "masak", and no name head is "alat"
    items = {"dis_max": {"queries": [match("kuali", 0.6), match("periuk", 0.6)]}}
    heads = {"dis_max": {"queries": [{"constant_score": {"filter": {"term": {"name_head": term}}, "boost": 0.5 * 3.0}}
                                     for term in ("kuali", "periuk")]}}
    assert part == {"bool": {"must": [{"bool": {"must": [items]}}], "should": [heads, match("masak", 0.3)]}}


def test_a_family_of_categories_scores_its_categories_once_more(tmp_path):
    path = tmp_path / "hypernyms.txt"
    path.write_text("mandi: sabun, @perawatan-tubuh\n", encoding="utf-8")
    part = text_query(plan_query("sabun mandi", hypernyms=Hypernyms(path)))
    category = {"bool": {"should": [{"term": {"category": "perawatan-tubuh"}},
                                    {"term": {"category_parent": "perawatan-tubuh"}}], "minimum_should_match": 1}}
    # sabun, an item of mandi, is typed too: its own concept, not the family's a second time
    mandi = {"dis_max": {"queries": [match("mandi"), {"constant_score": {"filter": category, "boost": 1.0}}]}}
    # once more for a listing in the family's categories, or whose name says the family word
    named = {"constant_score": {"filter": {"match": {"name": "mandi"}}, "boost": 0.5 * 3.0}}
    assert part == {"bool": {"must": [{"bool": {"must": [match("sabun"), mandi]}}],
                             "should": [{"dis_max": {"queries": [{"constant_score": {"filter": category, "boost": 1.0}},
                                                                 named]}}]}}


def test_a_name_that_starts_with_a_packaging_word_is_also_its_next_word():
    doc = document("p1", 1, name="Paket Oleh-Oleh Sultra Box")
    ops = bulk_operations("products", Change(upserts=[doc], removals=[]))
    assert ops[1]["name_head"] == ["paket", "oleh"]
    assert bulk_operations("products", Change(upserts=[document("p2", 1, name="Kopi Paket Hemat")],
                                              removals=[]))[1]["name_head"] == ["kopi"]


def test_a_place_alone_decides_and_beside_a_product_only_ranks():
    alone = text_query(plan_query("raha"))
    raha = {"dis_max": {"queries": [place("7402"), match("raha")]}}
    assert alone == {"bool": {"must": [raha]}}
    beside = text_query(plan_query("kopi raha"))
    assert deciding(beside) == {"bool": {"must": [match("kopi")]}}
    assert optional_part(beside) == [raha, covered(match("kopi")), covered(raha)]


def test_a_kecamatan_of_an_area_also_matches_a_listing_that_names_the_area():
    # "Tiworo Kepulauan" (Muna Barat): its products, or a listing that says "Tiworo"
    tiworo = {"dis_max": {"queries": [place("7413"), match("tiworo")]}}
    assert text_query(plan_query("tiworo kepulauan")) == {"bool": {"must": [tiworo]}}
    beside = text_query(plan_query("kopi tiworo utara"))
    assert deciding(beside) == {"bool": {"must": [match("kopi")]}}
    assert optional_part(beside) == [tiworo, covered(match("kopi")), covered(tiworo)]


def test_a_word_that_says_what_a_thing_is_for_never_decides():
    # "bumbu masak": masak only scores (0.3), as the embedded engine counts it
    part = text_query(plan_query("bumbu masak"))
    assert match("masak", 0.3) in optional_part(part)
    assert "masak" not in str(deciding(part))


def test_a_short_fragment_never_decides():
    part = text_query(plan_query("kopi robusta 2"))
    assert deciding(part) == {"bool": {"must": [match("kopi"), match("robusta")]}}
    assert optional_part(part) == [match("2", 0.3)]


def test_measures_are_indexed_apart_and_queried_as_terms():
    doc = document("p1", 1, name="Kopi Robusta 1 kg", description="Isi 1.000 gr, juga ada 250 g")
    ops = bulk_operations("products", Change(upserts=[doc]))
    assert ops[1]["measures"] == ["1000g", "250g"]
    part = text_query(plan_query("kopi 1kg"))
    measure = {"constant_score": {"filter": {"term": {"measures": "1000g"}}, "boost": 3.0}}
    assert part == {"bool": {"must": [match("kopi"), measure]}}
    assert index_body()["mappings"]["properties"]["measures"] == {"type": "keyword"}


def test_a_code_is_one_term_not_its_fragments():
    joined = {"constant_score": {"filter": {"term": {"joined_terms": "abc12de34"}}, "boost": 3.0}}
    assert text_query(plan_query("abc12de34")) == {"bool": {"must": [{"dis_max": {"queries": [
        match("abc12de34"), joined]}}]}}


def test_joined_codes_and_negated_words_are_indexed_apart_and_queried_as_terms():
    doc = document("p1", name="Kalung Kerawang KPK-925", description="Tanpa pewarna, tidak luntur.")
    assert joined_terms(doc) == ["kpk925", "no-luntur", "no-warna"]
    assert index_body()["mappings"]["properties"]["joined_terms"] == {"type": "keyword"}
    plan = plan_query("kalung tidak luntur")
    negated = {"constant_score": {"filter": {"term": {"joined_terms": "no-luntur"}}, "boost": 3.0 * 0.3}}
    assert text_query(plan) == {"bool": {"must": [{"bool": {"must": [match("kalung")]}}], "should": [negated]}}


def test_a_query_word_that_starts_the_name_adds_the_head_score():
    body = search_body(SearchQuery(q="teripang kering"), now_ms=0)
    text = body["query"]["function_score"]["query"]
    # the synonym gamat too (services/search/synonyms.txt): an alternative of the word
    assert text["bool"]["should"] == [{"terms": {"name_head": ["gamat", "kering", "teripang"], "boost": 1.0}}]
    assert index_body()["mappings"]["properties"]["name_head"] == {"type": "keyword"}


def test_the_place_decides_when_the_words_find_nothing():
    client = FakeClient(total=0)
    ElasticsearchEngine(client, "products").search(SearchQuery(q="glamping wakatobi"))
    last = plan_part(client.calls[-1][2])
    wakatobi = {"dis_max": {"queries": [place("7407"), match("wakatobi")]}}
    assert last["bool"]["must"] == [{"bool": {"must": [wakatobi]}}]


# --- issue 15: no scripts, indexed pricing, configured shards, concrete deletes -----------


def walk(node, path=()):
    """Every (path, key) of a JSON body, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for number, value in enumerate(node):
            yield from walk(value, (*path, number))


def scripted(body) -> list:
    return [(path, key) for path, key in walk(body) if key in ("script", "runtime_mappings", "script_score",
                                                               "script_fields")]


QUERIES = [SearchQuery(q=q, sort=sort, **filters)
           for q in ("", "kopi", "gula merah khas muna", "oleh-oleh khas Baubau")
           for sort in ("relevance", "price_asc", "price_desc", "newest", "discount")
           for filters in ({}, {"min_price": 1000, "max_price": 50000, "on_promo": True, "region": "7402",
                                "category": "kopi-teh", "halal": True, "kind": "umkm", "verified": True,
                                "in_stock": True})]


def test_no_search_body_carries_a_script_anywhere():
    assert scripted({"a": [{"b": {"script": {}}}]}) == [(("a", 0, "b"), "script")]  # the walk finds one deep down
    bodies = [search_body(query, operator, NOW, probe=probe, fuzzy=fuzzy)
              for query in QUERIES for operator in ("and", "partial", "or", "places")
              for probe in (False, True) for fuzzy in (False, True)]
    assert len(bodies) == len(QUERIES) * 16
    assert [scripted(body) for body in bodies if scripted(body)] == []
    # and every request the engine sends, through all its fallbacks
    client = FakeClient(total=0)
    for query in QUERIES:
        ElasticsearchEngine(client, "products").search(query)
    sent = [call[2] for call in client.calls if call[0] == "search"]
    assert len(sent) > len(QUERIES) and [scripted(body) for body in sent if scripted(body)] == []


def test_one_search_uses_one_now_in_every_request():
    client = FakeClient(total=0)
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika hutan", max_price=50000))
    guards = {str(call[2]["post_filter"]) for call in client.calls}
    assert len(client.calls) == 4 and len(guards) == 1


def test_shards_and_replicas_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("SEARCH_ELASTICSEARCH_SHARDS", "6")
    monkeypatch.setenv("SEARCH_ELASTICSEARCH_REPLICAS", "2")
    settings = SearchSettings.load({"SEARCH": {"ELASTICSEARCH_URL": "http://127.0.0.1:9200"}})
    engine = ElasticsearchEngine.from_settings(settings)
    assert (engine.shards, engine.replicas) == (6, 2)
    settings_body = engine.index_body()["settings"]
    assert (settings_body["number_of_shards"], settings_body["number_of_replicas"]) == (6, 2)
    assert "analysis" in settings_body
    # the nameko config section works too; the environment wins
    monkeypatch.delenv("SEARCH_ELASTICSEARCH_SHARDS")
    assert SearchSettings.load({"SEARCH": {"ELASTICSEARCH_SHARDS": 3}}).elasticsearch_shards == 3
    monkeypatch.delenv("SEARCH_ELASTICSEARCH_REPLICAS")
    defaults = SearchSettings.load({})
    assert (defaults.elasticsearch_shards, defaults.elasticsearch_replicas) == (1, 1)
    monkeypatch.setenv("SEARCH_ELASTICSEARCH_SHARDS", "0")
    with pytest.raises(ValidationError):
        SearchSettings.load({})
    # a new index is created with them
    client = ModelCluster()
    ElasticsearchEngine(client, "etalase", shards=4, replicas=0).start()
    created = client.indices_by_name["etalase-v7"].settings
    assert (created["number_of_shards"], created["number_of_replicas"]) == (4, 0)


def test_start_applies_the_configured_replicas_to_the_live_index_and_warns_about_shards(caplog):
    client = ModelCluster()
    ElasticsearchEngine(client, "etalase", shards=1, replicas=1).start()
    with caplog.at_level("WARNING"):
        ElasticsearchEngine(client, "etalase", shards=3, replicas=0).start()
    assert ("put_settings", "etalase-v7", {"index": {"number_of_replicas": 0}}) in client.calls
    assert client.indices_by_name["etalase-v7"].settings["number_of_replicas"] == 0
    assert "reindex" in caplog.text and "3" in caplog.text  # shards only change with a new index


def test_an_index_created_meanwhile_by_another_replica_is_not_an_error():
    client = ModelCluster()
    client.indices.create(index="etalase-v7")  # another replica, between our check and our create
    ElasticsearchEngine(client, "etalase").start()
    with pytest.raises(ModelError):
        client.indices.create(index="etalase-v7")


def test_indices_are_deleted_by_their_concrete_names_only():
    with pytest.raises(ModelError, match="Wildcard"):  # the model refuses as Elasticsearch 8 does
        ModelCluster().indices.delete(index="etalase-v*")
    client = ModelCluster()
    engine = ElasticsearchEngine(client, "etalase", replicas=0)
    assert engine.drop() == []  # nothing there: no request
    engine.start()
    assert engine.drop() == ["etalase-v7"]
    assert ("delete", ("etalase-v7",)) in client.calls and client.indices_by_name == {}
    deletes = [call for call in client.calls if call[0] == "delete"]
    assert all("*" not in name and name != "_all" for call in deletes for name in call[1])


def test_a_reindex_deletes_the_old_index_by_name_and_a_failed_one_its_own():
    client = ModelCluster()
    engine = ElasticsearchEngine(client, "etalase", replicas=0)
    engine.start()
    engine.upsert([document("old", 1)])
    snapshots = [ProductSnapshot.model_validate(snapshot("p1", 3, name="Madu"))]
    assert reindex.reindex_elastic(engine, iter(snapshots), reindex.Progress(), now=0) == 1
    assert engine.indices() == ["etalase-v7-19700101000000"]
    assert sorted(client.indices_by_name) == ["etalase-v7-19700101000000"]
    assert ("delete", ("etalase-v7",)) in client.calls
    assert [hit["id"] for hit in engine.search(SearchQuery()).items] == ["p1"]

    def broken():
        yield snapshots[0]
        raise RuntimeError("the catalog went away")

    with pytest.raises(RuntimeError):
        reindex.reindex_elastic(engine, broken(), reindex.Progress(), now=60)
    assert ("delete", ("etalase-v7-19700101000100",)) in client.calls
    assert sorted(client.indices_by_name) == ["etalase-v7-19700101000000"] and engine.indices() == sorted(
        client.indices_by_name)


def test_a_product_update_after_a_pricing_update_is_not_refused():
    """Elasticsearch adds 1 to a document's version at each partial update; the product's next
    external version must still be above it (VERSION_SHIFT), or the product event would be
    refused (409, taken as "newer there") and lost."""
    client = ModelCluster()
    engine = ElasticsearchEngine(client, "etalase", replicas=0)
    engine.start()
    engine.upsert([document("p1", 1, name="Madu Hutan", price=100000)])
    for version in (1, 2, 3):
        engine.set_pricing([pricing("p1", version, normal_price=100000, effective_price=80000 - version,
                                    discount_percent=20)])
    assert client.version("etalase", "p1") == external_version(1) + 3
    engine.upsert([document("p1", 2, name="Madu Hutan Asli", price=100000)])
    assert client.version("etalase", "p1") == external_version(2)
    assert engine.search(SearchQuery()).items[0]["name"] == "Madu Hutan Asli"
    engine.upsert([document("p1", 1, name="Madu Lama")])  # late and older: still refused
    assert engine.search(SearchQuery()).items[0]["name"] == "Madu Hutan Asli"
    # what the shift prevents: the plain aggregate version after an update
    unshifted = client.bulk([{"index": {"_index": "etalase", "_id": "p1", "version": 3, "version_type": "external"}},
                             document("p1", 3)])
    assert unshifted["items"][0]["index"]["status"] == 409


PAST, FUTURE = "2021-01-01T00:00:00+00:00", "2999-01-01T00:00:00+00:00"


def priced_catalog():
    """Products and pricings with their window open, past (the revert not here yet), open-ended,
    and none: what a late revert must not change."""
    docs = [
        document("aktif", name="Madu Aktif", price=50000, updated_at="2025-01-04T00:00:00+00:00"),
        document("lewat", name="Madu Lewat", price=20000, updated_at="2025-01-03T00:00:00+00:00"),
        document("biasa", name="Madu Biasa", price=40000, updated_at="2025-01-02T00:00:00+00:00"),
        document("unggul", name="Madu Unggul", price=60000, updated_at="2025-01-01T00:00:00+00:00"),
        document("murah", name="Madu Murah", price=300000, updated_at="2024-12-31T00:00:00+00:00"),
    ]
    pricings = [
        pricing("aktif", 1, normal_price=50000, effective_price=30000, discount_percent=40, badge="Diskon 40%",
                valid_until=FUTURE),
        pricing("lewat", 1, normal_price=20000, effective_price=10000, discount_percent=50, promoted=True,
                boost=1.0, badge="Diskon 50%", valid_until=PAST),
        pricing("unggul", 1, normal_price=60000, promoted=True, boost=1.0, badge="Produk Unggulan"),
        pricing("murah", 1, normal_price=300000, effective_price=240000, discount_percent=20, valid_until=FUTURE),
    ]
    return docs, pricings


PRICED_QUERIES = [
    SearchQuery(sort="price_asc"), SearchQuery(sort="price_desc"), SearchQuery(sort="discount"),
    SearchQuery(min_price=15000, max_price=35000, sort="price_asc"), SearchQuery(max_price=12000),
    SearchQuery(min_price=250000), SearchQuery(on_promo=True, sort="price_asc"),
    SearchQuery(on_promo=True, max_price=45000, sort="price_desc"),
]


def seen(result):
    return ([(item["id"], item["effective_price"], item["discount_percent"], item["promoted"], item["badge"])
             for item in result.items], [bucket["count"] for bucket in result.facets["price"]], result.total)


@pytest.mark.parametrize("pricing_first", [False, True])
def test_the_bodies_select_and_order_what_the_embedded_engine_does(engine, search_db, pricing_first):
    """Price filters, price and discount sorts, the promotion filter, the price facet and the
    prices shown, with pricings inside, past and without their window: the Elasticsearch
    bodies, answered by the model of Elasticsearch, give the embedded engine's answers (the
    pricing applied before or after the product is indexed)."""
    docs, pricings = priced_catalog()
    elastic = ElasticsearchEngine(ModelCluster(), "etalase", replicas=0, session_factory=search_db)
    elastic.start()
    for target in (engine, elastic):
        if pricing_first:
            target.set_pricing([dict(p) for p in pricings])
            target.upsert([dict(doc) for doc in docs])
        else:
            target.upsert([dict(doc) for doc in docs])
            target.set_pricing([dict(p) for p in pricings])
    expected = {
        "price_asc": ["lewat", "aktif", "biasa", "unggul", "murah"],  # lewat at 20,000 again, not 10,000
        "price_desc": ["murah", "unggul", "biasa", "aktif", "lewat"],
    }
    for query in PRICED_QUERIES:
        embedded_answer, elastic_answer = seen(engine.search(query)), seen(elastic.search(query))
        assert elastic_answer == embedded_answer, query
        if query.sort in expected and query.min_price is None and not query.on_promo:
            assert [row[0] for row in elastic_answer[0]] == expected[query.sort]
    assert [row[0] for row in seen(elastic.search(SearchQuery(on_promo=True)))[0]] == ["aktif", "unggul", "murah"]
    assert seen(elastic.search(SearchQuery(min_price=15000, max_price=35000)))[0] == [
        ("aktif", 30000, 40, False, "Diskon 40%"), ("lewat", 20000, 0, False, None)]


def test_a_revert_event_replaces_the_indexed_periods(search_db):
    client = ModelCluster()
    elastic = ElasticsearchEngine(client, "etalase", replicas=0, session_factory=search_db)
    elastic.start()
    elastic.upsert([document("p1", name="Madu", price=50000)])
    elastic.set_pricing([pricing("p1", 1, normal_price=50000, effective_price=30000, discount_percent=40,
                                 valid_until=FUTURE)])
    assert [item["id"] for item in elastic.search(SearchQuery(on_promo=True)).items] == ["p1"]
    elastic.set_pricing([pricing("p1", 2, normal_price=50000)])  # the campaign ended: the revert
    assert elastic.search(SearchQuery(on_promo=True)).total == 0
    assert elastic.search(SearchQuery(max_price=40000)).total == 0
    elastic.set_pricing([pricing("p1", 1, normal_price=50000, effective_price=30000, discount_percent=40)])
    assert elastic.search(SearchQuery(max_price=40000)).total == 0  # an older pricing stays out
    source = client.indices_by_name["etalase-v7"].docs["p1"][1]
    assert source["price_periods"] == [{"effective_price": 50000, "discount_percent": 0, "promoted": False,
                                        "on_promo": False}]
    # and the product indexed again keeps it (from search_pricing)
    elastic.upsert([document("p1", 2, name="Madu Asli", price=50000)])
    assert client.indices_by_name["etalase-v7"].docs["p1"][1]["pricing"]["version"] == 2


def test_compose_runs_a_single_node_the_contract_tests_can_reach():
    """README: `docker compose up -d elasticsearch`, then ELASTICSEARCH_URL=http://127.0.0.1:9200."""
    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    node = compose["services"]["elasticsearch"]
    environment = node["environment"]
    assert environment["discovery.type"] == "single-node" and environment["xpack.security.enabled"] == "false"
    assert environment["action.destructive_requires_name"] == "true"  # as production: deletes name their indices
    assert node["ports"] == ["127.0.0.1:9200:9200"]  # no security: this host only
    assert "9200" in " ".join(node["healthcheck"]["test"])
    search = compose["services"]["search"]["environment"]
    assert search["SEARCH_ENGINE"] == "elasticsearch" and search["SEARCH_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    settings = SearchSettings(**{key.removeprefix("SEARCH_").lower(): value for key, value in search.items()
                                 if key.startswith("SEARCH_")})
    assert (settings.elasticsearch_shards, settings.elasticsearch_replicas) == (1, 0)  # one node: no replica
