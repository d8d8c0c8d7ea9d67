"""Which search engine the service runs (embedded, the default, or Elasticsearch) and the
nameko provider that loads it before any entry point starts, and (embedded) follows the
change log so that every replica shows what the others index (changes.py)."""
from __future__ import annotations

import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from services.search.elastic import ElasticsearchEngine
from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchEngine
from services.search.settings import SearchSettings
from shared.background import BackgroundProvider
from shared.db import make_engine, make_session_factory
from shared.leader import leader_of, leads

log = logging.getLogger(__name__)


def build_engine(settings: SearchSettings, session_factory: sessionmaker[Session]) -> SearchEngine:
    if settings.engine == "elasticsearch":
        return ElasticsearchEngine.from_settings(settings, session_factory)
    return EmbeddedEngine(session_factory, change_log=settings.change_log)


class ChangeFollower:
    """One step of the follower loop, without the loop: catch up with the change log, and
    prune it once ``prune_interval`` seconds have passed since the last prune."""

    def __init__(self, engine: EmbeddedEngine, keep: int, prune_interval: float, clock=time.monotonic,
                 may_prune=lambda: True):
        self.engine = engine
        self.keep = keep
        self.prune_interval = prune_interval
        self.clock = clock
        self.may_prune = may_prune  # one replica prunes the shared log: the leader
        self.last_prune = clock()
        self.failing = False

    def step(self) -> int:
        """Apply what was logged since the last step; how many log rows were read."""
        try:
            read = self.engine.catch_up()
            if self.clock() - self.last_prune >= self.prune_interval:
                self.last_prune = self.clock()
                if self.may_prune():
                    self.engine.prune_log(self.keep)
        except Exception:  # noqa: BLE001 - the database may be away: the next step tries again
            if not self.failing:
                log.exception("search change log: following failed; retrying every step")
            self.failing = True
            return 0
        if self.failing:
            log.info("search change log: following again at seq %d", self.engine.applied_seq)
            self.failing = False
        return read


class SearchEngineProvider(BackgroundProvider):
    """Builds the engine in ``setup`` and loads it there, so the index is complete (caught up
    with the change log) before any entry point starts consuming (nameko starts all extensions
    at once); then follows the change log in a managed green thread (embedded engine only)."""

    thread_name = "search_change_follower"

    def __init__(self, leader: str | None = None):
        super().__init__()
        self.leader = leader  # the service's shared.leader.Leadership: only it prunes the log

    def setup(self):
        self.settings = settings = SearchSettings.load()
        # Its own SQLAlchemy engine: the Database provider's is set up concurrently with
        # this one, so it may not exist yet. Workers write through the Database provider.
        self.sql_engine = make_engine(settings.database_url)
        self.engine = build_engine(settings, make_session_factory(self.sql_engine))
        self.engine.start()
        self.sql_engine.dispose()  # loaded; do not hold an idle connection (SQLite has one writer)
        log.info("search engine %s ready with %d documents", settings.engine, self.engine.count())

    def run(self):
        engine = self.engine
        if not isinstance(engine, EmbeddedEngine) or not engine.change_log:
            return  # Elasticsearch: the cluster is shared, nothing to follow
        settings = self.settings
        leadership = leader_of(self.container, self.leader)
        follower = ChangeFollower(engine, settings.change_log_keep, settings.change_log_prune_interval,
                                  may_prune=lambda: leads(leadership))
        while self.loop.running:
            follower.step()
            self.loop.wait(settings.follow_interval)

    def stop(self):
        # A clean stop: the entry points are stopped and their workers done, so the embedded
        # engine may keep a snapshot of its index for the next start.
        super().stop()
        self.join(10)
        stop = getattr(self.engine, "stop", None)
        if stop is not None:
            stop()
        self.sql_engine.dispose()

    def kill(self):
        super().kill()
        self.sql_engine.dispose()  # no snapshot: the index may be mid-change

    def get_dependency(self, worker_ctx):
        return self.engine
