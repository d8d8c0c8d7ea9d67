"""Retries that never duplicate, on the real platform: ``Idempotency-Key`` from the client
through the gateway to the service that makes the aggregate (docs/contracts/idempotency.md).

The platform runs its pruning timers every half second, so a key whose records were made
older than 24 hours (the clock moved by rewriting ``created_at``, not by sleeping) is seen
pruned within a bounded wait."""
import io
import json
import os
import re
import signal
import socket
import sqlite3
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import eventlet
import httpx
import nameko
import pytest
from nameko.standalone.rpc import ClusterRpcClient
from PIL import Image

from services.gateway.idempotency import fingerprint

from platform_fixtures import platform_on

FAST_PRUNING = {"GATEWAY_IDEMPOTENCY_PRUNE_INTERVAL": "0.5", "CATALOG_IDEMPOTENCY_PRUNE_INTERVAL": "0.5",
                "PROMOTION_IDEMPOTENCY_PRUNE_INTERVAL": "0.5"}
RETRY_WAIT = 30  # seconds a retry loop waits out 409s (bounded)
CATALOG_DOWN = 7  # seconds the killed catalog stays down: longer than the gateway's 5 s RPC deadline


@pytest.fixture(scope="module")
def p(vhost_uri, tmp_path_factory):
    with platform_on(vhost_uri, tmp_path_factory.mktemp("var"), FAST_PRUNING) as platform:
        yield platform


def owner(p) -> tuple[dict, str, str]:
    """A new owner with a merchant: (headers, account id, merchant id)."""
    email = f"owner-{uuid.uuid4().hex[:8]}@contoh.id"
    account = p.http.post("/api/v1/accounts", json={"email": email, "password": "kain-tenun-123", "name": "Wa Ode",
                                                    "role": "owner"})
    assert account.status_code == 201, account.text
    token = p.http.post("/api/v1/sessions", json={"email": email, "password": "kain-tenun-123"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    return headers, account.json()["id"], p.new_merchant(headers)


def product_body(merchant_id: str, name: str = "Kacang Mete Goreng") -> dict:
    return {"merchant_id": merchant_id, "name": name, "price": 85000, "stock": 5, "category": "mete-kacang"}


def product_count(p, headers, merchant_id) -> int:
    response = p.http.get(f"/api/v1/merchants/{merchant_id}/products", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def post_until_answered(p, path, body, headers):
    """POST, waiting out 409 ``idempotency_key_in_use`` (the first attempt still running)."""
    deadline = time.monotonic() + RETRY_WAIT
    while True:
        response = p.http.post(path, json=body, headers=headers)
        if response.status_code != 409 or time.monotonic() > deadline:
            return response
        time.sleep(float(response.headers.get("Retry-After", "1")) / 4)


def rows(p, database: str, table: str, key: str) -> int:
    with sqlite3.connect(p.var_dir / database, timeout=30) as connection:
        return connection.execute(f"SELECT count(*) FROM {table} WHERE key = ?", (key,)).fetchone()[0]


def age(p, database: str, table: str, key: str) -> None:
    """Move the clock 25 hours on for ``key``: its record is made that much older."""
    with sqlite3.connect(p.var_dir / database, timeout=30) as connection:
        connection.execute(f"UPDATE {table} SET created_at = datetime('now', '-25 hours') WHERE key = ?", (key,))


def test_same_key_twice_is_one_product_and_the_same_answer(p):
    headers, _, merchant_id = owner(p)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = product_body(merchant_id)
    first = p.http.post("/api/v1/products", json=body, headers={**headers, **key})
    assert first.status_code == 201, first.text
    again = p.http.post("/api/v1/products", json=body, headers={**headers, **key})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert (again.headers["Location"], again.headers["ETag"]) == (first.headers["Location"], first.headers["ETag"])
    assert product_count(p, headers, merchant_id) == 1

    # Another body with the same key: 422 in Indonesian, naming the header; nothing made.
    other = p.http.post("/api/v1/products", json={**body, "price": 90000}, headers={**headers, **key})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert "sudah dipakai untuk permintaan lain" in other.json()["error"]["fields"]["Idempotency-Key"]

    # Another account's same key is its own.
    their_headers, _, their_merchant = owner(p)
    theirs = p.http.post("/api/v1/products", json=product_body(their_merchant), headers={**their_headers, **key})
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert product_count(p, headers, merchant_id) == 1 and product_count(p, their_headers, their_merchant) == 1


def test_a_retry_after_the_client_dropped_the_connection_makes_one_product(p):
    headers, _, merchant_id = owner(p)
    key = str(uuid.uuid4())
    body = json.dumps(product_body(merchant_id, "Madu Hutan Konawe")).encode()
    address = urlsplit(p.base_url)
    request = (f"POST /api/v1/products HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: application/json\r\n"
               f"Authorization: {headers['Authorization']}\r\nIdempotency-Key: {key}\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    with socket.create_connection((address.hostname, address.port), timeout=10) as dropped:
        dropped.sendall(request)  # and gone before the answer: the client never learns what happened
    # The gateway went on with it: the product exists.
    assert p.wait_until(lambda: product_count(p, headers, merchant_id) == 1, timeout=20)

    retry = post_until_answered(p, "/api/v1/products", product_body(merchant_id, "Madu Hutan Konawe"),
                                {**headers, "Idempotency-Key": key})
    assert retry.status_code == 201, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert product_count(p, headers, merchant_id) == 1


def test_a_catalog_killed_mid_stream_duplicates_nothing(p):
    """SIGKILL the catalog while a client writes with keys and retries every write until it
    gets its 201: every write exactly once. The catalog stays down longer than the gateway's
    deadline, so writes are answered 504 while their requests wait in the catalog's queue; the
    restarted catalog then runs those and the client's retries of them, with the same keys."""
    headers, _, merchant_id = owner(p)
    names = [f"Keripik Aliran {n}" for n in range(30)]
    answers: Counter = Counter()

    def kill_and_restart():
        os.kill(p.supervisor.processes["catalog"].pid, signal.SIGKILL)
        answers["killed"] += 1
        time.sleep(CATALOG_DOWN)
        p.supervisor.start_service("catalog")

    def write(name):
        key, deadline = str(uuid.uuid4()), time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                response = p.http.post("/api/v1/products", json=product_body(merchant_id, name),
                                       headers={**headers, "Idempotency-Key": key})
            except httpx.TransportError:
                answers["no answer"] += 1
                continue
            answers[response.status_code] += 1
            if response.status_code == 201:
                return response.json()["id"]
            assert response.status_code in (409, 502, 503, 504), response.text
            time.sleep(0.2)
        raise AssertionError(f"{name} never got its 201: {answers}")

    restarter = None
    ids = []
    for n, name in enumerate(names):
        if n == 10:
            restarter = eventlet.spawn_after(0.02, kill_and_restart)  # while this write is on its way
        ids.append(write(name))
    restarter.wait()
    print("answers during the stream:", dict(answers))
    assert answers["killed"] == 1
    assert answers[504] + answers[503] + answers["no answer"] >= 1  # some answers were lost and retried
    assert len(set(ids)) == len(names)
    listed = p.http.get(f"/api/v1/merchants/{merchant_id}/products", params={"per_page": 100}, headers=headers).json()
    assert listed["total"] == len(names)
    assert sorted(item["name"] for item in listed["items"]) == sorted(names)


def test_a_repeat_reaching_the_catalog_after_its_answer_was_lost_makes_one_product(p):
    """The gateway's first attempt reached the catalog, which committed, and its answer never
    came back (a 504, or the catalog died before replying): the gateway kept nothing. The
    client's retry with the same key then goes to the catalog again, which answers with the
    product it made."""
    headers, account_id, merchant_id = owner(p)
    key = str(uuid.uuid4())
    body = product_body(merchant_id, "Teripang Kering")
    idempotency = {"key": key, "fingerprint": fingerprint("POST", "/api/v1/products", body)}
    actor = {"id": account_id, "role": "owner"}
    with nameko.config.patch({"AMQP_URI": p.amqp_uri}), ClusterRpcClient(timeout=15) as client:
        lost = client.catalog.create_product(actor, body, idempotency=idempotency)  # its answer "lost"
        assert client.catalog.create_product(actor, body, idempotency=idempotency)["id"] == lost["id"]

    retry = p.http.post("/api/v1/products", json=body, headers={**headers, "Idempotency-Key": key})
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == lost["id"]
    assert product_count(p, headers, merchant_id) == 1


def test_a_key_past_24_hours_is_pruned_and_free_again(p):
    headers, _, merchant_id = owner(p)
    key = str(uuid.uuid4())
    body = product_body(merchant_id, "Kopi Kolaka")
    first = p.http.post("/api/v1/products", json=body, headers={**headers, "Idempotency-Key": key})
    assert first.status_code == 201, first.text
    assert rows(p, "gateway.db", "idempotency_records", key) == 1
    assert rows(p, "catalog.db", "idempotency_keys", key) == 1

    age(p, "gateway.db", "idempotency_records", key)
    age(p, "catalog.db", "idempotency_keys", key)
    assert p.wait_until(lambda: rows(p, "gateway.db", "idempotency_records", key) == 0
                        and rows(p, "catalog.db", "idempotency_keys", key) == 0, timeout=20)

    again = p.http.post("/api/v1/products", json=body, headers={**headers, "Idempotency-Key": key})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert product_count(p, headers, merchant_id) == 2


def test_registration_and_campaigns_take_keys_too(p):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    account = {"email": f"baru-{uuid.uuid4().hex[:8]}@contoh.id", "password": "kain-tenun-123", "name": "La Ode",
               "role": "owner"}
    first = p.http.post("/api/v1/accounts", json=account, headers=key)
    again = p.http.post("/api/v1/accounts", json=account, headers=key)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"

    promoter = p.sign_up("promoter")
    campaign = {"name": "Festival Mete Muna", "starts_at": "2030-01-01T08:00:00+08:00",
                "ends_at": "2030-01-08T08:00:00+08:00", "discount": {"type": "percent", "value": 10},
                "featured": False, "target": {"regions": ["7402"]}, "draft": True}
    created = [p.http.post("/api/v1/campaigns", json=campaign, headers={**promoter, **key}) for _ in range(2)]
    assert [response.status_code for response in created] == [201, 201], created[-1].text
    assert created[1].json()["id"] == created[0].json()["id"]
    assert p.http.get("/api/v1/campaigns", headers=promoter).json()["total"] == 1


def test_the_add_product_page_sent_twice_makes_one_product_with_one_photo(p):
    """A double tap on "Simpan", or the form sent again after its answer was lost: the page's
    own key (``form_key``) reaches the catalog, so the second send opens the same product."""
    email = f"owner-{uuid.uuid4().hex[:8]}@contoh.id"
    assert p.http.post("/api/v1/accounts", json={"email": email, "password": "kain-tenun-123", "name": "Wa Ode",
                                                 "role": "owner"}).status_code == 201
    token = p.http.post("/api/v1/sessions", json={"email": email, "password": "kain-tenun-123"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    merchant_id = p.new_merchant(headers)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (150, 90, 40)).save(photo, "JPEG")
    with httpx.Client(base_url=p.base_url, timeout=30) as site:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', site.get("/masuk").text).group(1)
        assert site.post("/masuk", data={"csrf_token": csrf, "email": email, "password": "kain-tenun-123"}
                         ).status_code == 303
        page = site.get("/pemilik/produk/baru").text
        form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
                "form_key": re.search(r'name="form_key" value="([0-9a-f]{32})"', page).group(1),
                "merchant_id": merchant_id, "name": "Kain Tenun Masalili", "price": "Rp 250.000", "stock": "3",
                "unit": "lembar", "category": "tenun", "status": "published"}
        answers = [site.post("/pemilik/produk/baru", data=form,
                             files={"photo": ("kain.jpg", photo.getvalue(), "image/jpeg")}) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [303, 303], answers[-1].text
    first, second = (urlsplit(answer.headers["Location"]).path for answer in answers)
    assert first == second and first.startswith("/pemilik/produk/")
    [product_id] = p.merchant_product_ids(headers, merchant_id)
    assert len(p.http.get(f"/api/v1/products/{product_id}").json()["photos"]) == 1
