"""Merchant routes of the gateway over HTTP: the real gateway container on a real RabbitMQ
(fresh vhost) and a real database; the catalog is the fake of gateway_fakes.py, which
records what it was asked and raises the catalog's typed errors."""
import pytest

from gateway_fakes import FakeCatalog
from gateway_helpers import assert_error, register_and_sign_in, sign_in_admin


@pytest.fixture
def gateway(start_gateway):
    return start_gateway(FakeCatalog)


def register(web_session, auth, **extra):
    data = {"name": "Koperasi Mete Muna", "kind": "koperasi", "region": "7402", "whatsapp": "081234567890", **extra}
    response = web_session.post("/api/v1/merchants", json=data, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def test_registration_passes_the_new_fields_through(gateway, web_session, fakes):
    auth, owner_id = register_and_sign_in(web_session, "wa.ode@example.com")
    extra = {"address": "Raha", "nib": "9120001234567", "halal_number": "ID7402000123",
             "halal_expires_on": "2030-01-31", "member_count": 120, "last_rat_year": 2024}
    register(web_session, auth, **extra)
    name, actor, data = fakes.calls[-1]
    assert name == "register_merchant" and actor == {"id": owner_id, "role": "owner"}
    assert {key: data[key] for key in extra} == extra


def test_owner_patches_a_merchant_with_if_match(gateway, web_session, fakes):
    auth, owner_id = register_and_sign_in(web_session, "wa.ode@example.com")
    merchant = register(web_session, auth)

    response = web_session.patch(
        f"/api/v1/merchants/{merchant['id']}", json={"address": "Jl. Poros Raha"}, headers={**auth, "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["address"] == "Jl. Poros Raha" and response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert fakes.calls[-1] == ("update_merchant", {"id": owner_id, "role": "owner"}, merchant["id"],
                         {"address": "Jl. Poros Raha"}, 1)

    # Without If-Match: no version check.
    response = web_session.patch(f"/api/v1/merchants/{merchant['id']}", json={"description": "Mete"}, headers=auth)
    assert response.status_code == 200 and fakes.calls[-1][-1] is None

    # Stale If-Match: the catalog's 409 in the error shape.
    response = web_session.patch(f"/api/v1/merchants/{merchant['id']}", json={"address": "x"},
                                 headers={**auth, "If-Match": "1"})
    assert assert_error(response, 409, "conflict", "version")["error"]["fields"] == {"version": "3"}
    # Bad If-Match, bad JSON, the catalog's validation, an unknown merchant.
    assert_error(web_session.patch(f"/api/v1/merchants/{merchant['id']}", json={}, headers={**auth, "If-Match": "v1"}),
                 400, "bad_request", "If-Match")
    assert_error(web_session.patch(f"/api/v1/merchants/{merchant['id']}", data="{", headers=auth), 400, "bad_request")
    assert_error(web_session.patch(f"/api/v1/merchants/{merchant['id']}", json={"nib": "12"}, headers=auth),
                 422, "validation_failed", "nib")
    assert_error(web_session.patch("/api/v1/merchants/tidak-ada", json={"address": "x"}, headers=auth), 404, "not_found")


def test_another_owner_cannot_patch(gateway, web_session, fakes):
    auth, _ = register_and_sign_in(web_session, "wa.ode@example.com")
    merchant = register(web_session, auth)
    intruder, _ = register_and_sign_in(web_session, "la.ode@example.com")
    assert_error(web_session.patch(f"/api/v1/merchants/{merchant['id']}", json={"name": "Milik Saya"}, headers=intruder),
                 403, "forbidden")
    assert fakes.catalog.merchants[merchant["id"]]["name"] == "Koperasi Mete Muna"


MERCHANT_MUTATIONS = [
    ("patch", "/api/v1/merchants/m1"),
    ("post", "/api/v1/merchants/m1/verification"),
    ("get", "/api/v1/admin/merchants"),
]


def test_every_merchant_route_needs_a_valid_token(gateway, web_session, fakes):
    for method, url in MERCHANT_MUTATIONS:
        for headers in ({}, {"Authorization": "Bearer palsu"}, {"Authorization": "Basic abc"}):
            kwargs = {} if method == "get" else {"json": {"decision": "verified"}}
            assert_error(getattr(web_session, method)(url, headers=headers, **kwargs), 401, "unauthorized")
    assert fakes.calls == []  # the catalog was never asked


def test_admin_decides_and_sees_the_queue(gateway, web_session, fakes):
    owner_auth, _ = register_and_sign_in(web_session, "wa.ode@example.com")
    first = register(web_session, owner_auth)
    second = register(web_session, owner_auth, name="Tenun Masalili", kind="umkm")
    auth, curator = sign_in_admin(gateway, web_session)

    response = web_session.get("/api/v1/admin/merchants", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2 and {m["id"] for m in body["items"]} == {first["id"], second["id"]}
    assert fakes.calls[-1] == ("list_merchants_by_status", {"id": curator["id"], "role": "admin"}, "pending", 1, 50)

    response = web_session.post(f"/api/v1/merchants/{first['id']}/verification", json={"decision": "verified"}, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "verified" and response.headers["ETag"] == '"2"'
    assert fakes.calls[-1] == ("decide_verification", {"id": curator["id"], "role": "admin"}, first["id"], "verified", None)

    response = web_session.post(f"/api/v1/merchants/{second['id']}/verification",
                                json={"decision": "rejected", "reason": "NIB tidak ditemukan."}, headers=auth)
    assert response.status_code == 200 and fakes.calls[-1][-2:] == ("rejected", "NIB tidak ditemukan.")

    response = web_session.get("/api/v1/admin/merchants", params={"status": "verified", "page": "2", "per_page": "10"},
                               headers=auth)
    assert response.status_code == 200
    assert fakes.calls[-1][2:] == ("verified", 2, 10)

    # The catalog's errors, passed through in the error shape.
    assert_error(web_session.post(f"/api/v1/merchants/{first['id']}/verification",
                                  json={"decision": "rejected"}, headers=auth), 422, "validation_failed", "reason")
    body = assert_error(web_session.post(f"/api/v1/merchants/{second['id']}/verification",
                                         json={"decision": "suspended", "reason": "Palsu."}, headers=auth),
                        409, "conflict", "decision")
    assert body["error"]["fields"]["status"] == "rejected"
    assert_error(web_session.post("/api/v1/merchants/tidak-ada/verification", json={"decision": "verified"},
                                  headers=auth), 404, "not_found")
    assert_error(web_session.post(f"/api/v1/merchants/{first['id']}/verification", json=["verified"], headers=auth),
                 400, "bad_request")
    assert_error(web_session.get("/api/v1/admin/merchants", params={"page": "satu"}, headers=auth),
                 422, "validation_failed", "page")
    assert_error(web_session.get("/api/v1/admin/merchants", params={"per_page": "500"}, headers=auth),
                 422, "validation_failed", "per_page")


def test_the_queue_says_what_changed_and_refuses_an_unknown_region(gateway, web_session, fakes):
    owner_auth, _ = register_and_sign_in(web_session, "wa.ode@example.com")
    merchant = register(web_session, owner_auth)
    changes = [{"field": "nib", "old": "9120001234567", "new": "9120007654321"}]
    fakes.catalog.merchants[merchant["id"]]["changes"] = changes  # what the catalog lists after a re-verification
    auth, _ = sign_in_admin(gateway, web_session)
    response = web_session.get("/api/v1/admin/merchants", params={"status": "pending"}, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["changes"] == changes
    fakes.calls.clear()
    assert_error(web_session.get("/api/v1/admin/merchants", params={"region": "9999"}, headers=auth),
                 422, "validation_failed", "region")
    assert fakes.calls == []  # refused before asking the catalog


@pytest.mark.parametrize("role", ["owner", "promoter"])
def test_only_admins_decide_or_see_the_queue(gateway, web_session, role, fakes):
    owner_auth, _ = register_and_sign_in(web_session, "wa.ode@example.com")
    merchant = register(web_session, owner_auth)
    auth = owner_auth if role == "owner" else register_and_sign_in(web_session, "promotor@example.com", role="promoter")[0]
    fakes.calls.clear()
    assert_error(web_session.post(f"/api/v1/merchants/{merchant['id']}/verification",
                                  json={"decision": "verified"}, headers=auth), 403, "forbidden")
    assert_error(web_session.get("/api/v1/admin/merchants", headers=auth), 403, "forbidden")
    assert fakes.calls == []  # refused by the gateway before asking the catalog
    assert fakes.catalog.merchants[merchant["id"]]["status"] == "pending"


def test_wrong_method_on_a_merchant_route_is_a_405(gateway, web_session):
    response = web_session.put("/api/v1/merchants/m1/verification", json={})
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
