"""What search lists always opens, through the real platform: a rejected merchant's
products leave /api/v1/search, the region's search and the region page within seconds and
come back when it is verified after a re-review; an archived product leaves too; a verified
merchant changing its NIB loses the badge and is back in the admin's queue, which says what
changed (API and page)."""
import re

import httpx
import pytest

from e2e_helpers import unique_word

pytestmark = pytest.mark.e2e

SECONDS = 10  # "within seconds": the outbox relay, the broker and the search batcher together
PASSWORD = "sangat-rahasia-123"


@pytest.fixture(scope="module")
def admin_email(running_platform):
    email = f"kurator-{unique_word('')}@dinas.example"
    created = running_platform.etalase("admin", "create", "--email", email, "--name", "Kurator Dinas",
                                       "--password-stdin", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    return email


@pytest.fixture(scope="module")
def admin(running_platform, admin_email):
    response = running_platform.http.post("/api/v1/sessions", json={"email": admin_email, "password": PASSWORD})
    assert response.status_code in (200, 201), response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def listed(p, word, **params) -> list[str]:
    return [item["id"] for item in p.search(q=word, **params)["items"]]


def every_listed_product_opens(p, word, **params) -> None:
    for product_id in listed(p, word, **params):
        assert p.http.get(f"/produk/{product_id}").status_code == 200, product_id


def new_product(p, owner, merchant_id, name, category="madu", price=120_000):
    response = p.http.post("/api/v1/products", headers=owner, json={
        "merchant_id": merchant_id, "name": name, "description": "Dari hutan Kolaka.", "price": price, "stock": 5,
        "category": category})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def decide(p, admin, merchant_id, decision, reason=None):
    response = p.http.post(f"/api/v1/merchants/{merchant_id}/verification", headers=admin,
                           json={"decision": decision, "reason": reason})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_rejected_merchant_leaves_search_and_its_region_and_returns_when_verified(running_platform, admin):
    p = running_platform
    word = unique_word("madu")
    owner, other_owner = p.sign_up(), p.sign_up()
    rejected_id = p.new_merchant(owner, region="7401")
    kept_id = p.new_merchant(other_owner, region="7401")
    hidden = new_product(p, owner, rejected_id, f"Madu {word} hutan")
    kept = new_product(p, other_owner, kept_id, f"Madu {word} kelulut")
    assert p.wait_until(lambda: set(listed(p, word)) == {hidden, kept}, timeout=SECONDS)
    every_listed_product_opens(p, word)

    decide(p, admin, rejected_id, "rejected", "NIB tidak ditemukan di OSS.")
    assert p.wait_until(lambda: listed(p, word) == [kept], timeout=SECONDS), "a rejected merchant stayed in search"
    assert listed(p, word, region="7401") == [kept]
    region_page = p.http.get("/wilayah/7401", params={"q": word})
    assert region_page.status_code == 200 and f"/produk/{kept}" in region_page.text
    assert f"/produk/{hidden}" not in region_page.text
    assert p.http.get(f"/produk/{hidden}").status_code == 404
    assert p.http.get(f"/usaha/{rejected_id}").status_code == 404
    every_listed_product_opens(p, word)
    every_listed_product_opens(p, word, region="7401")

    decide(p, admin, rejected_id, "verified")  # a re-review
    assert p.wait_until(lambda: set(listed(p, word)) == {hidden, kept}, timeout=SECONDS)
    assert hidden in listed(p, word, region="7401")
    assert p.http.get(f"/produk/{hidden}").status_code == 200
    every_listed_product_opens(p, word)


def test_an_archived_product_leaves_search_and_its_page_with_it(running_platform):
    p = running_platform
    word = unique_word("kopi")
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner, region="7404")
    product_id = new_product(p, owner, merchant_id, f"Kopi {word} Mekongga", category="kopi-teh", price=45_000)
    assert p.wait_until(lambda: listed(p, word) == [product_id], timeout=SECONDS)
    archived = p.http.patch(f"/api/v1/products/{product_id}", headers=owner, json={"status": "archived"})
    assert archived.status_code == 200, archived.text
    assert p.wait_until(lambda: listed(p, word) == [], timeout=SECONDS)
    assert p.http.get(f"/produk/{product_id}").status_code == 404


def test_a_verified_merchant_changing_its_nib_is_reviewed_again(running_platform, admin, admin_email):
    p = running_platform
    word = unique_word("tenun")
    owner = p.sign_up()
    response = p.http.post("/api/v1/merchants", headers=owner, json={
        "name": f"Tenun {word}", "kind": "umkm", "region": "7408", "whatsapp": "0812 3456 7890",
        "nib": "9120001234567"})
    assert response.status_code == 201, response.text
    merchant_id = response.json()["id"]
    product_id = new_product(p, owner, merchant_id, f"Sarung {word}", category="tenun", price=350_000)
    decide(p, admin, merchant_id, "verified")

    def badge() -> bool | None:
        items = p.search(q=word)["items"]
        return items[0]["merchant"]["verified"] if items else None

    assert p.wait_until(lambda: badge() is True, timeout=SECONDS)
    assert listed(p, word, verified="true") == [product_id]

    changed = p.http.patch(f"/api/v1/merchants/{merchant_id}", headers=owner, json={"nib": "9120007654321"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "pending" and changed.json()["verified"] is False
    assert p.wait_until(lambda: badge() is False, timeout=SECONDS), "the verified badge stayed in search"
    assert listed(p, word, verified="true") == []
    assert p.http.get(f"/produk/{product_id}").status_code == 200  # pending merchants stay listed and open

    queue = p.http.get("/api/v1/admin/merchants", headers=admin, params={"status": "pending", "region": "7408"})
    assert queue.status_code == 200, queue.text
    [entry] = [m for m in queue.json()["items"] if m["id"] == merchant_id]
    assert entry["changes"] == [{"field": "nib", "old": "9120001234567", "new": "9120007654321"}]
    elsewhere = p.http.get("/api/v1/admin/merchants", headers=admin, params={"status": "pending", "region": "7471"})
    assert merchant_id not in [m["id"] for m in elsewhere.json()["items"]]

    # The page: the queue for the region says what changed; the decision's notice names the business.
    with httpx.Client(base_url=p.base_url, timeout=15, follow_redirects=True) as site:
        token = re.search(r'name="csrf_token" value="([^"]+)"', site.get("/masuk").text).group(1)
        signed_in = site.post("/masuk", data={"csrf_token": token, "email": admin_email, "password": PASSWORD})
        assert signed_in.status_code == 200 and str(signed_in.url).endswith("/admin"), signed_in.text
        page = site.get("/admin", params={"status": "pending", "region": "7408"})
        assert page.status_code == 200 and f"Tenun {word}" in page.text
        assert "Diubah: NIB" in page.text and "9120001234567 → 9120007654321" in page.text
        assert f'href="/usaha/{merchant_id}"' in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        decided = site.post(f"/admin/usaha/{merchant_id}/keputusan", data={
            "csrf_token": token, "decision": "verified", "status": "pending", "page": "1", "region": "7408"})
        assert decided.status_code == 200, decided.text  # followed the redirect back to the queue
        assert f"Keputusan disimpan: Tenun {word} terverifikasi." in decided.text
    assert p.wait_until(lambda: badge() is True, timeout=SECONDS)
