"""The catalog issue end to end: verification and suspension reach search, photos are
served, and a spreadsheet import lands in search, through the real platform."""
import io
import time

import pytest
from PIL import Image

from e2e_helpers import unique_word

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin(running_platform):
    p = running_platform
    email = f"kurator-{unique_word('')}@dinas.example"
    created = p.etalase("admin", "create", "--email", email, "--name", "Kurator Dinas", "--password-stdin",
                        stdin="sangat-rahasia-123\n")
    assert created.returncode == 0, created.stderr
    token = p.http.post("/api/v1/sessions", json={"email": email, "password": "sangat-rahasia-123"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def search_item(p, word, product_id):
    return next((item for item in p.search(q=word)["items"] if item["id"] == product_id), None)


def test_verification_and_suspension_reach_search(running_platform, admin):
    p = running_platform
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner, region="7403")
    word = unique_word("pokea")
    product = p.http.post("/api/v1/products", headers=owner, json={
        "merchant_id": merchant_id, "name": f"Pokea {word} kering", "description": "Kerang sungai Konawe.",
        "price": 30000, "stock": 4, "category": "hasil-laut-segar"}).json()
    assert p.wait_until(lambda: search_item(p, word, product["id"]) is not None)
    assert search_item(p, word, product["id"])["merchant"]["verified"] is False

    def decide(decision, reason=None, headers=admin):
        return p.http.post(f"/api/v1/merchants/{merchant_id}/verification", headers=headers,
                           json={"decision": decision, "reason": reason})

    assert decide("verified", headers=owner).status_code == 403
    assert decide("verified").status_code == 200
    assert p.wait_until(lambda: (search_item(p, word, product["id"]) or {}).get("merchant", {}).get("verified") is True)

    assert decide("suspended").status_code == 422  # a suspension needs a reason
    assert decide("suspended", "Produk tidak sesuai izin PIRT.").status_code == 200
    assert p.wait_until(lambda: search_item(p, word, product["id"]) is None)
    assert decide("reinstated").status_code == 200
    assert p.wait_until(lambda: search_item(p, word, product["id"]) is not None)


def jpeg_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_an_uploaded_photo_is_resized_and_served_with_caching_headers(running_platform):
    p = running_platform
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner)
    product = p.http.post("/api/v1/products", headers=owner, json={
        "merchant_id": merchant_id, "name": "Tenun Masalili", "description": "", "price": 350000, "stock": 2,
        "category": "tenun"}).json()
    upload = p.http.post(f"/api/v1/products/{product['id']}/photos", headers=owner,
                         files={"photo": ("tenun.jpg", jpeg_bytes(), "image/jpeg")})
    assert upload.status_code == 201, upload.text
    photos = p.http.get(f"/api/v1/products/{product['id']}").json()["photos"]
    assert len(photos) == 1
    url = next(iter(photos[0]["urls"].values()))
    served = p.http.get(url)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/")
    assert "immutable" in served.headers["cache-control"]
    renamed = p.http.post(f"/api/v1/products/{product['id']}/photos", headers=owner,
                          files={"photo": ("bukan.jpg", b"%PDF-1.4 not an image", "image/jpeg")})
    assert renamed.status_code in (400, 415, 422) and "photo" in renamed.json()["error"]["fields"]


def test_an_import_lands_in_search_and_a_second_run_changes_nothing(running_platform):
    p = running_platform
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner, region="7404")
    word = unique_word("kakao")
    rows = ["sku,nama,deskripsi,harga,stok,kategori"]
    rows += [f"KK-{n},Cokelat {word} {n},Kakao Kolaka,{20000 + n},5,kakao-cokelat" for n in range(3)]
    rows.append(f"KK-9,Cokelat {word} rusak,,-5,5,kakao-cokelat")
    body = ("\n".join(rows) + "\n").encode()

    def run_import():
        started = p.http.post("/api/v1/imports", headers=owner, data={"merchant_id": merchant_id},
                              files={"file": ("produk.csv", body, "text/csv")})
        assert started.status_code == 202, started.text
        import_id = started.json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = p.http.get(f"/api/v1/imports/{import_id}", headers=owner).json()
            if status["status"] in ("done", "failed"):
                return status
            time.sleep(0.2)
        raise AssertionError("import did not finish")

    first = run_import()
    assert first["status"] == "done", first
    assert first["counts"]["created"] == 3 and first["counts"]["failed"] == 1
    assert [(e["row"], e["column"]) for e in first["errors"]] == [(5, "harga")]
    assert p.wait_until(lambda: p.search(q=word)["total"] == 3)
    second = run_import()
    assert second["counts"]["created"] == 0 and second["counts"]["updated"] == 0
    assert second["counts"]["unchanged"] == 3
