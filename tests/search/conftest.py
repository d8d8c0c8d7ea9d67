"""Fixtures shared by the search tests: the search database, engines on it (embedded, or a
live Elasticsearch for the contract tests), the nameko config of a search service, and a
real catalog beside it (verify and reindex)."""
import os
import uuid

import nameko
import pytest
from sqlalchemy import create_engine, text

from services.search.elastic import ElasticsearchEngine
from services.search.embedded import EmbeddedEngine
from shared.db import make_engine, make_session_factory
from shared.migrations import upgrade


@pytest.fixture
def search_db(migrated):
    """A session factory on a migrated search database (SQLite and PostgreSQL)."""
    return migrated("search")


@pytest.fixture
def engine(search_db):
    """A started embedded engine on ``search_db``."""
    engine = EmbeddedEngine(search_db)
    engine.start()
    return engine


@pytest.fixture
def search_config(rabbit_config, database_url):
    """A migrated search database and the nameko config that points a search service at it."""
    upgrade("search", database_url)
    with nameko.config.patch({"SEARCH": {"DATABASE_URL": database_url}}):
        yield


@pytest.fixture(params=["embedded-sqlite", "embedded-postgres", "elasticsearch"])
def engine_factory(request):
    """``engine_factory()`` returns an engine on the test's store; calling it again gives a
    fresh instance on the same store (what a restarted service would see)."""
    if request.param.startswith("embedded"):
        if request.param == "embedded-postgres":
            if request.config.getoption("--no-postgres"):
                pytest.skip("PostgreSQL disabled with --no-postgres")
            url = request.getfixturevalue("postgres_url")
        else:
            url = request.getfixturevalue("sqlite_url")
        upgrade("search", url)
        sql_engine = make_engine(url)
        request.addfinalizer(sql_engine.dispose)
        session_factory = make_session_factory(sql_engine)

        def make():
            # On PostgreSQL with the change log on (what replicas run): the contract holds either way.
            engine = EmbeddedEngine(session_factory, change_log=request.param == "embedded-postgres")
            engine.start()
            return engine

        return make
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        # The only skip allowed here: no node on this machine (README "Elasticsearch").
        pytest.skip("Elasticsearch contract tests need ELASTICSEARCH_URL (e.g. http://127.0.0.1:9200)")
    return request.getfixturevalue("elastic_engine_factory")


@pytest.fixture
def elastic_engine_factory(sqlite_url):
    """Engines on a throwaway alias of the live node at ELASTICSEARCH_URL (one shard, no
    replica: a single node), with a search database of their own for stored pricing."""
    # Imported here: the client library takes half a second to load, and only these tests use it.
    from elasticsearch import Elasticsearch

    upgrade("search", sqlite_url)
    sql_engine = make_engine(sqlite_url)
    session_factory = make_session_factory(sql_engine)
    client = Elasticsearch(os.environ["ELASTICSEARCH_URL"])
    alias = f"etalase-test-{uuid.uuid4().hex[:10]}"

    def make():
        engine = ElasticsearchEngine(client, alias, shards=1, replicas=0, session_factory=session_factory)
        engine.start()
        return engine

    yield make
    # By the indices' concrete names: Elasticsearch 8 refuses a wildcard in a delete
    # (action.destructive_requires_name).
    ElasticsearchEngine(client, alias).drop()
    client.close()
    sql_engine.dispose()


@pytest.fixture
def second_database_url(database_url, tmp_path):
    """Another empty database of the same kind as ``database_url`` (for the catalog)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    admin_url = os.environ.get("TEST_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"etalase_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                               {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def platform_dbs(rabbit_config, database_url, second_database_url, tmp_path, monkeypatch):
    """A real catalog and a real search service, each with its own database (both SQLite, or
    both PostgreSQL): (catalog session factory, search session factory), both migrated,
    nameko config patched."""
    for name in ("CATALOG_DATABASE_URL", "SEARCH_DATABASE_URL", "SEARCH_ENGINE"):
        monkeypatch.delenv(name, raising=False)
    upgrade("search", database_url)
    upgrade("catalog", second_database_url)
    engines = [make_engine(second_database_url), make_engine(database_url)]
    config = {"SEARCH": {"DATABASE_URL": database_url},
              "CATALOG": {"DATABASE_URL": second_database_url, "MEDIA_ROOT": str(tmp_path / "media")}}
    with nameko.config.patch(config):
        yield tuple(make_session_factory(engine) for engine in engines)
    for engine in engines:
        engine.dispose()
