"""The search service: entry points only; the work is in indexer, embedded and params."""
from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchEngine, result_item
from services.search.params import parse_search_query
from services.search.settings import SearchSettings
from shared.consumer import event_consumer
from shared.db import Database, make_engine, make_session_factory
from shared.errors import EtalaseError, ValidationFailed
from shared.events import Event

log = logging.getLogger(__name__)


def build_engine(settings: SearchSettings, session_factory) -> SearchEngine:
    if settings.engine == "elasticsearch":
        from services.search.elastic import ElasticsearchEngine

        return ElasticsearchEngine.from_settings(settings)
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
        self.sql_engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.engine


from services.search.reindex import ReindexRunner  # noqa: E402
from shared.rpc import DeadlineRpc  # noqa: E402
from services.search.analytics import QueryAnalytics  # noqa: E402
from services.search.interactions import InteractionRecorder, PolledOutboxRelay  # noqa: E402
from services.search.models import Outbox  # noqa: E402
from services.search.batching import IndexBatcher  # noqa: E402


class SearchService:
    name = "search"

    catalog_rpc = DeadlineRpc(default_timeout=30)  # the catalog's export (verify and reindex)
    reindexer = ReindexRunner()

    db = Database(SearchSettings)
    engine = SearchEngineProvider()
    analytics = QueryAnalytics("db")  # query analytics, buffered (see analytics.py)
    interactions = InteractionRecorder("db")  # impressions/views/contacts -> outbox (interactions.py)
    outbox_relay = PolledOutboxRelay("db", Outbox)
    batcher = IndexBatcher("db", "engine")  # catalog events, group-committed (batching.py)

    @event_consumer("search")
    def handle_event(self, body):
        # Waits until the event is committed with the batch it joined (batching.py); raises
        # only this event's error, so only this message is retried or dead-lettered.
        self.batcher.submit(Event.from_dict(body))

    @rpc(expected_exceptions=EtalaseError)
    def verify(self, repair=False):
        """Compare the index with the catalog; with ``repair`` fix the drift (see verify.py)."""
        from services.search.verify import rpc_export, verify

        return verify(self.db, self.engine, rpc_export(self.catalog_rpc), repair_drift=bool(repair))

    @rpc(expected_exceptions=EtalaseError)
    def start_reindex(self):
        """Rebuild the index from the catalog in the background -> {"id", "status"}."""
        from services.search.verify import rpc_export

        # The search database's session factory: Elasticsearch documents take their stored pricing.
        return self.reindexer.begin(self.engine, rpc_export(self.catalog_rpc), self.db._session_factory)

    @rpc(expected_exceptions=EtalaseError)
    def reindex_status(self):
        return self.reindexer.status()

    @rpc(expected_exceptions=EtalaseError)
    def health(self):
        return {"status": "ok", "documents": self.engine.count()}

    @rpc(expected_exceptions=EtalaseError)
    def search(self, q="", region=None, page=1, per_page=20, category=None, min_price=None, max_price=None,
               halal=None, kind=None, verified=None, on_promo=None, in_stock=None, sort=None):
        query = parse_search_query(
            q=q, region=region, page=page, per_page=per_page, category=category, min_price=min_price,
            max_price=max_price, halal=halal, kind=kind, verified=verified, on_promo=on_promo,
            in_stock=in_stock, sort=sort,
        )
        result = self.engine.search(query)
        if query.page == 1:
            self.analytics.record(query.q, query.region, query.category, result.total)
        return {
            "total": result.total,
            "page": query.page,
            "per_page": query.per_page,
            "items": [result_item(doc) for doc in result.items],
            "facets": result.facets,
            "suggestion": result.suggestion,
        }

    @rpc(expected_exceptions=EtalaseError)
    def suggest(self, q=""):
        """Autocomplete: up to 10 product names continuing ``q`` (1-50 characters)."""
        from services.search.suggest import EngineNames, suggest

        text = (q or "").strip() if isinstance(q, str) else ""
        if not 1 <= len(text) <= 50:
            raise ValidationFailed("Parameter tidak valid.", {"q": "Harus berisi 1 sampai 50 karakter."})
        return {"suggestions": suggest(text, EngineNames(self.engine))}

    @rpc(expected_exceptions=EtalaseError)
    def reload_synonyms(self):
        """Re-read the synonym file now (the admin edited it); returns its group count."""
        from services.search.language import reload_synonyms

        return {"groups": reload_synonyms()}

    @rpc(expected_exceptions=EtalaseError)
    def top_queries(self, days=7, limit=20):
        """The most searched normalized queries of the last ``days`` days (see analytics.py)."""
        from services.search.analytics import check_window, top_queries

        days, limit = check_window(days, limit)
        self.analytics.flush()  # include what is still buffered
        return {"days": days, "queries": top_queries(self.db.session, days, limit)}

    @rpc(expected_exceptions=EtalaseError)
    def zero_result_queries(self, days=7, limit=20):
        """Normalized queries that found nothing in the last ``days`` days, worst first."""
        from services.search.analytics import check_window, zero_result_queries

        days, limit = check_window(days, limit)
        self.analytics.flush()
        return {"days": days, "queries": zero_result_queries(self.db.session, days, limit)}

    @rpc(expected_exceptions=EtalaseError)
    def record_interactions(self, interactions):
        """Count products shown, opened or contacted: [{"product_id", "kind"}], kind impression |
        view | contact. Only added up in memory here; published in batches (interactions.py)."""
        from services.search.interactions import parse_interactions

        self.interactions.add(parse_interactions(interactions))
        return None
