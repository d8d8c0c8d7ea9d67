"""Autocomplete and the synonym reload over HTTP: the real gateway container on a real
RabbitMQ and database; the search service is a small fake that records what it was asked."""
import pytest
from nameko.rpc import rpc

from services.gateway.admin import create_admin
from services.gateway.service import GatewayService
from shared.db import make_engine, make_session_factory
from shared.migrations import upgrade

CALLS: list[tuple] = []


class FakeSearch:
    name = "search"

    @rpc
    def health(self):
        return {"status": "ok", "documents": 0}

    @rpc
    def suggest(self, q=""):
        CALLS.append(("suggest", q))
        names = ["Madu Hutan Konawe 500 ml", "Madu Kelulut (Trigona) 250 ml", "Kacang Mente Madu 250 g"]
        return {"suggestions": [n for n in names if q.lower() in n.lower()]}

    @rpc
    def reload_synonyms(self):
        CALLS.append(("reload_synonyms",))
        return {"groups": 21}


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


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"]
    if field is not None:
        assert field in body["error"]["fields"], body
    return body


def test_suggest_is_public_and_returns_names(gateway, web_session):
    response = web_session.get("/api/v1/suggest", params={"q": " madu "})
    assert response.status_code == 200, response.text
    assert response.json() == {"suggestions": ["Madu Hutan Konawe 500 ml", "Madu Kelulut (Trigona) 250 ml",
                                               "Kacang Mente Madu 250 g"]}
    assert CALLS == [("suggest", "madu")]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "m" * 51}])
def test_suggest_needs_one_to_fifty_characters(gateway, web_session, params):
    assert_error(web_session.get("/api/v1/suggest", params=params), 422, "validation_failed", "q")
    assert CALLS == []


def test_admin_reloads_synonyms(gateway, web_session):
    with gateway() as session:
        create_admin(session, "kurator@dinas.example", "Kurator Dinas", "rahasia-kurator-1")
        session.commit()
    auth = sign_in(web_session, "kurator@dinas.example", "rahasia-kurator-1")
    response = web_session.post("/api/v1/admin/search/synonyms/reload", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"groups": 21} and CALLS == [("reload_synonyms",)]


def test_only_admins_reload_synonyms(gateway, web_session):
    assert_error(web_session.post("/api/v1/admin/search/synonyms/reload"), 401, "unauthorized")
    response = web_session.post("/api/v1/accounts", json={"email": "wa.ode@example.com", "password": "rahasia-123",
                                                          "name": "Wa Ode", "role": "owner"})
    assert response.status_code == 201, response.text
    auth = sign_in(web_session, "wa.ode@example.com", "rahasia-123")
    assert_error(web_session.post("/api/v1/admin/search/synonyms/reload", headers=auth), 403, "forbidden")
    assert CALLS == []
