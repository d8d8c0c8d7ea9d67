"""The promotion service in nameko's real container on a real RabbitMQ (a fresh vhost per
test): the campaign timer starts campaigns on time, the relay publishes the pricing events,
and a start that passed while the service was stopped takes effect when it is back."""
import gc
import json
import time
import weakref
from datetime import timedelta

import nameko
import pytest
from kombu import Connection, Exchange, Queue
from nameko.testing.services import entrypoint_hook

from services.promotion.campaigns.times import aware
from services.promotion.models import Campaign
from services.promotion.service import PromotionService
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.events import utcnow
from shared.topology import EVENTS_EXCHANGE, declare_topology

from campaign_helpers import OWNER, PROMOTER, add_merchant, add_products, campaign_data


@pytest.fixture
def promotion_config(database_url, promotion_db, rabbit_config, monkeypatch):
    monkeypatch.delenv("PROMOTION_DATABASE_URL", raising=False)
    with nameko.config.patch({"PROMOTION": {"DATABASE_URL": database_url, "CAMPAIGN_TICK": 0.2}}):
        yield


@pytest.fixture
def pricing_tap(rabbit_config):
    """A temporary queue bound to every promotion event; ``tap.wait(n)`` returns n bodies."""
    connection = Connection(nameko.config["AMQP_URI"])
    declare_topology(connection)
    channel = connection.channel()
    exchange = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)
    queue = Queue("test.promotion.tap", exchange=exchange, routing_key="promotion.#", auto_delete=True)
    queue(channel).declare()

    class Tap:
        def wait(self, count: int, timeout: float = 15.0) -> list[dict]:
            bodies, deadline = [], time.monotonic() + timeout
            while len(bodies) < count and time.monotonic() < deadline:
                message = channel.basic_get(queue.name, no_ack=True)
                if message is None:
                    time.sleep(0.05)
                    continue
                bodies.append(json.loads(message.body))
            return bodies

    yield Tap()
    channel.close()
    connection.release()


def call(container, name, *args, **kwargs):
    with entrypoint_hook(container, name) as entrypoint:
        return entrypoint(*args, **kwargs)


def test_timer_starts_a_campaign_and_the_relay_publishes_pricing(promotion_config, promotion_db, container_factory,
                                                                 pricing_tap):
    with promotion_db() as session:
        add_merchant(session)
        add_products(session, 3)
        session.commit()
    container = container_factory(PromotionService)
    container.start()
    assert call(container, "health") == {"status": "ok", "products": 3, "campaigns": 0}

    starts = utcnow() + timedelta(seconds=1.5)
    created = call(container, "create_campaign", PROMOTER, campaign_data(
        starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=1)).isoformat()))
    assert created["status"] == "scheduled" and created["product_count"] == 0  # invited, not yet joined
    with pytest.raises(Forbidden):  # the promoter cannot join for the owner
        call(container, "opt_in", PROMOTER, created["id"], {"merchant_id": "m-1", "all": True})
    joined = call(container, "opt_in", OWNER, created["id"], {"merchant_id": "m-1", "all": True})
    assert joined == {"campaign_id": created["id"], "product_ids": ["p00000", "p00001", "p00002"], "member": True}
    assert call(container, "get_campaign", PROMOTER, created["id"])["product_count"] == 3
    with pytest.raises(ValidationFailed) as excinfo:
        call(container, "create_campaign", PROMOTER, campaign_data(discount={"type": "percent", "value": 91}))
    assert "discount.value" in excinfo.value.fields
    with pytest.raises(NotFound):
        call(container, "get_campaign", {"id": "promoter-2", "role": "promoter"}, created["id"])

    bodies = pricing_tap.wait(3)
    received = time.monotonic()
    assert sorted((b["type"], b["aggregate_id"], b["payload"]["effective_price"]) for b in bodies) == [
        ("promotion.pricing_changed", f"p0000{n}", 80_000) for n in range(3)]
    assert utcnow() >= starts and received  # not before its start
    assert call(container, "get_campaign", PROMOTER, created["id"])["status"] == "active"
    pricing = call(container, "pricing_for", ["p00000", "p00009"])
    assert list(pricing) == ["p00000"] and pricing["p00000"]["campaign_id"] == created["id"]
    assert [item["id"] for item in call(container, "active_campaigns")["items"]] == [created["id"]]

    cancelled = call(container, "cancel_campaign", PROMOTER, created["id"])
    assert cancelled["status"] == "cancelled"
    bodies = pricing_tap.wait(3)
    assert {b["payload"]["effective_price"] for b in bodies} == {100_000}
    assert {b["aggregate_version"] for b in bodies} == {2}


def test_a_start_that_passed_while_the_service_was_stopped_takes_effect_on_start(
        promotion_config, promotion_db, container_factory, pricing_tap):
    with promotion_db() as session:
        add_merchant(session)
        add_products(session, 2)
        session.commit()
    # The first service only takes the campaign: its timer ticks at its start and then not for
    # an hour, so however long it takes to stop, the start cannot pass while it acts on it.
    with nameko.config.patch({"PROMOTION": {**nameko.config["PROMOTION"], "CAMPAIGN_TICK": 3600}}):
        first = container_factory(PromotionService)
        first.start()
    starts = utcnow() + timedelta(seconds=2)
    # The second service (ticking every 0.2 s) must be stopped before the end comes near:
    # it has 7 s from its start to take the start and stop.
    created = call(first, "create_campaign", PROMOTER, campaign_data(
        starts_at=starts.isoformat(), ends_at=(starts + timedelta(seconds=8)).isoformat()))
    call(first, "opt_in", OWNER, created["id"], {"product_ids": ["p00000", "p00001"]})
    first.stop()

    time.sleep(max(0.0, (starts - utcnow()).total_seconds()) + 0.5)  # the start passes while stopped
    assert pricing_tap.wait(1, timeout=0.5) == []
    second = container_factory(PromotionService)
    second.start()
    bodies = pricing_tap.wait(2, timeout=5)
    assert sorted((b["aggregate_id"], b["payload"]["effective_price"]) for b in bodies) == [
        ("p00000", 80_000), ("p00001", 80_000)]
    second.stop()

    # and its end passes while stopped too: on the next start every price reverts
    time.sleep(max(0.0, (starts + timedelta(seconds=8) - utcnow()).total_seconds()) + 0.5)
    third = container_factory(PromotionService)
    third.start()
    bodies = pricing_tap.wait(2, timeout=5)
    assert sorted((b["aggregate_id"], b["payload"]["effective_price"], b["payload"]["campaign_id"])
                  for b in bodies) == [("p00000", 100_000, None), ("p00001", 100_000, None)]
    assert call(third, "get_campaign", PROMOTER, created["id"])["status"] == "ended"


def test_a_start_between_two_ticks_takes_effect_on_the_moment(database_url, promotion_db, rabbit_config,
                                                               container_factory, monkeypatch):
    """With a 4 s tick, a start due 5 s after the campaign was made is waited for by the
    tick before it, not left to the tick after it (3 s late: ticks at 0, 4 and 8 s). Half a
    tick of lateness is allowed: the difference, not the machine's speed, decides."""
    monkeypatch.delenv("PROMOTION_DATABASE_URL", raising=False)
    tick = 4.0
    with nameko.config.patch({"PROMOTION": {"DATABASE_URL": database_url, "CAMPAIGN_TICK": tick}}):
        container = container_factory(PromotionService)
        container.start()
        starts = utcnow() + timedelta(seconds=tick + 1)  # a tick comes between now and then
        created = call(container, "create_campaign", PROMOTER, campaign_data(
            starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=1)).isoformat()))
        deadline = time.monotonic() + 30
        while call(container, "get_campaign", PROMOTER, created["id"])["status"] != "active":
            assert time.monotonic() < deadline, "the campaign did not start"
            time.sleep(0.05)
        with promotion_db() as session:
            activated_at = session.get(Campaign, created["id"]).activated_at
        late = (aware(activated_at) - starts).total_seconds()
        assert 0 <= late < tick / 2, late


def test_the_objects_of_the_startup_are_frozen_while_the_service_runs(promotion_config, container_factory):
    assert gc.get_freeze_count() == 0
    container = container_factory(PromotionService)
    container.start()
    try:
        assert gc.get_freeze_count() > 10_000  # left out of full collections
        cycle = Cycle()  # made while the service runs
        cycle.self = cycle
        collected = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert collected() is None  # still collected
    finally:
        container.stop()
    assert gc.get_freeze_count() == 0  # and all collected as before once it stops


def test_a_process_that_froze_its_objects_itself_is_left_alone(promotion_config, container_factory):
    gc.freeze()
    try:
        container = container_factory(PromotionService)
        container.start()
        container.stop()
        assert gc.get_freeze_count() > 0  # not unfrozen by the service
    finally:
        gc.unfreeze()


class Cycle:
    self = None
