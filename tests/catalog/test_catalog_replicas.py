"""Two catalog replicas on one PostgreSQL database (two nameko containers on one real
RabbitMQ vhost) take a burst of writes to the same products through both. Only the leader
relays the outbox, so each product's events reach a consumer in version order: fed through
``shared.consumer.accepted_writes`` (the version acceptance search and promotion use), no
event is dropped as stale, and every version arrives. When the leader is killed mid-burst,
the other replica takes over the relay and nothing is lost (a batch the dead leader sent but
had not marked may come twice: the inbox absorbs it)."""
import gc
import time

import eventlet
import nameko
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import func, select
from sqlalchemy.orm import DeclarativeBase
from waiting import wait_for

from services.catalog.models import OutboxMessage, Product
from services.catalog.service import CatalogService
from shared.consumer import AggregateStateMixin, InboxMixin, VersionedWrite, accepted_writes
from shared.db import make_engine, make_session_factory
from shared.errors import Conflict
from shared.events import Event
from shared.leader import Leadership
from shared.migrations import upgrade
from shared.outbox import PUBLISHED, OutboxRelayRunner

from catalog_helpers import MERCHANT_DATA, OWNER, product_data

PRODUCTS = 4
ROUNDS = 12  # each round: every product written through both replicas at once


class ConsumerBase(DeclarativeBase):
    pass


class ConsumerInbox(InboxMixin, ConsumerBase):
    pass


class ConsumerState(AggregateStateMixin, ConsumerBase):
    pass


@pytest.fixture
def pg_catalog_db(postgres_url):
    upgrade("catalog", postgres_url)
    engine = make_engine(postgres_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def replica_config(postgres_url, pg_catalog_db, rabbit_config, tmp_path, monkeypatch):
    for name in ("CATALOG_DATABASE_URL", "CATALOG_MEDIA_ROOT", "CATALOG_HALAL_CHECK_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    with nameko.config.patch({"CATALOG": {"DATABASE_URL": postgres_url, "MEDIA_ROOT": str(tmp_path / "media")}}):
        yield


@pytest.fixture
def catalog_queue(event_tap):
    """Every catalog event from now on, in the broker's order (``event_tap``)."""
    return event_tap("catalog.#")


@pytest.fixture
def consumer(tmp_path):
    """A consumer's inbox and version state (SQLite): ``consumer(bodies)`` accepts the events
    in batches of 50 as delivered and returns (accepted (id, version) per aggregate in order,
    duplicates, stale drops)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'consumer.db'}")
    ConsumerBase.metadata.create_all(engine)
    sessions = make_session_factory(engine)

    def plan(event: Event):
        return [(VersionedWrite(event.aggregate_type, event.aggregate_id, event.aggregate_version), None)]

    def accept(bodies: list[dict]):
        accepted: dict[str, list[int]] = {}
        duplicates = stale = 0
        events = [Event.from_dict(body) for body in bodies]
        for start in range(0, len(events), 50):
            batch = events[start:start + 50]
            with sessions() as session:
                outcomes = accepted_writes(session, batch, plan, ConsumerInbox, ConsumerState)
                session.commit()
            for event, outcome in zip(batch, outcomes):
                assert not isinstance(outcome, Exception), outcome
                if outcome is None:
                    duplicates += 1  # processed before: the same event id again
                elif not outcome:
                    stale += 1  # a new event whose version is not newer: it came out of order
                else:
                    accepted.setdefault(event.aggregate_id, []).append(event.aggregate_version)
        return accepted, duplicates, stale

    yield accept
    engine.dispose()


def call(container, name, *args):
    with entrypoint_hook(container, name) as entrypoint:
        return entrypoint(*args)


def leads(container) -> bool:
    leadership = next(d for d in container.dependencies if isinstance(d, Leadership))
    return leadership.lock is not None and leadership.lock.leading


def relay(container) -> OutboxRelayRunner:
    return next(d for d in container.dependencies if isinstance(d, OutboxRelayRunner))


def write(container, product_id: str, price: int, attempts: int = 20) -> bool:
    """Set the product's price through ``container``, again after a conflict with a
    concurrent writer; False when the container was killed under the call."""
    for _ in range(attempts):
        try:
            call(container, "update_product", OWNER, product_id, {"price": price})
            return True
        except Conflict:
            eventlet.sleep(0.01)
        except Exception:  # noqa: BLE001 - the container was killed during the call
            return False
    raise AssertionError(f"{product_id} could not be written")


def burst(replicas: list, products, rounds, before_round=lambda n: None) -> None:
    """In each round every product is written through each of ``replicas`` at once (one
    call at a time per replica: nameko's ``entrypoint_hook`` tells concurrent calls of one
    entrypoint apart by nothing). ``before_round`` may take a replica out of ``replicas``
    (killed: the relay may still be publishing the previous round's commits)."""
    for n in range(rounds):
        before_round(n)
        for product_id in products:
            writers = [(replica, eventlet.spawn(write, replica, product_id, 10_000 + n * 100 + k))
                       for k, replica in enumerate(list(replicas))]
            for replica, writer in writers:
                if not writer.wait():  # killed under the call: the write goes to a survivor
                    assert write(replicas[0], product_id, 10_000 + n * 100 + 50)


def setup_products(first, second):
    merchant = call(first, "register_merchant", OWNER, MERCHANT_DATA)
    return [call((first, second)[n % 2], "create_product", OWNER,
                 product_data(merchant["id"], name=f"Tenun Masalili {n}"))["id"] for n in range(PRODUCTS)]


def relayed_everything(pg_catalog_db):
    with pg_catalog_db() as session:
        return session.scalar(select(func.count()).where(OutboxMessage.status != PUBLISHED)) == 0


def final_versions(pg_catalog_db) -> dict[str, int]:
    with pg_catalog_db() as session:
        return dict(session.execute(select(Product.id, Product.version)).all())


def test_a_burst_through_two_replicas_reaches_the_consumer_in_order(
        replica_config, pg_catalog_db, container_factory, catalog_queue, consumer):
    first, second = container_factory(CatalogService), container_factory(CatalogService)
    first.start()
    second.start()
    assert (leads(first), leads(second)) == (True, False)
    products = setup_products(first, second)

    burst([first, second], products, ROUNDS)

    assert wait_for(lambda: relayed_everything(pg_catalog_db), timeout=30)
    bodies = catalog_queue()
    accepted, duplicates, stale = consumer(bodies)
    versions = final_versions(pg_catalog_db)
    assert stale == 0  # per-aggregate order kept
    assert duplicates == 0
    assert {p: accepted[p] for p in products} == {p: list(range(1, versions[p] + 1)) for p in products}
    assert set(versions.values()) == {1 + 2 * ROUNDS}  # every write made a version
    assert relay(second).published == 0  # the non-leader's writes went out through the leader
    assert relay(first).published == len(bodies)


def test_the_leader_killed_mid_burst_the_other_takes_over_and_nothing_is_lost(
        replica_config, pg_catalog_db, container_factory, catalog_queue, consumer):
    first, second = container_factory(CatalogService), container_factory(CatalogService)
    first.start()
    second.start()
    assert leads(first)
    products = setup_products(first, second)

    replicas = [first, second]
    takeover = []

    def kill_the_leader_halfway(n):
        if n == ROUNDS // 2:
            replicas.remove(first)
            first.kill()  # its relay's batch may be under way
            # A killed process's connections close with it, and PostgreSQL rolls back their
            # transactions at once; a killed container's workers leave theirs, row locks
            # held, to the garbage collector.
            gc.collect()
            killed = time.monotonic()
            assert wait_for(lambda: leads(second), timeout=10)  # its relay's next poll takes it
            takeover.append(time.monotonic() - killed)

    burst(replicas, products, ROUNDS, kill_the_leader_halfway)

    assert wait_for(lambda: relayed_everything(pg_catalog_db), timeout=30)
    assert takeover[0] < 5
    accepted, duplicates, stale = consumer(catalog_queue())
    versions = final_versions(pg_catalog_db)
    assert stale == 0
    assert {p: accepted[p] for p in products} == {p: list(range(1, versions[p] + 1)) for p in products}
    assert relay(second).published > 0
