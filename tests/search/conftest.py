import os

import pytest


@pytest.fixture(params=["embedded-sqlite", "embedded-postgres", "elasticsearch"])
def engine_factory(request):
    """``engine_factory()`` returns an engine on the test's store; calling it again gives a
    fresh instance on the same store (what a restarted service would see)."""
    if request.param.startswith("embedded"):
        from services.search.embedded import EmbeddedEngine
        from shared.db import make_engine, make_session_factory
        from shared.migrations import upgrade

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
            engine = EmbeddedEngine(session_factory)
            engine.start()
            return engine

        return make
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("Elasticsearch contract tests need ELASTICSEARCH_URL (e.g. http://127.0.0.1:9200)")
    return request.getfixturevalue("elastic_engine_factory")


@pytest.fixture
def elastic_engine_factory():
    """Engines on a throwaway alias of the live node at ELASTICSEARCH_URL."""
    import uuid

    from elasticsearch import Elasticsearch

    from services.search.elastic import ElasticsearchEngine

    client = Elasticsearch(os.environ["ELASTICSEARCH_URL"])
    alias = f"etalase-test-{uuid.uuid4().hex[:10]}"

    def make():
        engine = ElasticsearchEngine(client, alias)
        engine.start()
        return engine

    yield make
    client.indices.delete(index=f"{alias}-v*", ignore_unavailable=True)
    client.close()


# A real catalog and a real search service, each with its own database (verify and reindex tests).
from ops_helpers import platform_dbs, second_database_url  # noqa: E402,F401
