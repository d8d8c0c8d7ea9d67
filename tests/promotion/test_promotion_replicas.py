"""Two promotion replicas on one PostgreSQL database (two nameko containers on one real
RabbitMQ vhost): only the leader runs the campaign timer and the relay; every campaign
starts and ends exactly once, also across a change of leader, and every pricing event is
published once per change. And a timer on one replica racing an edit on another: the
guarded start and end apply only if still due when they get the campaign's row."""
import json
from datetime import timedelta

import eventlet
import nameko
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, func, select, text
from waiting import wait_for

from services.promotion.campaigns import operations
from services.promotion.campaigns.status import advance
from services.promotion.models import Campaign, Outbox
from services.promotion.service import PromotionService
from shared.db import make_engine, make_session_factory
from shared.events import utcnow
from shared.extensions import SettingsTimer
from shared.leader import Leadership
from shared.migrations import upgrade
from shared.outbox import PUBLISHED, OutboxRelayRunner

from campaign_helpers import OWNER, PROMOTER, add_merchant, add_products, at, campaign_data, iso

CAMPAIGNS = 4
PRODUCTS_EACH = 20


@pytest.fixture
def pg_promotion_db(postgres_url):
    """A migrated promotion database on PostgreSQL (replicas of promotion need it)."""
    upgrade("promotion", postgres_url)
    engine = make_engine(postgres_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def replica_config(postgres_url, pg_promotion_db, rabbit_config, monkeypatch):
    monkeypatch.delenv("PROMOTION_DATABASE_URL", raising=False)
    with nameko.config.patch({"PROMOTION": {"DATABASE_URL": postgres_url, "CAMPAIGN_TICK": 0.2}}):
        yield


@pytest.fixture
def pricing_queue(event_tap):
    """Every promotion event from now on, in the broker's order (``event_tap``)."""
    return event_tap("promotion.#")


def call(container, name, *args):
    with entrypoint_hook(container, name) as entrypoint:
        return entrypoint(*args)


def leadership(container) -> Leadership:
    return next(d for d in container.dependencies if isinstance(d, Leadership))


def relay(container) -> OutboxRelayRunner:
    return next(d for d in container.dependencies if isinstance(d, OutboxRelayRunner))


def campaign_timer(container) -> SettingsTimer:
    return next(e for e in container.entrypoints if e.method_name == "advance_campaigns")


def test_two_replicas_start_and_end_every_campaign_once_and_publish_each_change_once(
        replica_config, pg_promotion_db, container_factory, pricing_queue):
    with pg_promotion_db() as session:
        add_merchant(session)
        add_products(session, CAMPAIGNS * PRODUCTS_EACH)
        session.commit()
    first = container_factory(PromotionService)
    second = container_factory(PromotionService)
    first.start()
    second.start()
    assert [leadership(c).lock.leading for c in (first, second)] == [True, False]

    # Staggered windows of 2 s from 2 s on, each campaign with its own products; made and
    # joined through both replicas.
    begin = utcnow() + timedelta(seconds=2)
    ids = []
    for n in range(CAMPAIGNS):
        replica = (first, second)[n % 2]
        starts = begin + timedelta(seconds=0.7 * n)
        created = call(replica, "create_campaign", PROMOTER, campaign_data(
            name=f"Festival {n}", starts_at=iso(starts), ends_at=iso(starts + timedelta(seconds=2))))
        products = [f"p{n * PRODUCTS_EACH + k:05d}" for k in range(PRODUCTS_EACH)]
        call((second, first)[n % 2], "opt_in", OWNER, created["id"], {"product_ids": products})
        ids.append(created["id"])

    # The leader stops after the first start (a rolling restart): the other takes over the
    # timer and the relay for the remaining starts and ends. Until then only the leader acted.
    assert wait_for(lambda: call(second, "get_campaign", PROMOTER, ids[0])["status"] == "active", timeout=30)
    assert wait_for(lambda: relay(first).published >= PRODUCTS_EACH, timeout=30)
    assert relay(second).published == 0
    assert campaign_timer(first).skipped_ticks == 0 and campaign_timer(second).skipped_ticks > 0
    first.stop()
    assert wait_for(lambda: leadership(second).is_leader(), timeout=5)

    def all_ended_and_published():
        with pg_promotion_db() as session:
            ended = session.scalar(select(func.count()).where(Campaign.status == "ended"))
            pending = session.scalar(select(func.count()).where(Outbox.status != PUBLISHED))
        return ended == CAMPAIGNS and pending == 0

    assert wait_for(all_ended_and_published, timeout=30)
    bodies = pricing_queue()  # every confirmed publish is in the queue by now

    with pg_promotion_db() as session:
        staged = session.scalar(select(func.count()).select_from(Outbox))
        campaigns = session.execute(select(Campaign.id, Campaign.version, Campaign.activated_at,
                                           Campaign.closed_at)).all()
    changes = sorted((b["aggregate_id"], b["aggregate_version"], b["payload"]["effective_price"]) for b in bodies)
    products = CAMPAIGNS * PRODUCTS_EACH
    assert staged == 2 * products  # one pricing change at each start and each end
    assert len(bodies) == staged  # each published once: no duplicate, none lost
    assert relay(first).published + relay(second).published == staged
    assert changes == sorted([(f"p{n:05d}", 1, 80_000) for n in range(products)]
                             + [(f"p{n:05d}", 2, 100_000) for n in range(products)])
    # scheduled (1) -> active (2) -> ended (3): one start and one end each
    assert sorted(c.version for c in campaigns) == [3] * CAMPAIGNS
    assert all(c.activated_at is not None and c.closed_at is not None for c in campaigns)


@pytest.fixture
def waiting_on_a_lock(postgres_url):
    """``waiting_on_a_lock()``: whether some session of the test database waits for a lock."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")

    def check() -> bool:
        with admin.connect() as connection:
            return bool(connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar())

    yield check
    admin.dispose()


def timer_against_edit(pg_promotion_db, waiting_on_a_lock, edit, timer_at):
    """The timer (``advance`` at ``timer_at``) starts while ``edit`` holds the campaign's row
    uncommitted (as an RPC on another replica), waits for it, and then decides; returns
    what the timer moved."""
    with pg_promotion_db() as rpc_session:
        edit(rpc_session)  # the campaign's row is locked until the commit below
        timer = eventlet.spawn(lambda: _advance(pg_promotion_db, timer_at))
        assert wait_for(waiting_on_a_lock, timeout=10)  # the timer waits for the edit's row
        rpc_session.commit()
    return timer.wait()


def _advance(pg_promotion_db, now):
    with pg_promotion_db() as session:
        moved = advance(session, now)
        session.commit()
    return moved


def test_a_start_moved_later_by_an_edit_on_another_replica_is_not_started_by_the_timer(
        pg_promotion_db, waiting_on_a_lock):
    with pg_promotion_db() as session:
        add_merchant(session)
        add_products(session, 2)
        campaign = operations.create_campaign(session, PROMOTER, campaign_data(), at())
        operations.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00000", "p00001"]}, at())
        session.commit()

    moved = timer_against_edit(pg_promotion_db, waiting_on_a_lock, lambda session: operations.update_campaign(
        session, PROMOTER, campaign["id"], {"starts_at": iso(at(hours=3))}, at(minutes=59)), at(hours=1, minutes=1))

    assert moved == {"started": [], "ended": []}
    with pg_promotion_db() as session:
        assert session.get(Campaign, campaign["id"]).status == "scheduled"
        assert session.scalar(select(func.count()).select_from(Outbox)) == 0
        assert advance(session, at(hours=3))["started"] == [campaign["id"]]  # at its new start


def test_an_end_moved_later_by_an_edit_on_another_replica_is_not_ended_by_the_timer(
        pg_promotion_db, waiting_on_a_lock):
    with pg_promotion_db() as session:
        add_merchant(session)
        add_products(session, 2)
        campaign = operations.create_campaign(session, PROMOTER, campaign_data(ends_at=iso(at(hours=2))), at())
        operations.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00000", "p00001"]}, at())
        assert advance(session, at(hours=1))["started"] == [campaign["id"]]
        session.commit()

    moved = timer_against_edit(pg_promotion_db, waiting_on_a_lock, lambda session: operations.update_campaign(
        session, PROMOTER, campaign["id"], {"ends_at": iso(at(hours=5))}, at(hours=1, minutes=59)),
        at(hours=2, minutes=1))

    assert moved == {"started": [], "ended": []}
    with pg_promotion_db() as session:
        assert session.get(Campaign, campaign["id"]).status == "active"
        reverts = [json.loads(body) for body in session.scalars(select(Outbox.body))]
        assert all(event["payload"]["campaign_id"] == campaign["id"] for event in reverts)  # no revert


def test_a_cancel_on_another_replica_and_the_timer_end_a_campaign_once(pg_promotion_db, waiting_on_a_lock):
    with pg_promotion_db() as session:
        add_merchant(session)
        add_products(session, 2)
        campaign = operations.create_campaign(session, PROMOTER, campaign_data(ends_at=iso(at(hours=2))), at())
        operations.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00000", "p00001"]}, at())
        advance(session, at(hours=1))
        session.commit()

    moved = timer_against_edit(pg_promotion_db, waiting_on_a_lock, lambda session: operations.cancel_campaign(
        session, PROMOTER, campaign["id"], at(hours=2)), at(hours=2))

    assert moved == {"started": [], "ended": []}
    with pg_promotion_db() as session:
        assert session.get(Campaign, campaign["id"]).status == "cancelled"
        versions = sorted(json.loads(body)["aggregate_version"] for body in session.scalars(select(Outbox.body)))
        assert versions == [1, 1, 2, 2]  # one start and one revert per product
