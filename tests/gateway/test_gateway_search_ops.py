"""Admin search operations and dead letters over HTTP: the real gateway container on a real
RabbitMQ (fresh vhost) and database; the search service is a fake that records its calls;
the dead-letter queues are real."""
import json

import nameko
import pytest
from kombu import Connection, Producer
from nameko.rpc import rpc

from services.gateway import dead_letters
from services.gateway.admin import create_admin
from services.gateway.service import GatewayService
from shared.consumer import ATTEMPTS_HEADER, ERROR_HEADER
from shared.db import make_engine, make_session_factory
from shared.errors import Conflict
from shared.migrations import upgrade
from shared.topology import SUBSCRIPTIONS, declare_topology

CALLS: list[tuple] = []
STATE = {"running": False}


class FakeSearch:
    name = "search"

    @rpc
    def health(self):
        return {"status": "ok", "documents": 0}

    @rpc(expected_exceptions=Conflict)
    def start_reindex(self):
        CALLS.append(("start_reindex",))
        if STATE["running"]:
            raise Conflict("Pengindeksan ulang sedang berjalan.")
        STATE["running"] = True
        return {"id": "r1", "status": "running"}

    @rpc
    def reindex_status(self):
        CALLS.append(("reindex_status",))
        return {"id": "r1", "status": "running" if STATE["running"] else "idle", "done": 3, "total": 10,
                "error": None}

    @rpc
    def verify(self, repair=False):
        CALLS.append(("verify", repair))
        return {"checked": 2, "indexed": 2, "listed": 2, "in_sync": not repair, "repaired": repair,
                "missing": {"count": 0, "ids": []}, "stale": {"count": 0, "ids": []},
                "extra": {"count": 0, "ids": []}}


@pytest.fixture(autouse=True)
def clean():
    CALLS.clear()
    STATE["running"] = False


@pytest.fixture
def gateway(rabbit_config, web_config, runner_factory, sqlite_url):
    upgrade("gateway", sqlite_url)
    config = {"GATEWAY": {"DATABASE_URL": sqlite_url, "RPC_TIMEOUT": 2, "HEALTH_TIMEOUT": 1}}
    runner = runner_factory(config, GatewayService, FakeSearch)
    runner.start()
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()


def sign_in(web_session, email, password):
    response = web_session.post("/api/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def admin_auth(gateway, web_session):
    with gateway() as session:
        create_admin(session, "kurator@dinas.example", "Kurator Dinas", "rahasia-kurator-1")
        session.commit()
    return sign_in(web_session, "kurator@dinas.example", "rahasia-kurator-1")


@pytest.fixture
def owner_auth(gateway, web_session):
    response = web_session.post("/api/v1/accounts", json={"email": "wa.ode@example.com", "password": "rahasia-123",
                                                          "name": "Wa Ode", "role": "owner"})
    assert response.status_code == 201, response.text
    return sign_in(web_session, "wa.ode@example.com", "rahasia-123")


ADMIN_ROUTES = [
    ("post", "/api/v1/admin/search/verify"),
    ("post", "/api/v1/admin/search/reindex"),
    ("get", "/api/v1/admin/search/reindex"),
    ("get", "/api/v1/admin/dead-letters"),
    ("post", "/api/v1/admin/dead-letters/search/replay"),
]


@pytest.mark.parametrize("method,path", ADMIN_ROUTES)
def test_admin_only(gateway, web_session, owner_auth, method, path):
    response = getattr(web_session, method)(path)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    response = getattr(web_session, method)(path, headers=owner_auth)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"
    assert CALLS == []


def test_verify(web_session, admin_auth):
    response = web_session.post("/api/v1/admin/search/verify", headers=admin_auth)
    assert response.status_code == 200, response.text
    assert response.json()["in_sync"] is True
    response = web_session.post("/api/v1/admin/search/verify", headers=admin_auth, json={"repair": True})
    assert response.status_code == 200 and response.json()["repaired"] is True
    response = web_session.post("/api/v1/admin/search/verify", headers=admin_auth, json={"repair": "ya"})
    assert response.status_code == 422 and "repair" in response.json()["error"]["fields"]
    assert CALLS == [("verify", False), ("verify", True)]


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
