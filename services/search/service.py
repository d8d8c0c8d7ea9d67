"""The search service's entry points; each only calls plain modules: batching.py and
indexer.py index catalog events, embedded.py and elastic.py are the engines (engine_provider.py
picks and loads one), params.py checks arguments, and analytics.py, interactions.py,
verify.py and reindex.py do the rest. Functions named like an entry point are imported
under another name."""
from __future__ import annotations

from services.search.analytics import QueryAnalytics, check_window
from services.search.analytics import top_queries as top_queries_report
from services.search.analytics import zero_result_queries as zero_result_queries_report
from services.search.batching import IndexBatcher
from services.search.engine import search_response
from services.search.engine_provider import SearchEngineProvider
from services.search.interactions import InteractionRecorder, PolledOutboxRelay, parse_interactions
from services.search.language import reload_synonyms as reload_synonym_file
from services.search.models import Inbox, Outbox
from services.search.params import parse_search_query, parse_suggest_prefix
from services.search.reindex import ReindexRunner
from services.search.settings import SearchSettings
from services.search.suggest import EngineNames
from services.search.suggest import suggest as suggest_names
from services.search.verify import rpc_export
from services.search.verify import verify as verify_index
from shared.batching import batch_event_consumer
from shared.db import Database
from shared.errors import EtalaseError
from shared.extensions import StartupObjectsFrozen
from shared.leader import Leadership
from shared.retention import EventRetention
from shared.rpc import DeadlineRpc
from shared.rpc_transport import rpc  # nameko's @rpc, replies unconfirmed (see there)


class SearchService:
    name = "search"

    catalog_rpc = DeadlineRpc(default_timeout=30)  # the catalog's export (verify and reindex)
    reindexer = ReindexRunner()

    db = Database(SearchSettings)
    engine = SearchEngineProvider(leader="leader")  # follows the change log; the leader prunes it
    analytics = QueryAnalytics("db")  # query analytics, buffered (see analytics.py)
    interactions = InteractionRecorder("db")  # impressions/views/contacts -> outbox (interactions.py)
    # Replicas sharing one database: one relays the interaction events and prunes.
    leader = Leadership("db")
    outbox_relay = PolledOutboxRelay("db", Outbox, leader="leader")
    retention = EventRetention("db", SearchSettings, outbox_model=Outbox, inbox_model=Inbox,  # old rows pruned
                               leader="leader")
    batcher = IndexBatcher("db", "engine")  # catalog events, group-committed (batching.py)
    startup_objects = StartupObjectsFrozen()  # out of the GC's full collections (shared/extensions.py)

    @batch_event_consumer("search")
    def handle_events(self, bodies):
        # The messages the broker has sent meanwhile, applied in batches (shared/batching.py);
        # one error or None per message, so only a failing message is retried or dead-lettered.
        return self.batcher.apply_bodies(bodies)

    @rpc(expected_exceptions=EtalaseError)
    def verify(self, repair=False):
        """Compare the index with the catalog; with ``repair`` fix the drift (see verify.py)."""
        return verify_index(self.db, self.engine, rpc_export(self.catalog_rpc), repair_drift=bool(repair))

    @rpc(expected_exceptions=EtalaseError)
    def start_reindex(self):
        """Rebuild the index from the catalog in the background -> {"id", "status"}."""
        # The search database's session factory: Elasticsearch documents take their stored pricing.
        return self.reindexer.begin(self.engine, rpc_export(self.catalog_rpc), self.db.session_factory)

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
        return search_response(query, result)

    @rpc(expected_exceptions=EtalaseError)
    def suggest(self, q=""):
        """Autocomplete: up to 10 product names continuing ``q`` (1-50 characters)."""
        return {"suggestions": suggest_names(parse_suggest_prefix(q), EngineNames(self.engine))}

    @rpc(expected_exceptions=EtalaseError)
    def reload_synonyms(self):
        """Re-read the synonym file now (the admin edited it); returns its group count."""
        return {"groups": reload_synonym_file()}

    @rpc(expected_exceptions=EtalaseError)
    def top_queries(self, days=7, limit=20):
        """The most searched normalized queries of the last ``days`` days (see analytics.py)."""
        days, limit = check_window(days, limit)
        self.analytics.flush()  # include what is still buffered
        return {"days": days, "queries": top_queries_report(self.db.session, days, limit)}

    @rpc(expected_exceptions=EtalaseError)
    def zero_result_queries(self, days=7, limit=20):
        """Normalized queries that found nothing in the last ``days`` days, worst first."""
        days, limit = check_window(days, limit)
        self.analytics.flush()
        return {"days": days, "queries": zero_result_queries_report(self.db.session, days, limit)}

    @rpc(expected_exceptions=EtalaseError)
    def record_interactions(self, interactions):
        """Count products shown, opened or contacted: [{"product_id", "kind"[, "count"]}], kind
        impression | view | contact. Only added up in memory here; published in batches (interactions.py)."""
        self.interactions.add(parse_interactions(interactions))
        return None
