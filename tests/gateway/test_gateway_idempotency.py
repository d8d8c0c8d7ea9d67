"""``Idempotency-Key`` in the gateway (services/gateway/idempotency.py): the real gateway on a
real broker and database, beside the fake catalog. What the services do with the key they
are sent is tested with them (tests/catalog/test_catalog_idempotency.py) and end to end
(tests/e2e/test_idempotency.py)."""
from datetime import timedelta

import eventlet
from sqlalchemy import func, select, update

from services.gateway.idempotency import account_scope, fingerprint
from services.gateway.models import IdempotencyRecord
from shared.errors import ServiceTimeout, ServiceUnavailable
from shared.events import utcnow

from gateway_fakes import FakeCatalog, FakePromotion, FakeSearch
from gateway_helpers import assert_error, register_and_sign_in

KEY = "8c1f7d2e-5a1b-4c3d-9e8f-0123456789ab"
PRODUCT = {"merchant_id": "m1", "name": "Kripik Pisang", "price": 15000}


def _owner_with_merchant(web_session, fakes, email="wa.ode@example.com"):
    auth, account_id = register_and_sign_in(web_session, email)
    fakes.catalog.merchants["m1"] = {"id": "m1", "owner_id": account_id, "version": 1, "status": "verified"}
    return auth


def _post(web_session, auth, body=PRODUCT, key=KEY):
    return web_session.post("/api/v1/products", json=body, headers={**auth, "Idempotency-Key": key})


def _records(gateway) -> int:
    with gateway() as session:
        return session.scalar(select(func.count()).select_from(IdempotencyRecord))


def test_same_key_replays_the_first_response_without_a_second_create(gateway, web_session, fakes):
    auth = _owner_with_merchant(web_session, fakes)
    first = _post(web_session, auth)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    # The key travels with the RPC, with the request's fingerprint.
    assert fakes.keys[0]["key"] == KEY and len(fakes.keys[0]["fingerprint"]) == 64

    # Key order and spacing do not make another request.
    again = web_session.post("/api/v1/products", data='{"price": 15000,  "name": "Kripik Pisang", "merchant_id": "m1"}',
                             headers={**auth, "Idempotency-Key": KEY, "Content-Type": "application/json"})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert len(fakes.calls_to("create_product")) == 1

    # Without a key nothing changes: every POST creates.
    plain = web_session.post("/api/v1/products", json=PRODUCT, headers=auth)
    assert plain.status_code == 201 and plain.json()["id"] != first.json()["id"]
    assert fakes.keys[-1] is None


def test_same_key_with_another_body_or_address_is_a_422(gateway, web_session, fakes):
    auth = _owner_with_merchant(web_session, fakes)
    assert _post(web_session, auth).status_code == 201
    body = assert_error(_post(web_session, auth, {**PRODUCT, "price": 16000}), 422, "idempotency_key_reused",
                        "Idempotency-Key")
    assert "sudah dipakai untuk permintaan lain" in body["error"]["message"]
    other_address = web_session.post("/api/v1/merchants", json={"name": "Usaha Lain"},
                                     headers={**auth, "Idempotency-Key": KEY})
    assert_error(other_address, 422, "idempotency_key_reused", "Idempotency-Key")
    assert len(fakes.calls_to("create_product")) == 1
    assert not fakes.calls_to("register_merchant")


def test_a_bad_key_is_a_422_naming_the_header(gateway, web_session, fakes):
    auth = _owner_with_merchant(web_session, fakes)
    for bad in ("x" * 256, "kunci\u00e9", "tab\there"):
        response = web_session.post("/api/v1/products", json=PRODUCT,
                                    headers={**auth, "Idempotency-Key": bad.encode("utf-8")})
        assert_error(response, 422, "validation_failed", "Idempotency-Key")
    assert not fakes.calls_to("create_product")
    assert _post(web_session, auth, key="k" * 255).status_code == 201  # the longest allowed


def test_another_accounts_same_key_is_independent(gateway, web_session, fakes):
    auth = _owner_with_merchant(web_session, fakes)
    assert _post(web_session, auth).status_code == 201
    other, other_id = register_and_sign_in(web_session, "la.ode@example.com")
    fakes.catalog.merchants["m2"] = {"id": "m2", "owner_id": other_id, "version": 1, "status": "verified"}
    response = _post(web_session, other, {**PRODUCT, "merchant_id": "m2"})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert len(fakes.calls_to("create_product")) == 2


def test_a_failed_request_lets_the_key_go(gateway, web_session, fakes):
    """Only a 2xx is kept: after a 504, a 503 or a 4xx the client may retry with the same key
    (the service itself answers a repeat of what it made, so nothing is created twice)."""
    auth = _owner_with_merchant(web_session, fakes)
    for error in (ServiceTimeout("lambat", {"service": "catalog"}), ServiceUnavailable("mati", {"service": "catalog"})):
        fakes.catalog.raises["create_product"] = error
        assert _post(web_session, auth).status_code == error.status
        assert _records(gateway) == 0
    del fakes.catalog.raises["create_product"]
    assert_error(_post(web_session, auth, {**PRODUCT, "price": "mahal"}), 422, "validation_failed", "price")
    assert _records(gateway) == 0

    response = _post(web_session, auth)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert _records(gateway) == 1
    # Every attempt carried the same key to the catalog, which is what makes the retry safe.
    assert {call["key"] for call in fakes.keys} == {KEY}


def test_a_request_still_in_progress_is_a_409_with_retry_after(start_gateway, web_session, fakes):
    # The catalog holds the first create until the test lets it go (well inside the deadline),
    # so the second request meets it in progress however long the machine takes to send it.
    gateway = start_gateway(FakeCatalog, FakeSearch, FakePromotion, RPC_TIMEOUT=120)
    auth = _owner_with_merchant(web_session, fakes)
    fakes.catalog.delays["create_product"] = 60
    first = eventlet.spawn(_post, web_session, auth)
    for _ in range(100):  # the first request has taken the key (bounded: 5 s)
        if _records(gateway):
            break
        eventlet.sleep(0.05)
    response = _post(web_session, auth)
    assert_error(response, 409, "idempotency_key_in_use", "Idempotency-Key")
    assert response.headers["Retry-After"] == "1"
    assert not first.dead  # still waiting for the catalog
    fakes.release_slow_calls()
    assert first.wait().status_code == 201
    assert _post(web_session, auth).headers["Idempotent-Replayed"] == "true"
    assert len(fakes.calls_to("create_product")) == 1


def test_registration_is_scoped_by_the_email(gateway, web_session):
    body = {"email": "wa.ode@example.com", "password": "kain-tenun-123", "name": "Wa Ode", "role": "owner"}
    headers = {"Idempotency-Key": KEY}
    first = web_session.post("/api/v1/accounts", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = web_session.post("/api/v1/accounts", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.headers["Location"] == first.headers["Location"]
    # Another e-mail with the same key is another scope: its own account.
    other = web_session.post("/api/v1/accounts", json={**body, "email": "la.ode@example.com"}, headers=headers)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # The same e-mail and key with another password is another request.
    assert_error(web_session.post("/api/v1/accounts", json={**body, "password": "rahasia-456"}, headers=headers),
                 422, "idempotency_key_reused")
    # Without the key, the e-mail is taken, as before.
    assert_error(web_session.post("/api/v1/accounts", json=body), 409, "conflict", "email")


def test_a_key_left_in_progress_by_a_dead_gateway_is_taken_over_after_its_lock(gateway, web_session, fakes):
    """A gateway killed mid-request leaves its record in progress: 409 until the lock passes,
    then the next retry runs the request (the catalog below recognises the key)."""
    auth, account_id = register_and_sign_in(web_session)
    fakes.catalog.merchants["m1"] = {"id": "m1", "owner_id": account_id, "version": 1, "status": "verified"}
    now = utcnow()
    with gateway() as session:
        session.add(IdempotencyRecord(scope=account_scope({"id": account_id}), key=KEY, state="in_progress",
                                      fingerprint=fingerprint("POST", "/api/v1/products", PRODUCT),
                                      locked_until=now + timedelta(minutes=1), created_at=now))
        session.commit()
    assert_error(_post(web_session, auth), 409, "idempotency_key_in_use")
    with gateway() as session:
        session.execute(update(IdempotencyRecord).values(locked_until=now - timedelta(seconds=1)))
        session.commit()
    response = _post(web_session, auth)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert _post(web_session, auth).headers["Idempotent-Replayed"] == "true"
    assert len(fakes.calls_to("create_product")) == 1
