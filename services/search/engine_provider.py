"""Which search engine the service runs (embedded, the default, or Elasticsearch) and the
nameko provider that loads it before any entry point starts."""
from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session, sessionmaker

from services.search.elastic import ElasticsearchEngine
from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchEngine
from services.search.settings import SearchSettings
from shared.db import make_engine, make_session_factory

log = logging.getLogger(__name__)


def build_engine(settings: SearchSettings, session_factory: sessionmaker[Session]) -> SearchEngine:
    if settings.engine == "elasticsearch":
        return ElasticsearchEngine.from_settings(settings, session_factory)
    return EmbeddedEngine(session_factory)


class SearchEngineProvider(DependencyProvider):
    """Builds the engine in ``setup`` and loads it there, so the index is complete before
    any entry point starts consuming (nameko starts all extensions at once)."""

    def setup(self):
        settings = SearchSettings.load()
        # Its own SQLAlchemy engine: the Database provider's is set up concurrently with
        # this one, so it may not exist yet. Workers write through the Database provider.
        self.sql_engine = make_engine(settings.database_url)
        self.engine = build_engine(settings, make_session_factory(self.sql_engine))
        self.engine.start()
        self.sql_engine.dispose()  # loaded; do not hold an idle connection (SQLite has one writer)
        log.info("search engine %s ready with %d documents", settings.engine, self.engine.count())

    def stop(self):
        # A clean stop: the entry points are stopped and their workers done, so the embedded
        # engine may keep a snapshot of its index for the next start.
        stop = getattr(self.engine, "stop", None)
        if stop is not None:
            stop()
        self.sql_engine.dispose()

    def kill(self):
        self.sql_engine.dispose()  # no snapshot: the index may be mid-change

    def get_dependency(self, worker_ctx):
        return self.engine
