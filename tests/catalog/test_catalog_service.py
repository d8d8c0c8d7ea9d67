"""The catalog service in nameko's real container on a real RabbitMQ (a fresh vhost per
test): RPC entry points commit, and the outbox relay publishes the events to the
``etalase.events`` exchange."""
import json
import time

import nameko
import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcClient
from nameko.testing.services import entrypoint_hook
from sqlalchemy import select

from services.catalog import domain
from services.catalog.models import OutboxMessage
from services.catalog.service import CatalogService
from shared.contracts import ProductSnapshot
from shared.errors import Forbidden, ValidationFailed
from shared.events import Event
from shared.outbox import PENDING, PUBLISHED, OutboxRelay
from shared.topology import EVENTS_EXCHANGE, SUBSCRIPTIONS

from catalog_helpers import MERCHANT_DATA, OTHER_OWNER, OWNER, counts, outbox_rows, product_data


@pytest.fixture
def event_tap(rabbit_config):
    """A temporary queue bound to every catalog event; ``tap.wait(n)`` returns n event bodies."""
    connection = Connection(nameko.config["AMQP_URI"])
    channel = connection.channel()
    exchange = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)
    queue = Queue("test.catalog.tap", exchange=exchange, routing_key="catalog.#", auto_delete=True)
    queue(channel).declare()

    class Tap:
        def wait(self, count: int, timeout: float = 10.0) -> list[dict]:
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


def test_rpc_commits_and_relay_publishes_events(catalog_config, catalog_db, container_factory, event_tap):
    container = container_factory(CatalogService)
    container.start()

    with entrypoint_hook(container, "health") as health:
        assert health() == {"status": "ok"}
    with entrypoint_hook(container, "register_merchant") as register:
        merchant = register(OWNER, MERCHANT_DATA)
    with entrypoint_hook(container, "create_product") as create_product:
        product = create_product(OWNER, product_data(merchant["id"]))
    assert product["version"] == 1

    bodies = event_tap.wait(2)
    assert [(b["type"], b["aggregate_id"], b["aggregate_version"]) for b in bodies] == [
        ("catalog.merchant_registered", merchant["id"], 1),
        ("catalog.product_published", product["id"], 1),
    ]
    event = Event.from_dict(bodies[1])
    assert ProductSnapshot.model_validate(event.payload).name == product["name"]

    # The relay marks rows published once the broker confirmed them.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(r.status != PUBLISHED for r in outbox_rows(catalog_db)):
        time.sleep(0.05)
    assert [r.status for r in outbox_rows(catalog_db)] == [PUBLISHED, PUBLISHED]

    # The subscriber queues were declared before the first publish, so search keeps the events.
    with Connection(nameko.config["AMQP_URI"]) as connection:
        channel = connection.channel()
        _, depth, _ = channel.queue_declare(SUBSCRIPTIONS["search"].queue, passive=True)
        channel.close()
    assert depth == 2


def test_errors_cross_rpc_as_themselves_and_write_nothing(catalog_config, catalog_db, container_factory):
    container = container_factory(CatalogService)
    container.start()
    with entrypoint_hook(container, "register_merchant") as register:
        merchant = register(OWNER, MERCHANT_DATA)
    before = counts(catalog_db)

    with ClusterRpcClient() as client:
        with pytest.raises(ValidationFailed) as info:
            client.catalog.create_product(OWNER, product_data(merchant["id"], price="murah"))
        assert info.value.fields == {"price": "harus berupa angka bulat (rupiah)"}
        with pytest.raises(Forbidden):
            client.catalog.create_product(OTHER_OWNER, product_data(merchant["id"]))
        assert client.catalog.list_merchant_products(merchant["id"])["items"] == []
        assert len(client.catalog.list_categories()) > 10
    assert counts(catalog_db) == before


def test_relay_keeps_rows_while_broker_is_down_then_publishes_in_order(catalog_config, catalog_db, event_tap):
    with catalog_db() as session:
        merchant = domain.register_merchant(session, OWNER, MERCHANT_DATA)
        domain.create_product(session, OWNER, product_data(merchant["id"]))
        session.commit()

    down = OutboxRelay(catalog_db, OutboxMessage, "amqp://guest:guest@127.0.0.1:1/")
    with pytest.raises(Exception):
        down.publish_pending()
    down.close()
    with catalog_db() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.status for r in rows] == [PENDING, PENDING]
    assert rows[0].attempts == 1 and rows[0].last_error

    relay = OutboxRelay(catalog_db, OutboxMessage, nameko.config["AMQP_URI"])
    try:
        assert relay.publish_pending() == 2
        assert relay.publish_pending() == 0
    finally:
        relay.close()
    assert [b["type"] for b in event_tap.wait(2)] == ["catalog.merchant_registered", "catalog.product_published"]
    assert relay.pending_count() == 0
