"""The admin's search analytics over HTTP: the real gateway container on a real RabbitMQ
and database; the search service is a small fake that records what it was asked."""
import time

import pytest
from nameko.rpc import rpc

from services.gateway.admin import create_admin
from services.gateway.service import GatewayService
from shared.db import make_engine, make_session_factory
from shared.migrations import upgrade

CALLS: list[tuple] = []
ROW = {"query": "madu hutan", "searches": 5, "zero_results": 1, "avg_results": 3.2, "last_day": "2025-03-10"}


class FakeSearch:
    name = "search"

    @rpc
    def health(self):
        return {"status": "ok", "documents": 0}

    @rpc
    def top_queries(self, days=7, limit=20):
        CALLS.append(("top_queries", days, limit))
        return {"days": days, "queries": [ROW]}

    @rpc
    def record_interactions(self, interactions):
        CALLS.append(("record_interactions", interactions))

    @rpc
    def search(self, **params):
        return {"total": 2, "page": 1, "per_page": 20, "items": [{"id": "p-1"}, {"id": "p-2"}], "facets": {},
                "suggestion": None}

    @rpc
    def zero_result_queries(self, days=7, limit=20):
        CALLS.append(("zero_result_queries", days, limit))
        return {"days": days, "queries": [dict(ROW, query="gerabah kuno")]}


@pytest.fixture(autouse=True)
def clean_calls():
    CALLS.clear()


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
def admin(gateway, web_session):
    with gateway() as session:
        create_admin(session, "kurator@dinas.example", "Kurator Dinas", "rahasia-kurator-1")
        session.commit()
    return sign_in(web_session, "kurator@dinas.example", "rahasia-kurator-1")


def test_admin_sees_top_queries_by_default(admin, web_session):
    response = web_session.get("/api/v1/admin/search/queries", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"kind": "top", "days": 7, "limit": 20, "queries": [ROW]}
    assert CALLS == [("top_queries", 7, 20)]


def test_admin_sees_zero_result_queries(admin, web_session):
    response = web_session.get("/api/v1/admin/search/queries", headers=admin,
                               params={"kind": "zero", "days": 30, "limit": 5})
    assert response.status_code == 200, response.text
    assert response.json()["queries"][0]["query"] == "gerabah kuno"
    assert CALLS == [("zero_result_queries", 30, 5)]


@pytest.mark.parametrize("params, field", [({"kind": "semua"}, "kind"), ({"days": "0"}, "days"),
                                           ({"days": "91"}, "days"), ({"limit": "abc"}, "limit"),
                                           ({"limit": "101"}, "limit")])
def test_bad_parameters_are_named(admin, web_session, params, field):
    response = web_session.get("/api/v1/admin/search/queries", headers=admin, params=params)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]
    assert CALLS == []


def test_only_admins_see_search_analytics(gateway, web_session):
    assert web_session.get("/api/v1/admin/search/queries").status_code == 401
    response = web_session.post("/api/v1/accounts", json={"email": "wa.ode@example.com", "password": "rahasia-123",
                                                          "name": "Wa Ode", "role": "owner"})
    assert response.status_code == 201, response.text
    auth = sign_in(web_session, "wa.ode@example.com", "rahasia-123")
    response = web_session.get("/api/v1/admin/search/queries", headers=auth)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert CALLS == []


def wait_for_calls(count, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(CALLS) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return CALLS


def test_search_reports_impressions(gateway, web_session):
    response = web_session.get("/api/v1/search", params={"q": "madu"})
    assert response.status_code == 200, response.text
    assert wait_for_calls(1) == [("record_interactions", [{"product_id": "p-1", "kind": "impression"},
                                                          {"product_id": "p-2", "kind": "impression"}])]


def test_whatsapp_contact_is_counted(gateway, web_session):
    response = web_session.post("/api/v1/products/p-1/contact")
    assert response.status_code == 204, response.text
    assert wait_for_calls(1) == [("record_interactions", [{"product_id": "p-1", "kind": "contact"}])]
