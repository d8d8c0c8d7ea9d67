"""``verify``: a real catalog and a real search service; drift made in the search database."""
import json
import time

import nameko
from click.testing import CliRunner
from sqlalchemy import select

from services import cli
from services.catalog.service import CatalogService
from services.search.models import AggregateState, SearchDocument
from services.search.service import SearchService

from ops_helpers import call, search_engine, seed_catalog, wait_for


def start(container_factory, cls):
    container = container_factory(cls)
    container.start()
    return container


def test_verify_reports_drift_and_repair_fixes_it(platform_dbs, container_factory):
    catalog_db, search_db = platform_dbs
    ids = seed_catalog(catalog_db)
    start(container_factory, CatalogService)
    search = start(container_factory, SearchService)
    assert wait_for(lambda: call(search, "health")["documents"] == len(ids))

    report = call(search, "verify")
    assert report["in_sync"] is True and report["checked"] == len(ids) and report["listed"] == len(ids)
    assert report["missing"] == {"count": 0, "ids": []}

    # Drift in the search database: one row lost, one at an older version, one unknown.
    missing, stale = ids[0], ids[1]
    with search_db() as session:
        session.delete(session.get(SearchDocument, missing))
        row = session.get(SearchDocument, stale)
        doc = json.loads(row.document)
        doc.update(version=0, name="Nama Lama")
        row.version, row.document = 0, json.dumps(doc)
        extra = dict(doc, id="hantu-1", version=3)
        session.add(SearchDocument(id="hantu-1", version=3, region=extra["region"], document=json.dumps(extra)))
        state = session.get(AggregateState, ("product", stale))
        state.version = 0
        session.commit()
    search.stop()
    search = start(container_factory, SearchService)  # the memory index is loaded from the table

    report = call(search, "verify")
    assert report["in_sync"] is False and report["repaired"] is False
    assert report["missing"] == {"count": 1, "ids": [missing]}
    assert report["stale"] == {"count": 1, "ids": [stale]}
    assert report["extra"] == {"count": 1, "ids": ["hantu-1"]}
    assert call(search, "health")["documents"] == len(ids)  # reporting changed nothing

    report = call(search, "verify", repair=True)
    assert report["repaired"] is True and report["missing"]["count"] == 1
    assert call(search, "verify")["in_sync"] is True
    assert call(search, "health")["documents"] == len(ids)
    assert call(search, "search", q="Madu Hutan Buton")["items"][0]["name"] != "Nama Lama"
    with search_db() as session:
        rows = dict(session.execute(select(SearchDocument.id, SearchDocument.version)).all())
        assert sorted(rows) == sorted(ids)
        assert session.get(AggregateState, ("product", stale)).version == rows[stale] >= 1

    # and it survives a restart (the table was repaired too)
    search.stop()
    search = start(container_factory, SearchService)
    assert call(search, "verify")["in_sync"] is True


def test_unlisted_products_in_the_index_are_extra(platform_dbs, container_factory):
    catalog_db, _ = platform_dbs
    ids = seed_catalog(catalog_db, names=["Kopi Kolaka", "Madu Hutan Buton"])
    catalog = start(container_factory, CatalogService)
    search = start(container_factory, SearchService)
    assert wait_for(lambda: call(search, "health")["documents"] == 2)
    engine = search_engine(search)
    doc = dict(engine.index.get(ids[0]))
    # an archived product still in the index (as if its event never arrived)
    call(catalog, "update_product", actor={"id": "acc-owner-1", "role": "owner"}, product_id=ids[0],
         data={"status": "archived"})
    time.sleep(0.5)  # whatever the event did, the index holds it again below
    engine.index.put(dict(doc, version=99))
    report = call(search, "verify", repair=True)
    assert report["extra"]["ids"] == [ids[0]] and report["checked"] == 2 and report["listed"] == 1
    assert call(search, "health")["documents"] == 1


def test_cli_verify_and_reindex_call_the_running_service(platform_dbs, container_factory, monkeypatch):
    catalog_db, _ = platform_dbs
    ids = seed_catalog(catalog_db, names=["Kopi Kolaka", "Madu Hutan Buton"])
    start(container_factory, CatalogService)
    search = start(container_factory, SearchService)
    assert wait_for(lambda: call(search, "health")["documents"] == 2)
    search_engine(search).delete([ids[0]])
    monkeypatch.setattr(cli, "_config", lambda: {"AMQP_URI": nameko.config["AMQP_URI"]})

    result = CliRunner().invoke(cli.main, ["search", "verify"])
    assert result.exit_code == 1, result.output
    assert f"hilang dari indeks: 1 ({ids[0]})" in result.output
    result = CliRunner().invoke(cli.main, ["search", "verify", "--repair"])
    assert result.exit_code == 0 and "sudah diperbaiki" in result.output, result.output
    result = CliRunner().invoke(cli.main, ["search", "reindex", "--interval", "0.05"])
    assert result.exit_code == 0, result.output
    assert "dibangun ulang dari 2 produk" in result.output
    assert CliRunner().invoke(cli.main, ["search", "verify"]).exit_code == 0
