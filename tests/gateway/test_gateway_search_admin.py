"""Autocomplete and the synonym reload over HTTP: the real gateway container on a real
RabbitMQ and database; the search service is the fake of gateway_fakes.py, which records
what it was asked."""
import pytest

from gateway_fakes import FakeSearch
from gateway_helpers import assert_error


@pytest.fixture
def gateway(start_gateway, fakes):
    fakes.search.suggestions = ["Madu Hutan Konawe 500 ml", "Madu Kelulut (Trigona) 250 ml", "Kacang Mente Madu 250 g"]
    return start_gateway(FakeSearch)


def test_suggest_is_public_and_returns_names(gateway, web_session, fakes):
    response = web_session.get("/api/v1/suggest", params={"q": " madu "})
    assert response.status_code == 200, response.text
    assert response.json() == {"suggestions": ["Madu Hutan Konawe 500 ml", "Madu Kelulut (Trigona) 250 ml",
                                               "Kacang Mente Madu 250 g"]}
    assert fakes.calls == [("suggest", "madu")]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "m" * 51}])
def test_suggest_needs_one_to_fifty_characters(gateway, web_session, params, fakes):
    assert_error(web_session.get("/api/v1/suggest", params=params), 422, "validation_failed", "q")
    assert fakes.calls == []


def test_admin_reloads_synonyms(admin_auth, web_session, fakes):
    response = web_session.post("/api/v1/admin/search/synonyms/reload", headers=admin_auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"groups": 21} and fakes.calls == [("reload_synonyms",)]


def test_only_admins_reload_synonyms(owner_auth, web_session, fakes):
    assert_error(web_session.post("/api/v1/admin/search/synonyms/reload"), 401, "unauthorized")
    assert_error(web_session.post("/api/v1/admin/search/synonyms/reload", headers=owner_auth), 403, "forbidden")
    assert fakes.calls == []
