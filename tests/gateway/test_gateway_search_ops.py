"""Admin search operations and dead letters over HTTP: the real gateway container on a real
RabbitMQ (fresh vhost) and database; the search service is the fake of gateway_fakes.py,
which records its calls; the dead-letter queues are real."""
import json

import nameko
import pytest
from kombu import Connection, Producer

from services.gateway import dead_letters
from shared.consumer import ATTEMPTS_HEADER, ERROR_HEADER
from shared.topology import SUBSCRIPTIONS, declare_topology

from gateway_fakes import FakeSearch


@pytest.fixture
def gateway(start_gateway):
    return start_gateway(FakeSearch)


ADMIN_ROUTES = [
    ("post", "/api/v1/admin/search/verify"),
    ("post", "/api/v1/admin/search/reindex"),
    ("get", "/api/v1/admin/search/reindex"),
    ("get", "/api/v1/admin/dead-letters"),
    ("post", "/api/v1/admin/dead-letters/search/replay"),
]


@pytest.mark.parametrize("method,path", ADMIN_ROUTES)
def test_admin_only(gateway, web_session, owner_auth, method, path, fakes):
    response = getattr(web_session, method)(path)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    response = getattr(web_session, method)(path, headers=owner_auth)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"
    assert fakes.calls == []


def test_verify(web_session, admin_auth, fakes):
    response = web_session.post("/api/v1/admin/search/verify", headers=admin_auth)
    assert response.status_code == 200, response.text
    assert response.json()["in_sync"] is True
    response = web_session.post("/api/v1/admin/search/verify", headers=admin_auth, json={"repair": True})
    assert response.status_code == 200 and response.json()["repaired"] is True
    response = web_session.post("/api/v1/admin/search/verify", headers=admin_auth, json={"repair": "ya"})
    assert response.status_code == 422 and "repair" in response.json()["error"]["fields"]
    assert fakes.calls == [("verify", False), ("verify", True)]


def test_reindex_start_status_and_conflict(web_session, admin_auth):
    response = web_session.post("/api/v1/admin/search/reindex", headers=admin_auth)
    assert response.status_code == 202, response.text
    assert response.json() == {"id": "r1", "status": "running"}
    response = web_session.get("/api/v1/admin/search/reindex", headers=admin_auth)
    assert response.status_code == 200 and response.json()["done"] == 3 and response.json()["total"] == 10
    response = web_session.post("/api/v1/admin/search/reindex", headers=admin_auth)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"


def dead_letter(body: bytes, attempts: int, error: str) -> None:
    with Connection(nameko.config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        declare_topology(connection)
        Producer(connection.default_channel).publish(
            body, exchange="", routing_key=SUBSCRIPTIONS["search"].dead_queue_name, content_type="application/json",
            content_encoding="utf-8", delivery_mode=2, headers={ATTEMPTS_HEADER: attempts, ERROR_HEADER: error},
        )


def depth(queue: str) -> int:
    with Connection(nameko.config["AMQP_URI"]) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def test_dead_letter_functions_peek_without_removing_and_replay(rabbit_config):
    sub = SUBSCRIPTIONS["search"]
    for n in range(25):
        dead_letter(json.dumps({"id": f"e{n}", "type": "catalog.product_updated"}).encode(), 5, "ValueError('x')")
    dead_letter(b"{not json", 1, "undecodable body")
    listed = dead_letters.peek("search")
    assert listed["count"] == 26 and listed["queue"] == sub.dead_queue_name
    assert len(listed["messages"]) == 20
    assert listed["messages"][0] == {"event_id": "e0", "type": "catalog.product_updated", "message_id": None,
                                     "attempts": 5, "error": "ValueError('x')"}
    assert depth(sub.dead_queue_name) == 26  # nothing removed
    assert dead_letters.peek("search")["messages"][0]["event_id"] == "e0"  # and still in order
    assert {entry["subscription"]: entry["count"] for entry in dead_letters.peek_all()} == {
        "search": 26, "promotion": 0}
    assert dead_letters.replay("search", limit=10) == 10
    assert depth(sub.dead_queue_name) == 16 and depth(sub.queue) == 10


def test_dead_letters_over_http(web_session, admin_auth):
    dead_letter(json.dumps({"id": "e1", "type": "catalog.product_published"}).encode(), 5, "KeyError('id')")
    response = web_session.get("/api/v1/admin/dead-letters", headers=admin_auth)
    assert response.status_code == 200, response.text
    by_name = {entry["subscription"]: entry for entry in response.json()["subscriptions"]}
    assert by_name["search"]["count"] == 1 and by_name["promotion"]["count"] == 0
    assert by_name["search"]["messages"][0]["event_id"] == "e1"
    assert by_name["search"]["messages"][0]["error"] == "KeyError('id')"

    response = web_session.post("/api/v1/admin/dead-letters/search/replay", headers=admin_auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"subscription": "search", "replayed": 1}
    assert depth(SUBSCRIPTIONS["search"].dead_queue_name) == 0
    response = web_session.post("/api/v1/admin/dead-letters/katalog/replay", headers=admin_auth)
    assert response.status_code == 404, response.text
    response = web_session.post("/api/v1/admin/dead-letters/search/replay?limit=0", headers=admin_auth)
    assert response.status_code == 422, response.text
