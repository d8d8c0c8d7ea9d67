"""Full reindex: a fresh index built off to the side, then an atomic switch."""
import json

import pytest
from sqlalchemy import select

from services.catalog.service import CatalogService
from services.search import reindex
from services.search.elastic import ElasticsearchEngine
from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchQuery, document_from_snapshot
from services.search.models import SearchDocument
from services.search.service import SearchService
from shared.contracts import ProductSnapshot
from shared.errors import Conflict

from ops_helpers import call, search_engine, seed_catalog, wait_for


def snapshot(product_id: str, name: str, version: int = 1, status: str = "published") -> ProductSnapshot:
    return ProductSnapshot.model_validate({
        "id": product_id, "merchant_id": "m1", "name": name, "slug": product_id, "description": "",
        "price": 10000, "stock": 3, "unit": "buah",
        "category": {"slug": "tenun", "name": "Tenun", "parent_slug": "kerajinan", "parent_name": "Kerajinan"},
        "halal": False, "status": status, "region": "7402", "region_name": "Muna",
        "merchant": {"id": "m1", "name": "UMKM", "kind": "umkm", "verified": True, "status": "active", "region": "7402"},
        "version": version, "created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00",
    })


def names(engine, q=""):
    return sorted(doc["name"] for doc in engine.search(SearchQuery(q=q, per_page=50)).items)


def test_reindex_keeps_answering_and_keeps_events_applied_during_the_build(engine):
    engine.upsert([document_from_snapshot(snapshot("old", "Barang Hantu", 4))])  # not in the catalog
    engine.upsert([document_from_snapshot(snapshot("p1", "Madu Lama", 1))])
    seen = []

    def export():
        yield snapshot("p1", "Madu Hutan", 2)
        yield snapshot("p2", "Kopi Kolaka", 1)
        # mid-build: search still answers from the old index, and events keep arriving
        seen.append(names(engine))
        engine.upsert([document_from_snapshot(snapshot("p2", "Kopi Kolaka Baru", 5))])
        engine.upsert([document_from_snapshot(snapshot("p9", "Keripik Baru", 1))])
        engine.upsert([document_from_snapshot(snapshot("p1", "Madu Salah", 1))])  # stale: ignored
        yield snapshot("p3", "Draf", 1, status="draft")

    progress = reindex.Progress()
    assert reindex.reindex_embedded(engine, export(), progress) == 3
    assert seen == [["Barang Hantu", "Madu Lama"]]
    assert names(engine) == ["Keripik Baru", "Kopi Kolaka Baru", "Madu Hutan"]
    assert progress.done == 3
    # the documents table was rewritten too: a restart sees the same
    again = EmbeddedEngine(engine.session_factory)
    again.start()
    assert names(again) == ["Keripik Baru", "Kopi Kolaka Baru", "Madu Hutan"]
    with engine.session_factory() as session:
        assert dict(session.execute(select(SearchDocument.id, SearchDocument.version)).all()) == {
            "p1": 2, "p2": 5, "p9": 1}


def test_events_committed_while_the_table_is_written_are_kept(engine, monkeypatch):
    original = reindex.delete

    def event_then_delete(table):
        # an event is applied (and committed) just as the table is about to be rewritten
        engine.upsert([document_from_snapshot(snapshot("p1", "Madu Terbaru", 7))])
        return original(table)

    monkeypatch.setattr(reindex, "delete", event_then_delete)
    reindex.reindex_embedded(engine, iter([snapshot("p1", "Madu Hutan", 2)]), reindex.Progress())
    assert names(engine) == ["Madu Terbaru"]
    with engine.session_factory() as session:
        row = session.get(SearchDocument, "p1")
        assert row.version == 7 and json.loads(row.document)["name"] == "Madu Terbaru"


class FakeIndices:
    def __init__(self, log):
        self.log = log

    def create(self, **kwargs):
        self.log.append(("create", kwargs["index"]))

    def refresh(self, index):
        self.log.append(("refresh", index))

    def exists_alias(self, name):
        return True

    def get_alias(self, name):
        return {"etalase-v3": {"aliases": {name: {}}}}

    def update_aliases(self, actions):
        self.log.append(("aliases", actions))

    def delete(self, index, ignore_unavailable=False):
        self.log.append(("delete", index))


class FakeClient:
    def __init__(self):
        self.log = []
        self.indices = FakeIndices(self.log)

    def bulk(self, operations, refresh=False):
        self.log.append(("bulk", operations))
        return {"errors": False, "items": []}


def test_elasticsearch_reindex_loads_a_new_index_then_switches_the_alias_atomically():
    client = FakeClient()
    engine = ElasticsearchEngine(client, "etalase")
    snapshots = [snapshot("p1", "Madu", 3), snapshot("p2", "Draf", 1, status="draft")]
    loaded = reindex.reindex_elastic(engine, iter(snapshots), reindex.Progress(), now=0)
    assert loaded == 1
    new = "etalase-v7-19700101000000"
    assert [entry[0] for entry in client.log] == ["create", "bulk", "refresh", "aliases", "delete"]
    assert client.log[0] == ("create", new)
    bulk = client.log[1][1]
    assert bulk[0] == {"index": {"_index": new, "_id": "p1", "version": 3 << 32, "version_type": "external"}}
    assert bulk[1]["name"] == "Madu"
    assert client.log[3] == ("aliases", [{"remove": {"index": "etalase-v3", "alias": "etalase"}},
                                         {"add": {"index": new, "alias": "etalase"}}])
    assert client.log[4] == ("delete", ["etalase-v3"])  # the old index, by its name


def test_reindex_through_the_service(platform_dbs, container_factory):
    catalog_db, search_db = platform_dbs
    ids = seed_catalog(catalog_db)
    catalog = container_factory(CatalogService)
    catalog.start()
    search = container_factory(SearchService)
    search.start()
    assert wait_for(lambda: call(search, "health")["documents"] == len(ids))
    engine = search_engine(search)
    engine.upsert([dict(engine.index.get(ids[0]), id="hantu", name="Barang Hantu")])
    assert call(search, "reindex_status")["status"] == "idle"

    started = call(search, "start_reindex")
    assert started["status"] == "running" and started["id"]
    # search keeps answering while it runs
    assert call(search, "search", q="madu")["total"] >= 1
    status = wait_for(lambda: (lambda s: s["status"] != "running" and s)(call(search, "reindex_status")))
    assert status["status"] == "done", status
    assert status["done"] == status["total"] == len(ids)
    assert call(search, "health")["documents"] == len(ids)
    assert call(search, "verify")["in_sync"] is True
    assert call(search, "search", q="hantu")["total"] == 0


def test_one_reindex_at_a_time():
    runner = reindex.ReindexRunner()
    runner.setup()
    runner.progress.status = reindex.RUNNING
    with pytest.raises(Conflict):
        runner.begin(object(), lambda after, limit: {"items": []})
