"""The search service in nameko's real container against a real RabbitMQ (fresh vhost)."""
import gc
import json

import nameko
import pytest
from kombu import Connection, Producer
from nameko.testing.services import entrypoint_hook

from services.search.service import SearchService
from shared.errors import ValidationFailed
from shared.topology import SUBSCRIPTIONS, Subscription, declare_topology, events_exchange

from ops_helpers import wait_for
from search_factories import pricing_changed, published

SEARCH = SUBSCRIPTIONS["search"]


@pytest.fixture(autouse=True)
def short_retry(monkeypatch):
    # The fresh vhost gets a retry queue with this delay: keep retried messages quick.
    monkeypatch.setitem(SUBSCRIPTIONS, "search", Subscription(SEARCH.queue, SEARCH.routing_keys,
                                                               max_attempts=3, retry_delay_ms=200))


def publish(body, routing_key: str, content_type: str = "application/json") -> None:
    with Connection(nameko.config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        declare_topology(connection)
        Producer(connection.default_channel).publish(
            body, exchange=events_exchange(), routing_key=routing_key,
            content_type=content_type, content_encoding="utf-8", delivery_mode=2,
        )


def publish_event(event) -> None:
    publish(json.dumps(event.to_dict()), event.type)


def queue_depth(name: str) -> int:
    with Connection(nameko.config["AMQP_URI"]) as connection:
        return connection.default_channel.queue_declare(name, passive=True).message_count


def call_search(container, **kwargs):
    with entrypoint_hook(container, "search") as search:
        return search(**kwargs)


def test_event_published_before_the_service_ever_ran_is_indexed(search_config, container_factory):
    publish_event(published("p1", name="Kain Tenunan Ikat Muna", region="7402"))
    container = container_factory(SearchService)
    container.start()

    result = wait_for(lambda: call_search(container, q="tenun")["total"] == 1 and call_search(container, q="tenun"))
    assert result["items"] == [{
        "id": "p1", "name": "Kain Tenunan Ikat Muna", "price": 25000, "unit": "bungkus", "in_stock": True,
        "region": "7402", "region_name": "Muna", "category": "lainnya", "category_name": "Lainnya",
        "halal": True, "merchant": {"id": "m-p1", "name": "UMKM Sejahtera", "kind": "umkm", "verified": True},
        "effective_price": 25000, "discount_percent": 0, "promoted": False, "badge": None,
        "highlight": "Kain <mark>Tenunan</mark> Ikat Muna", "photo": None,
    }]
    assert result["suggestion"] is None
    assert result["facets"]["region"] == [{"value": "7402", "label": "Muna", "count": 1}]
    assert result["facets"]["kind"] == [{"value": "umkm", "label": "UMKM", "count": 1}]
    assert result["page"] == 1 and result["per_page"] == 20
    with entrypoint_hook(container, "health") as health:
        assert health() == {"status": "ok", "documents": 1}
    # query-string style arguments
    assert call_search(container, q="tenun", region="7402", page="1", per_page="5")["total"] == 1


def test_index_survives_a_restart(search_config, container_factory):
    publish_event(published("p1", name="Madu Hutan Buton", region="7401"))
    first = container_factory(SearchService)
    first.start()
    assert wait_for(lambda: call_search(first, q="madu")["total"] == 1)
    first.stop()

    second = container_factory(SearchService)
    second.start()
    assert call_search(second, q="madu")["total"] == 1  # loaded from the table at start


def test_poison_messages_go_to_the_dead_letter_queue(search_config, container_factory):
    container = container_factory(SearchService)
    container.start()
    publish("{not json", "catalog.product_published")  # undecodable body
    publish(json.dumps({"hello": "world"}), "catalog.product_updated")  # JSON, not an envelope
    bad_payload = published("p2")
    bad_payload = type(bad_payload)(type=bad_payload.type, aggregate_id="p2", aggregate_version=1,
                                    payload={"id": "p2"})  # envelope ok, payload breaks its contract
    publish_event(bad_payload)
    publish_event(published("p1", name="Keripik Pisang"))

    assert wait_for(lambda: call_search(container, q="kripik")["total"] == 1)
    # the two malformed ones go straight to dead; the bad payload after its retries
    assert wait_for(lambda: queue_depth(SEARCH.dead_queue_name) == 3) is True
    assert queue_depth(SEARCH.queue) == 0 and queue_depth(SEARCH.retry_queue_name) == 0
    assert call_search(container, q="")["total"] == 1


def test_invalid_rpc_arguments_raise_validation_failed(search_config, container_factory):
    container = container_factory(SearchService)
    container.start()
    with pytest.raises(ValidationFailed) as info:
        call_search(container, region="9999")
    assert "region" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        call_search(container, page=30, per_page=50)
    assert "page" in info.value.fields


def test_pricing_events_and_filters_through_the_rpc(search_config, container_factory):
    publish_event(pricing_changed("p1", 1, normal_price=100000, effective_price=80000, discount_percent=20,
                                  promoted=True, boost=1.0, badge="Diskon 20%"))  # before the product
    publish_event(published("p1", name="Madu Hutan Buton", region="7401", price=100000))
    publish_event(published("p2", name="Madu Kelulut Muna", region="7402", price=90000))
    container = container_factory(SearchService)
    container.start()

    assert wait_for(lambda: call_search(container, q="madu")["total"] == 2
                    and call_search(container, q="madu", on_promo="ya")["total"] == 1)
    result = call_search(container, q="madu", sort="price_asc")
    assert [(i["id"], i["effective_price"], i["promoted"], i["badge"]) for i in result["items"]] == [
        ("p1", 80000, True, "Diskon 20%"), ("p2", 90000, False, None)]
    filtered = call_search(container, q="madu", region="7402", max_price="85000")
    assert filtered["total"] == 0
    assert {e["value"]: e["count"] for e in filtered["facets"]["region"]} == {"7401": 1}  # price applies, region not
    with pytest.raises(ValidationFailed) as info:
        call_search(container, sort="termurah")
    assert list(info.value.fields) == ["sort"]


def test_the_objects_of_the_startup_are_frozen_while_the_service_runs(search_config, container_factory):
    # The loaded index and the service's machinery stay out of full collections during a
    # burst (shared.extensions.StartupObjectsFrozen); given back when the service stops.
    assert gc.get_freeze_count() == 0
    container = container_factory(SearchService)
    container.start()
    try:
        assert gc.get_freeze_count() > 10_000
    finally:
        container.stop()
    assert gc.get_freeze_count() == 0
