"""Merchant routes of the gateway over HTTP: the real gateway container on a real RabbitMQ
(fresh vhost) and a real database; the catalog is a small fake nameko service defined here
that records what it was asked and raises the catalog's typed errors."""
import uuid

import pytest
from nameko.rpc import rpc

from services.gateway.admin import create_admin
from services.gateway.service import GatewayService
from shared.db import make_engine, make_session_factory
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.migrations import upgrade

CALLS: list[tuple] = []
MERCHANTS: dict[str, dict] = {}


class FakeCatalog:
    name = "catalog"

    @rpc
    def health(self):
        return {"status": "ok"}

    @rpc
    def register_merchant(self, actor, data):
        CALLS.append(("register_merchant", actor, data))
        merchant = {"id": str(uuid.uuid4()), "owner_id": actor["id"], "version": 1, "status": "pending", **data}
        MERCHANTS[merchant["id"]] = merchant
        return merchant

    @rpc
    def get_merchant(self, merchant_id):
        if merchant_id not in MERCHANTS:
            raise NotFound("Usaha tidak ditemukan.", {"merchant_id": merchant_id})
        return MERCHANTS[merchant_id]

    @rpc
    def update_merchant(self, actor, merchant_id, data, expected_version=None):
        CALLS.append(("update_merchant", actor, merchant_id, data, expected_version))
        merchant = self.get_merchant(merchant_id)
        if actor["role"] != "owner" or merchant["owner_id"] != actor["id"]:
            raise Forbidden("Anda bukan pemilik usaha ini.")
        if "nib" in data and len(str(data["nib"])) != 13:
            raise ValidationFailed("Data tidak valid: periksa kolom yang ditandai.", {"nib": "NIB harus tepat 13 angka"})
        if expected_version is not None and expected_version != merchant["version"]:
            raise Conflict("Data usaha sudah diubah orang lain.", {"version": str(merchant["version"])})
        merchant.update(data, version=merchant["version"] + 1)
        return merchant

    @rpc
    def decide_verification(self, actor, merchant_id, decision, reason=None):
        CALLS.append(("decide_verification", actor, merchant_id, decision, reason))
        if actor["role"] != "admin":
            raise Forbidden("Hanya admin.")
        merchant = self.get_merchant(merchant_id)
        if decision == "rejected" and not reason:
            raise ValidationFailed("Keputusan verifikasi tidak valid.", {"reason": "wajib diisi"})
        if decision == "suspended" and merchant["status"] != "verified":
            raise Conflict(
                f"Keputusan 'suspended' tidak berlaku untuk usaha berstatus '{merchant['status']}'.",
                {"decision": "tidak berlaku", "status": merchant["status"]},
            )
        merchant.update(status=decision, status_reason=reason, version=merchant["version"] + 1)
        return merchant

    @rpc
    def list_merchants_by_status(self, actor, status="pending", page=1, per_page=50):
        CALLS.append(("list_merchants_by_status", actor, status, page, per_page))
        if per_page > 100:
            raise ValidationFailed("Parameter tidak valid.", {"per_page": "harus bilangan bulat 1 sampai 100"})
        items = [m for m in MERCHANTS.values() if m["status"] == status]
        return {"items": items, "total": len(items), "page": page, "per_page": per_page}


@pytest.fixture(autouse=True)
def clean_fakes():
    CALLS.clear()
    MERCHANTS.clear()


@pytest.fixture
def gateway(rabbit_config, web_config, runner_factory, sqlite_url):
    """The gateway with the fake catalog; returns the gateway's session factory."""
    upgrade("gateway", sqlite_url)
    config = {"GATEWAY": {"DATABASE_URL": sqlite_url, "RPC_TIMEOUT": 2, "HEALTH_TIMEOUT": 1}}
    runner = runner_factory(config, GatewayService, FakeCatalog)
    runner.start()
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()


def sign_in(web_session, email, password="rahasia-123"):
    response = web_session.post("/api/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def account(web_session, email, role="owner"):
    response = web_session.post(
        "/api/v1/accounts", json={"email": email, "password": "rahasia-123", "name": "Wa Ode", "role": role}
    )
    assert response.status_code == 201, response.text
    return response.json(), sign_in(web_session, email)


def admin(gateway, web_session):
    with gateway() as session:
        created = create_admin(session, "kurator@dinas.example", "Kurator Dinas", "rahasia-kurator-1")
        session.commit()
    return created, sign_in(web_session, "kurator@dinas.example", "rahasia-kurator-1")


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    if field is not None:
        assert field in body["error"]["fields"], body
    return body


def register(web_session, auth, **extra):
    data = {"name": "Koperasi Mete Muna", "kind": "koperasi", "region": "7402", "whatsapp": "081234567890", **extra}
    response = web_session.post("/api/v1/merchants", json=data, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def test_registration_passes_the_new_fields_through(gateway, web_session):
    owner, auth = account(web_session, "wa.ode@example.com")
    extra = {"address": "Raha", "nib": "9120001234567", "halal_number": "ID7402000123",
             "halal_expires_on": "2030-01-31", "member_count": 120, "last_rat_year": 2024}
    register(web_session, auth, **extra)
    name, actor, data = CALLS[-1]
    assert name == "register_merchant" and actor == {"id": owner["id"], "role": "owner"}
    assert {key: data[key] for key in extra} == extra


def test_owner_patches_a_merchant_with_if_match(gateway, web_session):
    owner, auth = account(web_session, "wa.ode@example.com")
    merchant = register(web_session, auth)

    response = web_session.patch(
        f"/api/v1/merchants/{merchant['id']}", json={"address": "Jl. Poros Raha"}, headers={**auth, "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["address"] == "Jl. Poros Raha" and response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert CALLS[-1] == ("update_merchant", {"id": owner["id"], "role": "owner"}, merchant["id"],
                         {"address": "Jl. Poros Raha"}, 1)

    # Without If-Match: no version check.
    response = web_session.patch(f"/api/v1/merchants/{merchant['id']}", json={"description": "Mete"}, headers=auth)
    assert response.status_code == 200 and CALLS[-1][-1] is None

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


def test_another_owner_cannot_patch(gateway, web_session):
    _, auth = account(web_session, "wa.ode@example.com")
    merchant = register(web_session, auth)
    _, intruder = account(web_session, "la.ode@example.com")
    assert_error(web_session.patch(f"/api/v1/merchants/{merchant['id']}", json={"name": "Milik Saya"}, headers=intruder),
                 403, "forbidden")
    assert MERCHANTS[merchant["id"]]["name"] == "Koperasi Mete Muna"


MERCHANT_MUTATIONS = [
    ("patch", "/api/v1/merchants/m1"),
    ("post", "/api/v1/merchants/m1/verification"),
    ("get", "/api/v1/admin/merchants"),
]


def test_every_merchant_route_needs_a_valid_token(gateway, web_session):
    for method, url in MERCHANT_MUTATIONS:
        for headers in ({}, {"Authorization": "Bearer palsu"}, {"Authorization": "Basic abc"}):
            kwargs = {} if method == "get" else {"json": {"decision": "verified"}}
            assert_error(getattr(web_session, method)(url, headers=headers, **kwargs), 401, "unauthorized")
    assert CALLS == []  # the catalog was never asked


def test_admin_decides_and_sees_the_queue(gateway, web_session):
    _, owner_auth = account(web_session, "wa.ode@example.com")
    first = register(web_session, owner_auth)
    second = register(web_session, owner_auth, name="Tenun Masalili", kind="umkm")
    curator, auth = admin(gateway, web_session)

    response = web_session.get("/api/v1/admin/merchants", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2 and {m["id"] for m in body["items"]} == {first["id"], second["id"]}
    assert CALLS[-1] == ("list_merchants_by_status", {"id": curator["id"], "role": "admin"}, "pending", 1, 50)

    response = web_session.post(f"/api/v1/merchants/{first['id']}/verification", json={"decision": "verified"}, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "verified" and response.headers["ETag"] == '"2"'
    assert CALLS[-1] == ("decide_verification", {"id": curator["id"], "role": "admin"}, first["id"], "verified", None)

    response = web_session.post(f"/api/v1/merchants/{second['id']}/verification",
                                json={"decision": "rejected", "reason": "NIB tidak ditemukan."}, headers=auth)
    assert response.status_code == 200 and CALLS[-1][-2:] == ("rejected", "NIB tidak ditemukan.")

    response = web_session.get("/api/v1/admin/merchants", params={"status": "verified", "page": "2", "per_page": "10"},
                               headers=auth)
    assert response.status_code == 200
    assert CALLS[-1][2:] == ("verified", 2, 10)

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


@pytest.mark.parametrize("role", ["owner", "promoter"])
def test_only_admins_decide_or_see_the_queue(gateway, web_session, role):
    _, owner_auth = account(web_session, "wa.ode@example.com")
    merchant = register(web_session, owner_auth)
    auth = owner_auth if role == "owner" else account(web_session, "promotor@example.com", role="promoter")[1]
    CALLS.clear()
    assert_error(web_session.post(f"/api/v1/merchants/{merchant['id']}/verification",
                                  json={"decision": "verified"}, headers=auth), 403, "forbidden")
    assert_error(web_session.get("/api/v1/admin/merchants", headers=auth), 403, "forbidden")
    assert CALLS == []  # refused by the gateway before asking the catalog
    assert MERCHANTS[merchant["id"]]["status"] == "pending"


def test_wrong_method_on_a_merchant_route_is_a_405(gateway, web_session):
    response = web_session.put("/api/v1/merchants/m1/verification", json={})
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
