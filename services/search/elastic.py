"""The Elasticsearch engine: same interface as the embedded one, for a province or more.

- Documents live in a versioned index (``<alias>-v1``) behind an alias, so a mapping change
  can be rebuilt into ``-v2`` and the alias swapped without downtime.
- Writes are bulk requests with ``version_type=external`` (the aggregate version): a
  replayed or late event is refused by Elasticsearch itself (409), which we treat as done.
- ``stage`` writes to Elasticsearch *before* the consumer commits: if the write fails the
  transaction rolls back and the event is retried; if the commit fails after the write,
  the redelivery is a harmless version conflict.

Request bodies are built by plain functions so they can be tested without a server.
"""
from __future__ import annotations

import logging
from typing import Iterable

from services.search.analysis import STOPWORDS, VARIANTS, query_terms
from services.search.engine import Change, Removal, SearchQuery, SearchResult

log = logging.getLogger(__name__)

INDEX_VERSION = 1
SEARCH_FIELDS = ["name^3", "category_name^2", "category_parent_name", "merchant.name^2", "region_name^2", "description"]


def index_body() -> dict:
    """Settings and mappings of a product index, with an Indonesian analyzer."""
    variants = sorted(f"{variant} => {canonical}" for variant, canonical in VARIANTS.items() if variant != canonical)
    text = {"type": "text", "analyzer": "etalase_id"}
    keyword = {"type": "keyword"}
    return {
        "settings": {
            "analysis": {
                "char_filter": {
                    # oleh2 -> oleh, as the embedded analyzer does
                    "reduplication": {"type": "pattern_replace", "pattern": "(\\p{L}{2,})2\\b", "replacement": "$1"},
                },
                "filter": {
                    "etalase_stop": {"type": "stop", "stopwords": sorted(STOPWORDS)},
                    "etalase_variants": {"type": "synonym", "synonyms": variants},
                    "etalase_stemmer": {"type": "stemmer", "language": "indonesian"},
                },
                "analyzer": {
                    "etalase_id": {
                        "type": "custom",
                        "char_filter": ["reduplication"],
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding", "etalase_stop", "etalase_variants", "etalase_stemmer"],
                    },
                },
            },
        },
        "mappings": {
            "dynamic": "false",
            "properties": {
                "id": keyword,
                "name": text,
                "description": text,
                "price": {"type": "long"},
                "stock": {"type": "integer"},
                "unit": keyword,
                "category": keyword,
                "category_name": text,
                "category_parent": keyword,
                "category_parent_name": text,
                "halal": {"type": "boolean"},
                "region": keyword,
                "region_name": text,
                "merchant": {"properties": {
                    "id": keyword, "name": text, "kind": keyword, "verified": {"type": "boolean"},
                    "status": keyword,
                }},
                "version": {"type": "long"},
                "updated_at": {"type": "date"},
            },
        },
    }


def bulk_operations(index: str, change: Change) -> list[dict]:
    """Bulk actions for ``change``; versioned ones use the aggregate version (external)."""
    operations: list[dict] = []
    for doc in change.upserts:
        operations.append({"index": {"_index": index, "_id": doc["id"], "version": int(doc["version"]),
                                     "version_type": "external"}})
        operations.append(doc)
    for removal in change.removals:
        action = {"_index": index, "_id": removal.id}
        if removal.version is not None:
            action.update(version=int(removal.version), version_type="external")
        operations.append({"delete": action})
    return operations


def search_body(query: SearchQuery, operator: str = "and") -> dict:
    filters = [{"term": {"region": query.region}}] if query.region else []
    # Belt and braces: the indexer already removes a suspended merchant's products.
    hidden = [{"term": {"merchant.status": "suspended"}}]
    body: dict = {"from": query.offset, "size": query.per_page, "track_total_hits": True}
    if query.q.strip():
        must = [{"multi_match": {"query": query.q, "fields": SEARCH_FIELDS, "operator": operator}}]
        body["query"] = {"bool": {"must": must, "filter": filters, "must_not": hidden}}
        body["sort"] = ["_score", {"updated_at": "desc"}, {"id": "asc"}]
    else:
        body["query"] = {"bool": {"must": [{"match_all": {}}], "filter": filters, "must_not": hidden}}
        body["sort"] = [{"updated_at": "desc"}, {"id": "desc"}]
    return body


def bulk_failures(response: dict) -> list[dict]:
    """Errors of a bulk response that matter: a version conflict means a newer version is
    already there (a replay or a late event), and deleting a missing document is done."""
    failures = []
    for item in response.get("items", []):
        (action, result), = item.items()
        status = result.get("status", 200)
        if status >= 300 and status != 409 and not (action == "delete" and status == 404):
            failures.append(result)
    return failures


class ElasticsearchError(RuntimeError):
    pass


class ElasticsearchEngine:
    def __init__(self, client, alias: str):
        self.client = client
        self.alias = alias

    @classmethod
    def from_settings(cls, settings) -> "ElasticsearchEngine":
        from elasticsearch import Elasticsearch

        if not settings.elasticsearch_url:
            raise ValueError("SEARCH_ELASTICSEARCH_URL is required when SEARCH_ENGINE=elasticsearch")
        return cls(Elasticsearch(settings.elasticsearch_url, request_timeout=10), settings.elasticsearch_index)

    @property
    def versioned_index(self) -> str:
        return f"{self.alias}-v{INDEX_VERSION}"

    def start(self) -> None:
        """Create the versioned index behind the alias unless the alias exists."""
        if self.client.indices.exists_alias(name=self.alias):
            return
        body = index_body()
        self.client.indices.create(index=self.versioned_index, settings=body["settings"],
                                   mappings=body["mappings"], aliases={self.alias: {}})

    def _bulk(self, change: Change, refresh: bool) -> None:
        operations = bulk_operations(self.alias, change)
        if not operations:
            return
        response = self.client.bulk(operations=operations, refresh=refresh)
        failures = bulk_failures(dict(response))
        if failures:
            raise ElasticsearchError(f"bulk write failed: {failures[:3]!r}")

    def stage(self, session, change: Change) -> None:
        self._bulk(change, refresh=False)  # Elasticsearch shows it within its refresh interval

    def apply(self, change: Change) -> None:
        pass  # already written (and idempotent) in stage

    def upsert(self, docs: Iterable[dict]) -> None:
        self._bulk(Change(upserts=list(docs)), refresh=True)

    def delete(self, ids: Iterable[str]) -> None:
        self._bulk(Change(removals=[Removal(id=str(i), version=None) for i in ids]), refresh=True)

    def search(self, query: SearchQuery) -> SearchResult:
        result = self._search(search_body(query))
        if result.total == 0 and len(query_terms(query.q)) > 1:
            result = self._search(search_body(query, operator="or"))
        return result

    def _search(self, body: dict) -> SearchResult:
        response = self.client.search(index=self.alias, body=body)
        hits = response["hits"]
        return SearchResult(total=hits["total"]["value"], items=[hit["_source"] for hit in hits["hits"]])

    def count(self) -> int:
        return int(self.client.count(index=self.alias)["count"])
