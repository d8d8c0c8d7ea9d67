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

    def bulk(self, operations, refresh):
        self.calls.append(("bulk", operations, refresh))
        return {"errors": bool(self.bulk_items), "items": self.bulk_items}

    def search(self, index, body):
        self.calls.append(("search", index, body))
        return {"hits": {"total": {"value": self.total}, "hits": []}}


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
    assert creates[0][1] == "etalase-products-v1" and creates[0][4] == {"etalase-products": {}}


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


def test_search_body_with_words_region_and_paging():
    body = search_body(SearchQuery(q="kopi muna", region="7402", page=3, per_page=10))
    assert body["from"] == 20 and body["size"] == 10 and body["track_total_hits"] is True
    match = body["query"]["bool"]["must"][0]["multi_match"]
    assert match["query"] == "kopi muna" and match["operator"] == "and" and "name^3" in match["fields"]
    assert body["query"]["bool"]["filter"] == [{"term": {"region": "7402"}}]


def test_empty_query_lists_newest_first():
    body = search_body(SearchQuery())
    assert body["query"]["bool"]["must"] == [{"match_all": {}}] and body["query"]["bool"]["filter"] == []
    assert body["sort"][0] == {"updated_at": "desc"}


def test_falls_back_to_any_word_when_all_words_find_nothing():
    client = FakeClient(total=0)
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika hutan"))
    operators = [call[2]["query"]["bool"]["must"][0]["multi_match"]["operator"] for call in client.calls]
    assert operators == ["and", "or"]
    client.calls.clear()
    ElasticsearchEngine(client, "products").search(SearchQuery(q="arabika"))
    assert len(client.calls) == 1
