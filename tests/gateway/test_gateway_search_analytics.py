"""The admin's search analytics over HTTP: the real gateway container on a real RabbitMQ
and database; the search service is the fake of gateway_fakes.py, which records what it was
asked."""
import pytest

from gateway_fakes import FakeSearch
from gateway_helpers import wait_for

ROW = {"query": "madu hutan", "searches": 5, "zero_results": 1, "avg_results": 3.2, "last_day": "2025-03-10"}


@pytest.fixture
def gateway(start_gateway, fakes):
    fakes.search.top_query_rows = [ROW]
    fakes.search.zero_result_rows = [dict(ROW, query="gerabah kuno")]
    fakes.search.hits = [{"id": "p-1"}, {"id": "p-2"}]
    return start_gateway(FakeSearch)


def test_admin_sees_top_queries_by_default(admin_auth, web_session, fakes):
    response = web_session.get("/api/v1/admin/search/queries", headers=admin_auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"kind": "top", "days": 7, "limit": 20, "queries": [ROW]}
    assert fakes.calls == [("top_queries", 7, 20)]


def test_admin_sees_zero_result_queries(admin_auth, web_session, fakes):
    response = web_session.get("/api/v1/admin/search/queries", headers=admin_auth,
                               params={"kind": "zero", "days": 30, "limit": 5})
    assert response.status_code == 200, response.text
    assert response.json()["queries"][0]["query"] == "gerabah kuno"
    assert fakes.calls == [("zero_result_queries", 30, 5)]


@pytest.mark.parametrize("params, field", [({"kind": "semua"}, "kind"), ({"days": "0"}, "days"),
                                           ({"days": "91"}, "days"), ({"limit": "abc"}, "limit"),
                                           ({"limit": "101"}, "limit")])
def test_bad_parameters_are_named(admin_auth, web_session, params, field, fakes):
    response = web_session.get("/api/v1/admin/search/queries", headers=admin_auth, params=params)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]
    assert fakes.calls == []


def test_only_admins_see_search_analytics(owner_auth, web_session, fakes):
    assert web_session.get("/api/v1/admin/search/queries").status_code == 401
    response = web_session.get("/api/v1/admin/search/queries", headers=owner_auth)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert fakes.calls == []


def test_search_reports_impressions(gateway, web_session, fakes):
    response = web_session.get("/api/v1/search", params={"q": "madu"})
    assert response.status_code == 200, response.text
    wait_for(lambda: fakes.search.reported)
    assert fakes.search.reported == [[{"product_id": "p-1", "kind": "impression"},
                                      {"product_id": "p-2", "kind": "impression"}]]


def test_whatsapp_contact_is_counted(gateway, web_session, fakes):
    response = web_session.post("/api/v1/products/p-1/contact")
    assert response.status_code == 204, response.text
    wait_for(lambda: fakes.search.reported)
    assert fakes.search.reported == [[{"product_id": "p-1", "kind": "contact"}]]
