"""Search replicas with the embedded engine stay equal: every instance on one store follows the
change log (services/search/changes.py). Each "replica" here is an EmbeddedEngine with its own
SQLAlchemy engine on one database, as two processes would have (SQLite files and PostgreSQL)."""
import json
import random
from datetime import datetime, timedelta, timezone

import eventlet
import nameko
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import insert
from waiting import advisory_locks_awaited, wait_for

from services.search import changes, embedded, snapshot
from services.search.embedded import EmbeddedEngine
from services.search.engine import Change, Removal, SearchQuery
from services.search.engine_provider import ChangeFollower
from services.search.models import SearchChange
from services.search.reindex import Progress, reindex_embedded
from services.search.service import SearchService
from shared.contracts import ProductSnapshot
from shared.db import make_engine, make_session_factory
from shared.migrations import upgrade

from search_factories import document, pricing
from search_factories import snapshot as product_snapshot

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
NAMES = ["Kopi Bubuk", "Kerupuk Teripang", "Madu Hutan", "Tenun Buton", "Abon Ikan", "Sagu Lempeng"]
REGIONS = ["7402", "7403", "7471", "7472"]
QUERIES = [SearchQuery(), SearchQuery(q="kopi"), SearchQuery(q="madu hutan"), SearchQuery(q="tenun", region="7471"),
           SearchQuery(q="ikan", sort="price_asc"), SearchQuery(sort="price_asc", page=3),
           SearchQuery(sort="price_desc", page=2), SearchQuery(on_promo=True), SearchQuery(region="7403", page=2),
           SearchQuery(min_price=20000, max_price=60000), SearchQuery(q="sagu", per_page=50)]


@pytest.fixture
def store_url(database_url):
    upgrade("search", database_url)
    return database_url


@pytest.fixture
def replicas(store_url):
    """``replicas()``: a new engine instance on the store, with its own connection pool (a
    replica process), change log on, no snapshot unless asked; started unless ``start=False``."""
    sql_engines = []

    def make(start: bool = True, snapshot_path=None) -> EmbeddedEngine:
        sql_engine = make_engine(store_url)
        sql_engines.append(sql_engine)
        engine = EmbeddedEngine(make_session_factory(sql_engine), snapshot_path, change_log=True)
        if start:
            engine.start()
        return engine

    yield make
    for sql_engine in sql_engines:
        sql_engine.dispose()


# Versions written so far by ``burst`` in this test (a later burst continues them: a product
# never goes back to an older version, as the consumer's aggregate versions guarantee).
VERSIONS: dict[str, dict[str, int]] = {}


@pytest.fixture(autouse=True)
def fresh_versions():
    VERSIONS.clear()
    VERSIONS.update(document={}, pricing={})


def answers(engine: EmbeddedEngine) -> list:
    """What ``engine`` answers to QUERIES: totals, ids in order, effective prices, facets."""
    found = []
    for query in QUERIES:
        result = engine.search(query)
        found.append((result.total, [(item["id"], item.get("effective_price")) for item in result.items],
                      result.facets))
    return found


def shows_store(engine: EmbeddedEngine) -> bool:
    with engine.session_factory() as session:
        return engine.index.shows(*snapshot.store_state(session))


def burst(writers: list[EmbeddedEngine], count: int, seed: int = 15) -> None:
    """``count`` changes (upserts, new versions, pricings, removals) in transactions of 1-20,
    each written through the next of ``writers`` in turn."""
    rng = random.Random(seed)
    versions, pricing_versions = VERSIONS["document"], VERSIONS["pricing"]
    made = 0
    turn = 0
    while made < count:
        change = Change()
        touched: set[str] = set()  # one change per id per transaction, as merge_changes makes them
        for _ in range(rng.randint(1, 20)):
            product_id = f"p{rng.randint(1, 400)}"
            if product_id in touched:
                continue
            touched.add(product_id)
            roll = rng.random()
            if roll < 0.15 and product_id in versions:
                versions[product_id] += 1
                change.removals.append(Removal(id=product_id, version=versions[product_id]))
            elif roll < 0.35:
                pricing_versions[product_id] = pricing_versions.get(product_id, 0) + 1
                change.pricings.append(pricing(product_id, pricing_versions[product_id], normal_price=30000,
                                               effective_price=rng.choice([15000, 24000, 30000]),
                                               discount_percent=10, promoted=rng.random() < 0.5))
            else:
                versions[product_id] = versions.get(product_id, 0) + 1
                # Distinct update times: replicas order exact ties by their own insertion order.
                updated_at = (START + timedelta(seconds=made)).isoformat()
                change.upserts.append(document(product_id, versions[product_id], name=rng.choice(NAMES),
                                               updated_at=updated_at,
                                               region=rng.choice(REGIONS), price=rng.randrange(5000, 90000, 500)))
            made += 1
        writer = writers[turn % len(writers)]
        turn += 1
        with writer.session_factory() as session:
            writer.stage(session, change)
            session.commit()
        writer.apply(change)


def test_two_replicas_show_the_same_after_a_burst_written_through_both(replicas):
    first, second = replicas(), replicas()
    burst([first, second], 1000)
    first.catch_up()
    second.catch_up()
    assert first.count() > 100
    assert shows_store(first) and shows_store(second)
    assert answers(first) == answers(second)


def test_a_replica_that_never_writes_follows_the_writer(replicas):
    writer, reader = replicas(), replicas()
    burst([writer], 1000, seed=3)
    assert not shows_store(reader)  # nothing followed yet: the test can tell
    reader.catch_up()
    assert shows_store(reader)
    assert answers(reader) == answers(writer)
    assert reader.catch_up() == 0  # nothing new: one empty read


def test_a_replica_started_later_has_caught_up_when_start_returns(replicas, monkeypatch):
    writer = replicas()
    burst([writer], 500, seed=7)
    late = replicas(start=False)
    build = late._build

    def build_then_more_commits():
        # Commits after the late replica's load read the store: only the change log has them.
        index = build()
        burst([writer], 60, seed=8)
        writer.upsert([document("p-after-load", name="Madu Hutan Kolaka")])
        return index

    monkeypatch.setattr(late, "_build", build_then_more_commits)
    late.start()
    assert late.index.get("p-after-load") is not None
    assert shows_store(late)
    writer.catch_up()
    assert answers(late) == answers(writer)


def test_a_late_replica_from_a_snapshot_catches_up_too(replicas, tmp_path):
    writer = replicas(snapshot_path=tmp_path / "index.snapshot")
    burst([writer], 200, seed=11)
    assert writer.save_snapshot()
    burst([writer], 100, seed=12)  # the snapshot is older than the store now: rebuilt
    late = replicas(snapshot_path=tmp_path / "index.snapshot")
    assert shows_store(late)
    assert answers(late) == answers(writer)


def test_a_follower_behind_the_pruned_log_reloads_from_the_store(replicas):
    writer, behind = replicas(), replicas()
    for n in range(150):
        writer.upsert([document(f"q{n}", name="Kopi Bubuk")])
    writer.catch_up()  # its follower keeps it up to date (the service's loop)
    with writer.session_factory() as session:
        assert changes.prune(session, keep=100) == 50
        session.commit()
        assert changes.pruned_through(session) > behind.applied_seq
    old_index = behind.index
    behind.catch_up()
    assert behind.index is not old_index  # reloaded, not followed
    assert behind.count() == 150 and shows_store(behind)
    index = writer.index
    writer.catch_up()  # up to date: no reload
    assert writer.index is index
    # Pruning never goes past the newest rows, and a fresh start is never "behind".
    with writer.session_factory() as session:
        assert changes.prune(session, keep=100) == 0
    fresh = replicas()
    assert fresh.applied_seq >= changes_pruned(fresh)


def changes_pruned(engine: EmbeddedEngine) -> int:
    with engine.session_factory() as session:
        return changes.pruned_through(session)


def test_a_reindex_makes_every_replica_reload(replicas):
    writer, other = replicas(), replicas()
    burst([writer], 200, seed=5)
    other.catch_up()
    exported = [ProductSnapshot.model_validate(product_snapshot(f"r{n}", 1, name="Tenun Buton")) for n in range(30)]
    reindex_embedded(writer, exported, Progress())
    old_index = other.index
    other.catch_up()
    assert other.index is not old_index
    assert shows_store(other) and other.count() == 30
    writer.catch_up()
    assert answers(other) == answers(writer)


def test_without_the_change_log_nothing_is_logged(store_url):
    sql_engine = make_engine(store_url)
    try:
        engine = EmbeddedEngine(make_session_factory(sql_engine), None)
        engine.start()
        engine.upsert([document("p1")])
        with engine.session_factory() as session:
            assert changes.read_after(session, 0, 10) == []
            assert engine.catch_up() == 0
    finally:
        sql_engine.dispose()


@pytest.fixture
def postgres_replicas(postgres_url):
    upgrade("search", postgres_url)
    sql_engines = []

    def make() -> EmbeddedEngine:
        sql_engine = make_engine(postgres_url)
        sql_engines.append(sql_engine)
        engine = EmbeddedEngine(make_session_factory(sql_engine), None, change_log=True)
        engine.start()
        return engine

    yield make
    for sql_engine in sql_engines:
        sql_engine.dispose()


def test_a_lower_seq_that_commits_later_is_not_skipped_on_postgresql(postgres_replicas):
    first, second, follower = postgres_replicas(), postgres_replicas(), postgres_replicas()
    early = first.session_factory()
    first.stage(early, Change(upserts=[document("early", name="Madu Hutan")]))  # takes the lock, not committed

    def later():
        with second.session_factory() as session:
            second.stage(session, Change(upserts=[document("later", name="Madu Hutan")]))
            session.commit()

    writer = eventlet.spawn(later)
    assert wait_for(lambda: advisory_locks_awaited(follower.session_factory) == 1, timeout=30)  # the second writer waits for the first
    assert follower.catch_up() == 0
    early.commit()
    early.close()
    writer.wait()
    follower.catch_up()
    assert follower.index.get("early") is not None
    assert follower.index.get("later") is not None


def test_without_the_lock_a_follower_would_skip_a_late_commit(postgres_replicas, monkeypatch):
    """Why the lock is there: the same two writers without it lose the early change."""
    first, second, follower = postgres_replicas(), postgres_replicas(), postgres_replicas()

    def record_unlocked(session, product_ids):
        session.execute(insert(SearchChange).values(product_ids=json.dumps(list(product_ids))))

    monkeypatch.setattr(changes, "record", record_unlocked)
    early = first.session_factory()
    first.stage(early, Change(upserts=[document("early", name="Madu Hutan")]))  # lower seq, not committed
    with second.session_factory() as session:
        second.stage(session, Change(upserts=[document("later", name="Madu Hutan")]))
        session.commit()
    follower.catch_up()
    early.commit()
    early.close()
    follower.catch_up()
    assert follower.index.get("later") is not None
    assert follower.index.get("early") is None  # skipped for good


class FailingOnce:
    """An engine whose catch_up fails the first time (the database away), then counts calls."""

    def __init__(self, engine):
        self.engine = engine
        self.calls = 0
        self.prunes = []
        self.applied_seq = 0

    def catch_up(self):
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("database away")
        return self.engine.catch_up()

    def prune_log(self, keep):
        self.prunes.append(keep)
        return 0


def test_the_follower_step_survives_a_failure_and_prunes_on_its_interval(replicas, caplog):
    writer, reader = replicas(), replicas()
    now = [0.0]
    follower = ChangeFollower(FailingOnce(reader), keep=500, prune_interval=60, clock=lambda: now[0])
    writer.upsert([document("p1", name="Madu Hutan")])
    assert follower.step() == 0 and follower.failing  # logged once, tried again next step
    assert "following failed" in caplog.text
    assert follower.step() == 1 and not follower.failing
    assert reader.index.get("p1") is not None
    assert follower.engine.prunes == []
    now[0] = 61.0
    follower.step()
    assert follower.engine.prunes == [500]
    follower.step()
    assert follower.engine.prunes == [500]  # not again before the next interval


def test_only_the_leading_replica_prunes_the_shared_log(replicas):
    now = [0.0]
    follower = ChangeFollower(FailingOnce(replicas()), keep=500, prune_interval=60, clock=lambda: now[0],
                              may_prune=lambda: False)
    follower.engine.calls = 1  # past its one failure
    now[0] = 61.0
    follower.step()
    assert follower.engine.prunes == []  # another replica leads: it prunes for all


def test_pruning_goes_a_bounded_step_at_a_time_and_keeps_the_newest(store_url):
    sql_engine = make_engine(store_url)
    try:
        session_factory = make_session_factory(sql_engine)
        with session_factory() as session:
            for n in range(changes.PRUNE_STEP + 500):
                changes.record(session, [f"p{n}"])
            session.commit()
        with session_factory() as session:
            newest = changes.last_seq(session)
            assert changes.prune(session, keep=100) == changes.PRUNE_STEP
            session.commit()
            assert changes.prune(session, keep=100) == 400
            session.commit()
            assert changes.prune(session, keep=100) == 0
            assert changes.pruned_through(session) == newest - 100
            assert [seq for seq, _ids in changes.read_after(session, 0, 1000)] == list(range(newest - 99, newest + 1))
            assert changes.last_seq(session) == newest
            with pytest.raises(ValueError, match="keep must be at least 1"):
                changes.prune(session, keep=0)
    finally:
        sql_engine.dispose()


def test_a_running_search_service_follows_what_another_replica_writes(rabbit_config, store_url, replicas,
                                                                      container_factory):
    other = replicas()  # another replica's engine, writing to the same store
    other.upsert([document("before", name="Madu Hutan Buton")])
    with nameko.config.patch({"SEARCH": {"DATABASE_URL": store_url, "CHANGE_LOG": True, "FOLLOW_INTERVAL": 0.05}}):
        container = container_factory(SearchService)
        container.start()

        def total(q: str) -> int:
            with entrypoint_hook(container, "search") as search:
                return search(q=q)["total"]

        assert total("madu") == 1  # loaded at start
        other.upsert([document("after", name="Madu Hutan Kolaka")])
        other.delete(["before"])
        assert wait_for(lambda: total("kolaka") == 1 and total("buton") == 0, timeout=30)
        container.stop()  # the follower's thread ends with the container


def test_a_page_naming_more_ids_than_a_chunk_is_shown_whole(replicas, monkeypatch):
    monkeypatch.setattr(embedded, "FOLLOW_CHUNK", 7)
    writer, reader = replicas(), replicas()
    writer.upsert([document(f"c{n:02d}", name="Abon Ikan") for n in range(30)])  # one log row, 30 ids
    writer.set_pricing([pricing(f"c{n:02d}", 1, effective_price=9000) for n in range(0, 30, 3)])
    assert reader.catch_up() == 2
    assert shows_store(reader) and answers(reader) == answers(writer)
