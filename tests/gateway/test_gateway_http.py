"""The gateway over HTTP: the real gateway container on a real RabbitMQ (fresh vhost) and a
real database; catalog, search and promotion are the fakes of gateway_fakes.py."""
import functools
import time

import pytest

from shared import supervisor_status

from gateway_fakes import FakeCatalog, FakePromotion, FakeSearch
from gateway_helpers import SCRIPT, assert_error, register_and_sign_in


@pytest.fixture
def start_gateway(start_gateway):
    """This module's gateway gives the other services one second (a slow one is a 504 by then)."""
    return functools.partial(start_gateway, RPC_TIMEOUT=1)


@pytest.fixture(autouse=True)
def search_answers(fakes):
    fakes.search.total = 45
    fakes.search.hits = [
        {"id": "p1", "name": SCRIPT, "price": 15000, "region": "7402", "merchant": {"name": "Koperasi <b>Muna</b>"}},
        {"id": "p2", "name": "Kain Tenun Buton", "price": 450000, "region": "7401", "merchant": {"name": "UD Tenun"}},
    ]


# --- the happy path ------------------------------------------------------------------


def test_owner_registers_lists_edits_and_deletes_a_product(start_gateway, web_session, database_url, fakes):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion, database_url=database_url)

    response = web_session.post(
        "/api/v1/accounts",
        json={"email": "La.Ode@Example.com", "password": "kain-tenun-123", "name": "La Ode", "role": "owner"},
    )
    assert response.status_code == 201
    account = response.json()
    assert set(account) == {"id", "email", "name", "role", "status"} and account["status"] == "active"
    assert account["email"] == "la.ode@example.com"

    response = web_session.post("/api/v1/sessions", json={"email": "la.ode@example.com", "password": "kain-tenun-123"})
    assert response.status_code == 201
    auth = {"Authorization": f"Bearer {response.json()['token']}"}

    merchant_data = {"name": "Koperasi Tenun Masalili", "kind": "koperasi", "region": "7402", "whatsapp": "6281234567890"}
    response = web_session.post("/api/v1/merchants", json=merchant_data, headers=auth)
    assert response.status_code == 201, response.text
    merchant = response.json()
    assert merchant["id"] and merchant["name"] == merchant_data["name"]
    assert fakes.calls[-1] == ("register_merchant", {"id": account["id"], "role": "owner"}, merchant_data)

    assert web_session.get(f"/api/v1/merchants/{merchant['id']}").json()["id"] == merchant["id"]

    response = web_session.post(
        "/api/v1/products", json={"merchant_id": merchant["id"], "name": "Sarung Tenun", "price": 350000}, headers=auth
    )
    assert response.status_code == 201, response.text
    product = response.json()
    assert product["version"] == 1
    assert fakes.calls[-1][1] == {"id": account["id"], "role": "owner"}  # only id and role cross over

    response = web_session.get(f"/api/v1/products/{product['id']}")  # public
    assert response.status_code == 200 and response.json()["name"] == "Sarung Tenun"
    assert response.headers["ETag"] == '"1"'

    response = web_session.patch(
        f"/api/v1/products/{product['id']}", json={"price": 375000}, headers={**auth, "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2 and response.json()["price"] == 375000
    assert fakes.calls[-1][-1] == 1  # expected_version from If-Match

    # A stale If-Match is the catalog's 409, passed through in the error shape.
    response = web_session.patch(
        f"/api/v1/products/{product['id']}", json={"price": 1}, headers={**auth, "If-Match": "1"}
    )
    assert_error(response, 409, "conflict")

    response = web_session.delete(f"/api/v1/products/{product['id']}", headers=auth)
    assert response.status_code == 204
    assert_error(web_session.get(f"/api/v1/products/{product['id']}"), 404, "not_found")

    response = web_session.delete("/api/v1/sessions/current", headers=auth)
    assert response.status_code == 204
    assert_error(web_session.post("/api/v1/products", json={}, headers=auth), 401, "unauthorized")


def test_reference_data_and_search(start_gateway, web_session, fakes):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)

    regions = web_session.get("/api/v1/regions").json()
    assert len(regions) == 17 and {"code": "7402", "name": "Muna"} in regions

    categories = web_session.get("/api/v1/categories").json()
    assert categories[0]["parent"]["slug"] == "kerajinan"

    response = web_session.get("/api/v1/search", params={"q": "tenun", "region": "7402", "page": "2", "per_page": "10"})
    assert response.status_code == 200
    body = response.json()
    assert {"total", "page", "per_page", "items"} <= set(body)
    assert fakes.calls[-1] == ("search", "tenun", "7402", "2", "10", {})  # query-string values, as strings


SEARCH_FILTERS = {"category": "makanan-minuman", "min_price": "1000", "max_price": "50000", "halal": "ya",
                  "kind": "koperasi", "verified": "1", "on_promo": "true", "in_stock": "tidak", "sort": "discount"}


def test_search_passes_every_filter_through(start_gateway, web_session, fakes):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    response = web_session.get("/api/v1/search", params={"q": "kopi", **SEARCH_FILTERS})
    assert response.status_code == 200
    assert fakes.calls[-1] == ("search", "kopi", None, 1, 20, SEARCH_FILTERS)


def test_search_drops_empty_and_unknown_parameters(start_gateway, web_session, fakes):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    response = web_session.get("/api/v1/search?q=kopi&region=&sort=&colour=red&kind=umkm")
    assert response.status_code == 200
    assert fakes.calls[-1] == ("search", "kopi", None, 1, 20, {"kind": "umkm"})


@pytest.mark.parametrize("path, repeated", [
    ("/api/v1/search?q=kopi&q=teh", ["q"]),
    ("/api/v1/search?q=kopi&page=1&page=2&region=7402&region=", ["page", "region"]),
    ("/api/v1/campaigns/active?slots=&slots=abc", ["slots"]),
    ("/api/v1/merchants/m1/products?per_page=5&per_page=500", ["per_page"]),
])
def test_a_repeated_query_parameter_is_422_naming_it_and_reaches_no_service(
        start_gateway, web_session, fakes, path, repeated):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    calls = len(fakes.calls)
    response = web_session.get(path)
    assert_error(response, 422, "validation_failed", repeated[0])
    assert sorted(response.json()["error"]["fields"]) == repeated
    assert len(fakes.calls) == calls


@pytest.mark.parametrize("params, field", [
    ({"page": "dua"}, "page"),
    ({"per_page": "x"}, "per_page"),
    ({"per_page": "51"}, "per_page"),
    ({"page": "21", "per_page": "50"}, "page"),
    ({"region": "9999"}, "region"),
    ({"category": "mobil"}, "category"),
    ({"min_price": "-5"}, "min_price"),
    ({"max_price": "murah"}, "max_price"),
    ({"min_price": "50000", "max_price": "1000"}, "min_price"),
    ({"halal": "mungkin"}, "halal"),
    ({"kind": "pt"}, "kind"),
    ({"verified": "2"}, "verified"),
    ({"on_promo": "x"}, "on_promo"),
    ({"in_stock": "x"}, "in_stock"),
    ({"sort": "popular"}, "sort"),
])
def test_search_bad_parameters_are_422_naming_them(start_gateway, web_session, params, field):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    assert_error(web_session.get("/api/v1/search", params=params), 422, "validation_failed", field)


# --- errors --------------------------------------------------------------------------


MUTATIONS = [
    ("post", "/api/v1/merchants"),
    ("post", "/api/v1/products"),
    ("patch", "/api/v1/products/p1"),
    ("delete", "/api/v1/products/p1"),
    ("delete", "/api/v1/sessions/current"),
]


def test_every_mutation_needs_a_valid_token(start_gateway, web_session, fakes):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    for method, url in MUTATIONS:
        for headers in ({}, {"Authorization": "Bearer palsu"}, {"Authorization": "Basic abc"}):
            response = getattr(web_session, method)(url, json={"name": "x"}, headers={**headers, "If-Match": "1"})
            assert_error(response, 401, "unauthorized")
    assert fakes.calls == []  # the catalog was never asked


def test_error_shapes(start_gateway, web_session):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    owner, _ = register_and_sign_in(web_session)
    promoter, _ = register_and_sign_in(web_session, email="promotor@example.com", role="promoter")

    # 400: not JSON, not an object, bad If-Match
    assert_error(web_session.post("/api/v1/accounts", data="{bukan json"), 400, "bad_request")
    assert_error(web_session.post("/api/v1/accounts", json=["a"]), 400, "bad_request")
    assert_error(web_session.post("/api/v1/sessions", data=""), 400, "bad_request")
    assert_error(
        web_session.patch("/api/v1/products/p1", json={}, headers={**owner, "If-Match": "versi-1"}),
        400, "bad_request", "If-Match",
    )
    # 401: wrong password and unknown email look the same
    wrong = web_session.post("/api/v1/sessions", json={"email": "wa.ode@example.com", "password": "salah-salah"})
    unknown = web_session.post("/api/v1/sessions", json={"email": "siapa@example.com", "password": "salah-salah"})
    assert assert_error(wrong, 401, "unauthorized") == assert_error(unknown, 401, "unauthorized")
    # 403: a promoter cannot register a business
    assert_error(
        web_session.post("/api/v1/merchants", json={"name": "Usaha"}, headers=promoter), 403, "forbidden"
    )
    # 404: from the catalog, and an unknown route
    assert_error(web_session.get("/api/v1/merchants/tidak-ada"), 404, "not_found")
    assert_error(web_session.get("/api/v1/tidak-ada"), 404, "not_found")
    # 405: a known route with the wrong method
    response = web_session.put("/api/v1/regions")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    # 409: email taken
    response = web_session.post(
        "/api/v1/accounts", json={"email": "WA.ODE@example.com", "password": "kain-tenun-123", "name": "Lain", "role": "owner"}
    )
    assert_error(response, 409, "conflict", "email")
    # 422: gateway validation (several fields at once) and the catalog's own validation
    body = assert_error(
        web_session.post("/api/v1/accounts", json={"email": "x", "password": "123", "name": "Budi", "role": "owner"}),
        422, "validation_failed",
    )
    assert set(body["error"]["fields"]) == {"email", "password"}
    assert_error(web_session.post("/api/v1/merchants", json={"name": ""}, headers=owner), 422, "validation_failed", "name")
    # 413: body larger than max_body_bytes
    big = '{"name": "' + "x" * 1_100_000 + '"}'
    assert_error(web_session.post("/api/v1/accounts", data=big), 413, "payload_too_large")


# A slow fake answers after SLOW seconds (or when the test ends): far past the gateway's
# deadlines (RPC_TIMEOUT 2 s, HEALTH_TIMEOUT 1 s), so that an answer well before SLOW can only
# come from the deadline, however loaded the machine.
SLOW = 60


def test_a_slow_service_is_a_504_after_the_deadline(start_gateway, web_session, fakes):
    fakes.catalog.delays.update(health=SLOW, create_product=SLOW)  # answers, but after the deadline
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    auth, _ = register_and_sign_in(web_session)
    started = time.monotonic()
    response = web_session.post("/api/v1/products", json={"name": "Kopi"}, headers=auth)
    elapsed = time.monotonic() - started
    body = assert_error(response, 504, "service_timeout")
    assert body["error"]["fields"] == {"service": "catalog"}
    assert 0.9 <= elapsed < SLOW / 2  # waited for the deadline, not for the answer


def test_a_missing_service_is_a_503(start_gateway, web_session):
    start_gateway(FakeCatalog, FakePromotion)  # no search running
    body = assert_error(web_session.get("/api/v1/search", params={"q": "kopi"}), 503, "service_unavailable")
    assert body["error"]["fields"]["service"] == "search"


# --- health --------------------------------------------------------------------------


def test_health_ok_when_every_service_answers(start_gateway, web_session):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    response = web_session.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_names_a_missing_service(start_gateway, web_session):
    start_gateway(FakeCatalog, FakePromotion)
    response = web_session.get("/health")
    body = assert_error(response, 503, "service_unavailable", other_keys={"status"})
    assert body["status"] == "unavailable"
    assert body["error"]["fields"] == {"search": "tidak tersedia"}


def test_health_names_a_slow_service_within_the_deadline(start_gateway, web_session, fakes):
    fakes.catalog.delays.update(health=SLOW, create_product=SLOW)  # answers, but after the deadline
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    started = time.monotonic()
    body = assert_error(web_session.get("/health"), 503, "service_unavailable", other_keys={"status"})
    assert time.monotonic() - started < SLOW / 2  # answered at the deadline, not after the slow service
    assert body["error"]["fields"] == {"catalog": "tidak menjawab"}


def test_health_shows_the_restarts_the_supervisor_recorded(start_gateway, web_session, tmp_path):
    status_file = tmp_path / "supervisor-status.json"
    restarts = {
        "catalog": {"restarts": 0, "last_reason": None, "last_restart_at": None},
        "search": {"restarts": 1, "last_reason": "SIGKILL", "last_restart_at": "2026-12-05T09:41:07+08:00"},
    }
    supervisor_status.write_status(status_file, restarts)
    start_gateway(FakeCatalog, FakeSearch, FakePromotion, SUPERVISOR_STATUS=str(status_file))
    assert web_session.get("/health").json() == {"status": "ok", "services": restarts}
    restarts["search"]["restarts"] = 2  # read on each request: the supervisor rewrites it
    supervisor_status.write_status(status_file, restarts)
    assert web_session.get("/health").json()["services"]["search"]["restarts"] == 2


def test_health_when_unhealthy_still_shows_the_restarts(start_gateway, web_session, tmp_path):
    status_file = tmp_path / "supervisor-status.json"
    restarts = {"search": {"restarts": 3, "last_reason": "exit code 1", "last_restart_at": "2026-12-05T09:41:07+08:00"}}
    supervisor_status.write_status(status_file, restarts)
    start_gateway(FakeCatalog, FakePromotion, SUPERVISOR_STATUS=str(status_file))
    body = assert_error(web_session.get("/health"), 503, "service_unavailable", other_keys={"status", "services"})
    assert body["services"] == restarts


def test_health_leaves_restarts_out_when_the_status_file_cannot_be_read(start_gateway, web_session, tmp_path):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion, SUPERVISOR_STATUS=str(tmp_path / "not-written-yet.json"))
    assert web_session.get("/health").json() == {"status": "ok"}


# --- the HTML search page ------------------------------------------------------------


def test_search_page_escapes_and_formats(start_gateway, web_session):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    response = web_session.get("/", params={"q": '"><b>tenun</b>', "region": "7402"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "img-src 'self' data:" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.text
    assert '<html lang="id">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html.replace('<script src="/static/js/site.js', "")
    assert "<b>tenun</b>" not in html and "<b>Muna</b>" not in html
    assert "Rp 15.000" in html and "Rp 450.000" in html
    assert "Ditemukan 45 produk" in html
    region_select = html.split('<select id="region"', 1)[1].split("</select>", 1)[0]
    assert region_select.count("<option") == 18  # "all" + the 17 regions
    assert '<option value="7402" selected>Muna</option>' in region_select
    assert "page=2" in html  # 45 results, 20 per page: a next link


def test_search_page_without_query_is_the_home_page(start_gateway, web_session, fakes):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    response = web_session.get("/")
    assert response.status_code == 200
    assert "Ketik kata kunci" in response.text
    # the home page asks search only for its "Produk terbaru" (newest first), not for the empty query
    assert [call for call in fakes.calls if call[0] == "search"] == [("search", "", None, 1, 8, {"sort": "newest"})]


def test_search_page_bad_region_is_a_friendly_message(start_gateway, web_session):
    start_gateway(FakeCatalog, FakeSearch, FakePromotion)
    response = web_session.get("/", params={"q": "kopi", "region": "9999"})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "tidak dikenal" in response.text
    assert "Traceback" not in response.text


def test_search_page_when_search_is_down_is_a_503_page(start_gateway, web_session):
    start_gateway(FakeCatalog, FakePromotion)
    response = web_session.get("/", params={"q": "kopi"})
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Pencarian sedang tidak tersedia" in response.text
