"""Campaigns over HTTP (issue 5): the real gateway container on a real RabbitMQ (fresh vhost)
and SQLite; the promotion and catalog services are the fakes of gateway_fakes.py, answering
in the shapes of the promotion RPC contract (docs/contracts/promotion-rpc.md). The promotion
service's own rules (windows, ranges, who owns which campaign) are its tests' business: here
the fake raises its typed errors on demand and the gateway must pass them through in the
error shape."""
import functools
import time
import uuid

import pytest

from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

from gateway_fakes import FakeCatalog, FakePromotion, FakeSearch
from gateway_helpers import approve_promoter, assert_error, register_and_sign_in, sign_in_admin

CAMPAIGN_ID = str(uuid.uuid4())
PRODUCT_ID = "8c3c5a0e-4a1f-4d36-9a57-2f0b7f1c9d11"
PLAIN_PRODUCT_ID = "0b8e7c2d-1111-4a2b-9c3d-444455556666"  # in no campaign
MAX_BODY = 4096

PRICING = {
    "effective_price": 40500, "normal_price": 45000, "discount_percent": 10, "promoted": True,
    "badge": "Festival Tenun", "campaign_id": CAMPAIGN_ID, "campaign_name": "Festival Tenun Buton",
    "valid_until": "2026-12-10T16:00:00Z",
}

CAMPAIGN_BODY = {
    "name": "Festival Tenun Buton",
    "description": "Diskon kain tenun selama festival.",
    "starts_at": "2026-12-03T08:00:00+08:00",
    "ends_at": "2026-12-11T00:00:00+08:00",
    "discount": {"type": "percent", "value": 10},
    "featured": False,
    "target": {"categories": ["tenun"], "regions": ["7401"], "verified_only": True},
    "max_products": 100,
    "budget": 5_000_000,
    "funded_by": "pemda",
}


def detail(campaign_id=CAMPAIGN_ID, owner_id="promoter-id", status="scheduled", version=1, **changes) -> dict:
    """A campaign detail as the contract describes it."""
    base = {
        "id": campaign_id, "name": CAMPAIGN_BODY["name"], "description": CAMPAIGN_BODY["description"],
        "status": status, "starts_at": "2026-12-03T00:00:00Z", "ends_at": "2026-12-10T16:00:00Z",
        "starts_at_wita": "3 Des 2026 08.00 WITA", "ends_at_wita": "11 Des 2026 00.00 WITA",
        "discount": {"type": "percent", "value": 10}, "featured": False,
        "target": {"product_ids": [], "categories": ["tenun"], "regions": ["7401"], "merchant_kind": None,
                   "verified_only": True},
        "max_products": 100, "open_for_signup": False,
        "budget": {"amount": 5_000_000, "spent": 0, "remaining": 5_000_000, "funded_by": "pemda", "exhausted": False},
        "product_count": 12, "owner_id": owner_id, "created_at": "2026-11-20T01:00:00Z",
        "updated_at": "2026-11-20T01:00:00Z", "version": version,
        "statistics": {"totals": {"impressions": 0, "clicks": 0, "contacts": 0, "discount_given": 0}, "days": []},
    }
    base.update(changes)
    return base


def list_own_campaigns(actor, status, page, per_page):
    """This module's promotion lists one campaign: the caller's own."""
    item = detail(owner_id=actor["id"])
    item["statistics"] = {"totals": item["statistics"]["totals"]}
    return {"total": 1, "page": page, "per_page": per_page, "items": [item]}


@pytest.fixture(autouse=True)
def promotion_and_catalog(fakes):
    promotion = fakes.promotion
    promotion.add_campaigns(detail())
    promotion.new_campaign = detail()
    promotion.list_campaigns = list_own_campaigns
    promotion.preview = {"count": 1, "products": [{"id": PRODUCT_ID, "name": "Sarung Tenun", "price": 45000,
                                                   "effective_price": 40500, "region": "7401", "category": "tenun",
                                                   "merchant_id": "m1"}]}
    promotion.owner_campaigns = [{"id": CAMPAIGN_ID, "name": CAMPAIGN_BODY["name"], "status": "active",
                                  "my_products": [{"product_id": PRODUCT_ID, "member": True}]}]
    promotion.active = [{"id": CAMPAIGN_ID, "name": CAMPAIGN_BODY["name"], "product_count": 12}]
    promotion.featured = [{"id": PRODUCT_ID, "name": "Sarung Tenun", "badge": "Unggulan"}]
    promotion.pricing = {PRODUCT_ID: PRICING}
    fakes.catalog.add_products(*({"id": product_id, "name": "Sarung Tenun", "price": 45000, "version": 3}
                                 for product_id in (PRODUCT_ID, PLAIN_PRODUCT_ID)))


@pytest.fixture
def start_gateway(start_gateway):
    """This module's gateway takes bodies of at most MAX_BODY bytes."""
    return functools.partial(start_gateway, MAX_BODY_BYTES=MAX_BODY)


def make_accounts(session_factory, web_session) -> dict:
    """role -> {"auth": headers, "actor": {"id", "role"}} for an owner, a promoter and an admin."""
    people = {}
    for role, email in (("owner", "wa.ode@example.com"), ("promoter", "la.ode@example.com")):
        auth, account_id = register_and_sign_in(web_session, email, role)
        if role == "promoter":
            approve_promoter(session_factory, email)  # scheduling needs an approved promoter
        people[role] = {"auth": auth, "actor": {"id": account_id, "role": role}}
    auth, admin = sign_in_admin(session_factory, web_session)
    people["admin"] = {"auth": auth, "actor": {"id": admin["id"], "role": "admin"}}
    return people


@pytest.fixture
def people(gateway, web_session):
    return make_accounts(gateway, web_session)


# --- creating and listing --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["promoter", "admin"])
def test_create_campaign(people, web_session, role, fakes):
    who = people[role]
    response = web_session.post("/api/v1/campaigns", json=CAMPAIGN_BODY, headers=who["auth"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == detail(owner_id=who["actor"]["id"])  # passed through as the service answered
    assert body["id"] == CAMPAIGN_ID and body["status"] == "scheduled"
    assert response.headers["Location"] == f"/api/v1/campaigns/{CAMPAIGN_ID}"
    assert response.headers["ETag"] == '"1"'
    assert fakes.calls == [("create_campaign", who["actor"], CAMPAIGN_BODY)]  # only id and role cross over


def test_create_draft(people, web_session, fakes):
    body = {**CAMPAIGN_BODY, "draft": True, "open_for_signup": True, "discount": None, "featured": True,
            "description": None, "max_products": None, "budget": None, "funded_by": None}
    response = web_session.post("/api/v1/campaigns", json=body, headers=people["promoter"]["auth"])
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "draft"
    assert fakes.calls == [("create_campaign", people["promoter"]["actor"], body)]


def test_create_refused_to_owner_and_anonymous(people, web_session, fakes):
    assert_error(web_session.post("/api/v1/campaigns", json=CAMPAIGN_BODY), 401, "unauthorized")
    assert_error(web_session.post("/api/v1/campaigns", json=CAMPAIGN_BODY, headers=people["owner"]["auth"]),
                 403, "forbidden")
    assert fakes.calls == []


def test_create_body_shape(people, web_session, fakes):
    auth = {**people["promoter"]["auth"], "Content-Type": "application/json"}
    assert_error(web_session.post("/api/v1/campaigns", data=b"{nama", headers=auth), 400, "bad_request")
    assert_error(web_session.post("/api/v1/campaigns", data=b"[1, 2]", headers=auth), 400, "bad_request")
    too_big = {**CAMPAIGN_BODY, "description": "x" * MAX_BODY}
    assert_error(web_session.post("/api/v1/campaigns", json=too_big, headers=auth), 413, "payload_too_large")

    error = assert_error(
        web_session.post("/api/v1/campaigns", json={**CAMPAIGN_BODY, "diskon": 10, "owner_id": "x"}, headers=auth),
        422, "validation_failed")["error"]
    assert set(error["fields"]) == {"diskon", "owner_id"}

    wrong_types = {**CAMPAIGN_BODY, "name": 5, "featured": "ya", "target": ["tenun"], "discount": 10,
                   "max_products": True, "budget": "5 juta", "starts_at": None}
    error = assert_error(web_session.post("/api/v1/campaigns", json=wrong_types, headers=auth),
                         422, "validation_failed")["error"]
    assert set(error["fields"]) == {"name", "featured", "target", "discount", "max_products", "budget", "starts_at"}
    assert fakes.calls == []


def test_list_campaigns(people, web_session, fakes):
    promoter = people["promoter"]
    response = web_session.get("/api/v1/campaigns", headers=promoter["auth"])
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 1 and response.json()["items"][0]["owner_id"] == promoter["actor"]["id"]
    response = web_session.get("/api/v1/campaigns?status=active&page=2&per_page=50", headers=people["admin"]["auth"])
    assert response.status_code == 200, response.text
    assert response.json()["page"] == 2 and response.json()["per_page"] == 50
    assert fakes.calls == [("list_campaigns", promoter["actor"], None, 1, 20),
                     ("list_campaigns", people["admin"]["actor"], "active", 2, 50)]


def test_list_campaigns_bad_params(people, web_session, fakes):
    for query, field in [
        ("per_page=51", "per_page"), ("per_page=0", "per_page"), ("per_page=banyak", "per_page"),
        ("page=0", "page"), ("page=-1", "page"), ("page=satu", "page"), ("status=selesai", "status"),
    ]:
        response = web_session.get(f"/api/v1/campaigns?{query}", headers=people["promoter"]["auth"])
        assert_error(response, 422, "validation_failed", field)
    error = assert_error(web_session.get("/api/v1/campaigns?page=0&per_page=51", headers=people["admin"]["auth"]),
                         422, "validation_failed")["error"]
    assert set(error["fields"]) == {"page", "per_page"}
    assert fakes.calls == []


def test_list_campaigns_refused(people, web_session, fakes):
    assert_error(web_session.get("/api/v1/campaigns"), 401, "unauthorized")
    assert_error(web_session.get("/api/v1/campaigns", headers=people["owner"]["auth"]), 403, "forbidden")
    assert fakes.calls == []


# --- one campaign ----------------------------------------------------------------------------


def test_campaign_lifecycle_routes(people, web_session, fakes):
    promoter = people["promoter"]
    auth, actor = promoter["auth"], promoter["actor"]
    base = f"/api/v1/campaigns/{CAMPAIGN_ID}"

    response = web_session.get(base, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == detail() and response.headers["ETag"] == '"1"'

    response = web_session.patch(base, json={"name": "Festival Tenun"}, headers={**auth, "If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Festival Tenun" and response.headers["ETag"] == '"2"'
    response = web_session.patch(base, json={"description": "Baru"}, headers=auth)  # If-Match is optional
    assert response.status_code == 200, response.text

    response = web_session.post(f"{base}/schedule", headers=auth)
    assert response.status_code == 200 and response.json()["status"] == "scheduled"
    response = web_session.post(f"{base}/cancel", headers=auth)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"

    response = web_session.get(f"{base}/preview", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 1 and response.json()["products"][0]["id"] == PRODUCT_ID
    response = web_session.get(f"{base}/preview?limit=100", headers=people["admin"]["auth"])
    assert response.status_code == 200, response.text

    assert fakes.calls == [
        ("get_campaign", actor, CAMPAIGN_ID),
        ("update_campaign", actor, CAMPAIGN_ID, {"name": "Festival Tenun"}, 1),
        ("update_campaign", actor, CAMPAIGN_ID, {"description": "Baru"}, None),
        ("schedule_campaign", actor, CAMPAIGN_ID),
        ("cancel_campaign", actor, CAMPAIGN_ID),
        ("preview_campaign", actor, CAMPAIGN_ID, 50),
        ("preview_campaign", people["admin"]["actor"], CAMPAIGN_ID, 100),
    ]


def test_campaign_id_is_normalised(people, web_session, fakes):
    response = web_session.get(f"/api/v1/campaigns/{CAMPAIGN_ID.upper()}", headers=people["promoter"]["auth"])
    assert response.status_code == 200, response.text
    assert fakes.calls == [("get_campaign", people["promoter"]["actor"], CAMPAIGN_ID)]


def test_update_shape_and_if_match(people, web_session, fakes):
    auth = people["promoter"]["auth"]
    base = f"/api/v1/campaigns/{CAMPAIGN_ID}"
    assert_error(web_session.patch(base, json={"draft": True}, headers=auth), 422, "validation_failed", "draft")
    assert_error(web_session.patch(base, json={"status": "active"}, headers=auth), 422, "validation_failed", "status")
    assert_error(web_session.patch(base, json={"ends_at": 5}, headers=auth), 422, "validation_failed", "ends_at")
    assert_error(web_session.patch(base, data=b"nope", headers=auth), 400, "bad_request")
    assert_error(web_session.patch(base, json={"name": "x"}, headers={**auth, "If-Match": "versi-1"}),
                 400, "bad_request", "If-Match")
    assert_error(web_session.patch(base, json={"description": "y" * MAX_BODY}, headers=auth),
                 413, "payload_too_large")
    assert_error(web_session.get(f"{base}/preview?limit=101", headers=auth), 422, "validation_failed", "limit")
    assert_error(web_session.get(f"{base}/preview?limit=0", headers=auth), 422, "validation_failed", "limit")
    assert fakes.calls == []


MANAGE_ROUTES = [
    ("patch", "/api/v1/campaigns/{id}"),
    ("post", "/api/v1/campaigns/{id}/schedule"),
    ("post", "/api/v1/campaigns/{id}/cancel"),
    ("get", "/api/v1/campaigns/{id}/preview"),
]
CAMPAIGN_ROUTES = [("get", "/api/v1/campaigns/{id}"), *MANAGE_ROUTES,
                   ("post", "/api/v1/campaigns/{id}/opt-out"), ("post", "/api/v1/campaigns/{id}/opt-in")]


def test_bad_campaign_id_is_404_without_a_call(people, web_session, fakes):
    auth = people["admin"]["auth"]  # admins may use every route
    for method, path in CAMPAIGN_ROUTES:
        for bad in ("bukan-uuid", "123", f"{CAMPAIGN_ID}0", CAMPAIGN_ID.replace("-", ""), CAMPAIGN_ID[:-1] + "z"):
            response = getattr(web_session, method)(path.format(id=bad), json={"product_id": PRODUCT_ID},
                                                    headers=auth)
            assert_error(response, 404, "not_found")
    assert fakes.calls == []


def test_campaign_routes_need_a_session_and_the_right_role(people, web_session, fakes):
    for method, path in CAMPAIGN_ROUTES:
        response = getattr(web_session, method)(path.format(id=CAMPAIGN_ID), json={"product_id": PRODUCT_ID})
        assert_error(response, 401, "unauthorized")
    for method, path in MANAGE_ROUTES:
        response = getattr(web_session, method)(path.format(id=CAMPAIGN_ID), json={"name": "x"},
                                                headers=people["owner"]["auth"])
        assert_error(response, 403, "forbidden")
    assert fakes.calls == []


# --- errors of the promotion service ----------------------------------------------------------


@pytest.mark.parametrize("error,status,code", [
    (ValidationFailed("Data kampanye tidak valid.", {"ends_at": "Harus setelah starts_at.",
                                                     "target.regions": "Wilayah 9999 tidak dikenal."}),
     422, "validation_failed"),
    (NotFound("Kampanye tidak ditemukan."), 404, "not_found"),
    (Forbidden("Bukan kampanye Anda."), 403, "forbidden"),
    (Conflict("Kampanye sudah berakhir.", {"status": "ended"}), 409, "conflict"),
])
def test_promotion_errors_pass_through(people, web_session, error, status, code, fakes):
    auth = people["promoter"]["auth"]
    for method in ("create_campaign", "update_campaign", "cancel_campaign"):
        fakes.promotion.raises[method] = error
    requests = [
        web_session.post("/api/v1/campaigns", json=CAMPAIGN_BODY, headers=auth),
        web_session.patch(f"/api/v1/campaigns/{CAMPAIGN_ID}", json={"ends_at": "2020-01-01T00:00:00+08:00"},
                          headers=auth),
        web_session.post(f"/api/v1/campaigns/{CAMPAIGN_ID}/cancel", headers=auth),
    ]
    for response in requests:
        body = assert_error(response, status, code)["error"]
        assert body == {"code": code, "message": error.message, "fields": error.fields}
    assert [call[0] for call in fakes.calls] == ["create_campaign", "update_campaign", "cancel_campaign"]


def test_promotion_down_is_503(start_gateway, web_session):
    people = make_accounts(start_gateway(FakeCatalog), web_session)  # no promotion service at all
    response = web_session.get(f"/api/v1/campaigns/{CAMPAIGN_ID}", headers=people["promoter"]["auth"])
    assert_error(response, 503, "service_unavailable")
    assert_error(web_session.get("/api/v1/featured"), 503, "service_unavailable")


# --- owners ----------------------------------------------------------------------------------


@pytest.mark.parametrize("action,member", [("opt-out", False), ("opt-in", True)])
def test_opt_out_and_in(people, web_session, action, member, fakes):
    path = f"/api/v1/campaigns/{CAMPAIGN_ID}/{action}"
    method = action.replace("-", "_")
    for role in ("owner", "admin"):
        response = web_session.post(path, json={"product_id": PRODUCT_ID}, headers=people[role]["auth"])
        assert response.status_code == 200, response.text
        assert response.json() == {"campaign_id": CAMPAIGN_ID, "product_id": PRODUCT_ID,
                                   "product_ids": [PRODUCT_ID], "member": member}
    assert fakes.calls == [(method, people["owner"]["actor"], CAMPAIGN_ID, {"product_id": PRODUCT_ID}),
                           (method, people["admin"]["actor"], CAMPAIGN_ID, {"product_id": PRODUCT_ID})]
    fakes.calls.clear()

    owner = people["owner"]["auth"]
    assert_error(web_session.post(path, json={"product_id": PRODUCT_ID}, headers=people["promoter"]["auth"]),
                 403, "forbidden")
    for bad in ({"product_id": 7}, {"product_id": ""}, {"product_id": None}, {"product_id": "x" * 65}):
        assert_error(web_session.post(path, json=bad, headers=owner), 422, "validation_failed", "product_id")
    assert_error(web_session.post(path, data=b"{", headers=owner), 400, "bad_request")
    assert_error(web_session.post(path, json={"product_id": "x" * MAX_BODY}, headers=owner), 413, "payload_too_large")
    assert fakes.calls == []

    fakes.promotion.raises[method] = Forbidden("Produk ini bukan milik Anda.")
    assert_error(web_session.post(path, json={"product_id": PRODUCT_ID}, headers=owner), 403, "forbidden")
    fakes.promotion.raises[method] = Conflict("Kampanye tidak menerima pendaftaran.")
    assert_error(web_session.post(path, json={"product_id": PRODUCT_ID}, headers=owner), 409, "conflict")


@pytest.mark.parametrize("action,member", [("opt-out", False), ("opt-in", True)])
def test_opt_in_and_out_take_a_list_or_a_whole_merchant(people, web_session, action, member, fakes):
    path = f"/api/v1/campaigns/{CAMPAIGN_ID}/{action}"
    method = action.replace("-", "_")
    owner = people["owner"]["auth"]
    fakes.promotion.merchant_products = {"m-1": ["p-1", "p-2"]}
    response = web_session.post(path, json={"product_ids": ["p-1", " p-2 "]}, headers=owner)
    assert response.status_code == 200, response.text
    assert response.json() == {"campaign_id": CAMPAIGN_ID, "product_ids": ["p-1", "p-2"], "member": member}
    response = web_session.post(path, json={"merchant_id": "m-1", "all": True}, headers=owner)
    assert response.status_code == 200, response.text
    assert response.json()["product_ids"] == ["p-1", "p-2"]
    assert fakes.calls == [(method, people["owner"]["actor"], CAMPAIGN_ID, {"product_ids": ["p-1", "p-2"]}),
                           (method, people["owner"]["actor"], CAMPAIGN_ID, {"merchant_id": "m-1", "all": True})]
    fakes.calls.clear()
    for bad, field in (({}, "product_ids"), ({"product_ids": []}, "product_ids"), ({"product_ids": "p-1"}, "product_ids"),
                       ({"product_ids": ["p-1", 2]}, "product_ids"), ({"product_ids": ["p"] * 501}, "product_ids"),
                       ({"merchant_id": "m-1"}, "all"), ({"merchant_id": "m-1", "all": False}, "all"),
                       ({"merchant_id": 5, "all": True}, "merchant_id"),
                       ({"product_ids": ["p-1"], "merchant_id": "m-1", "all": True}, "product_ids"),
                       ({"product_ids": ["p-1"], "semua": True}, "semua")):
        assert_error(web_session.post(path, json=bad, headers=owner), 422, "validation_failed", field)
    assert fakes.calls == []
    fakes.promotion.raises[method] = Conflict("Kuota produk kampanye sudah penuh (sisa 1).",
                                              {"max_products": 3, "room": 1})
    body = assert_error(web_session.post(path, json={"merchant_id": "m-1", "all": True}, headers=owner), 409, "conflict")
    assert body["error"]["fields"] == {"max_products": "3", "room": "1"}


def test_my_campaigns(people, web_session, fakes):
    response = web_session.get("/api/v1/me/campaigns", headers=people["owner"]["auth"])
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["my_products"] == [{"product_id": PRODUCT_ID, "member": True}]
    assert fakes.calls == [("campaigns_for_owner", people["owner"]["actor"])]
    assert_error(web_session.get("/api/v1/me/campaigns"), 401, "unauthorized")
    assert_error(web_session.get("/api/v1/me/campaigns", headers=people["promoter"]["auth"]), 403, "forbidden")
    assert len(fakes.calls) == 1


# --- public ----------------------------------------------------------------------------------


def test_active_campaigns_are_public_and_win_over_the_id_route(people, web_session, fakes):
    response = web_session.get("/api/v1/campaigns/active")
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["id"] == CAMPAIGN_ID
    assert web_session.get("/api/v1/campaigns/active?limit=50").status_code == 200
    assert_error(web_session.get("/api/v1/campaigns/active?limit=51"), 422, "validation_failed", "limit")
    assert fakes.calls == [("active_campaigns", 10), ("active_campaigns", 50)]
    # Only GET is the public list; other methods on "active" are the id routes, and "active" is no id.
    assert_error(web_session.patch("/api/v1/campaigns/active", json={}, headers=people["admin"]["auth"]),
                 404, "not_found")


def test_featured_is_public(people, web_session, fakes):
    response = web_session.get("/api/v1/featured")
    assert response.status_code == 200, response.text
    assert response.json()["slots"] == 8 and response.json()["items"][0]["id"] == PRODUCT_ID
    assert web_session.get("/api/v1/featured?slots=24").json()["slots"] == 24
    assert web_session.get("/api/v1/featured?slots=1").json()["slots"] == 1
    for bad in ("0", "25", "delapan", "-3"):
        assert_error(web_session.get(f"/api/v1/featured?slots={bad}"), 422, "validation_failed", "slots")
    assert fakes.calls == [("featured_products", 8), ("featured_products", 24), ("featured_products", 1)]


# --- the product page's pricing ----------------------------------------------------------------


def test_product_carries_its_pricing(people, web_session, fakes):
    response = web_session.get(f"/api/v1/products/{PRODUCT_ID}")
    assert response.status_code == 200, response.text
    assert response.json() == {"id": PRODUCT_ID, "name": "Sarung Tenun", "price": 45000, "version": 3,
                               "pricing": PRICING}
    assert response.headers["ETag"] == '"3"'
    assert ("pricing_for", [PRODUCT_ID]) in fakes.calls

    response = web_session.get(f"/api/v1/products/{PLAIN_PRODUCT_ID}")  # in no campaign
    assert response.status_code == 200, response.text
    assert response.json()["pricing"] is None

    assert_error(web_session.get("/api/v1/products/tidak-ada"), 404, "not_found")  # the catalog's answer wins


@pytest.mark.parametrize("error", [RuntimeError("bug"), ValidationFailed("Terlalu banyak id.", {"product_ids": "x"})])
def test_product_answers_when_pricing_fails(people, web_session, error, fakes):
    fakes.promotion.raises["pricing_for"] = error
    response = web_session.get(f"/api/v1/products/{PRODUCT_ID}")
    assert response.status_code == 200, response.text
    assert response.json()["pricing"] is None and response.json()["name"] == "Sarung Tenun"
    assert ("pricing_for", [PRODUCT_ID]) in fakes.calls


# Pricing gets its own short deadline (PRICING_TIMEOUT), far below the other calls' (RPC_TIMEOUT
# 60 s here) and the slow promotion's answer (60 s): a product page well under 30 s did not
# wait for either, however loaded the machine.
SLOW = 60


def test_product_does_not_wait_for_slow_pricing(start_gateway, web_session, fakes):
    start_gateway(FakePromotion, FakeCatalog, FakeSearch, PRICING_TIMEOUT=0.2, RPC_TIMEOUT=SLOW)
    fakes.promotion.delays["pricing_for"] = SLOW
    started = time.monotonic()
    response = web_session.get(f"/api/v1/products/{PRODUCT_ID}")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json()["pricing"] is None
    assert elapsed < SLOW / 2, elapsed


def test_product_answers_without_the_promotion_service(start_gateway, web_session, fakes):
    start_gateway(FakeCatalog, FakeSearch, PRICING_TIMEOUT=0.3, RPC_TIMEOUT=SLOW)  # no promotion service at all
    started = time.monotonic()
    response = web_session.get(f"/api/v1/products/{PRODUCT_ID}")
    assert response.status_code == 200, response.text
    assert response.json()["pricing"] is None and response.json()["version"] == 3
    assert time.monotonic() - started < SLOW / 2
    assert fakes.calls == [("get_product", PRODUCT_ID)]
