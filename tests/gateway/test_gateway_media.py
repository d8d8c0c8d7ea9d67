"""Photo uploads and ``/media/`` over HTTP: the real gateway container on a real RabbitMQ
(fresh vhost) and a real database; the catalog is the fake of gateway_fakes.py, which
records what it got."""
import base64
import http.client
import os
from urllib.parse import urlsplit

import pytest

from gateway_fakes import FakeCatalog
from gateway_helpers import assert_error, register_and_sign_in

JPEG_BYTES = b"\xff\xd8\xff\xe0" + os.urandom(2048) + b"\xff\xd9"  # the fake catalog does not decode


@pytest.fixture
def media_root(tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def gateway(start_gateway, media_root, monkeypatch):
    """The gateway with the fake catalog; its database is ``<tmp>/test.db``, beside the media root."""
    monkeypatch.delenv("GATEWAY_MEDIA_ROOT", raising=False)
    return start_gateway(FakeCatalog, RPC_TIMEOUT=1, MEDIA_ROOT=str(media_root))


@pytest.fixture
def owner(gateway, web_session, fakes):
    """A signed-in owner of business m1 and its product p1."""
    auth, account_id = register_and_sign_in(web_session, "pemilik@example.com")
    fakes.catalog.add_merchants({"id": "m1", "owner_id": account_id, "version": 1, "status": "verified", "logo": None})
    fakes.catalog.add_products({"id": "p1", "merchant_id": "m1", "version": 1, "photos": []})
    return auth, account_id


# --- uploads ----------------------------------------------------------------------------


def test_multipart_upload_passes_through_to_the_catalog(owner, web_session, fakes):
    auth, account_id = owner
    response = web_session.post(
        "/api/v1/products/p1/photos",
        files={"photo": ("kain tenun.jpg", JPEG_BYTES, "image/jpeg")},
        data={"alt": "Kain tenun motif bia-bia"},
        headers={**auth, "If-Match": '"1"'},
    )
    assert response.status_code == 201, response.text
    product = response.json()
    assert product["version"] == 2 and response.headers["ETag"] == '"2"'
    assert response.headers["Location"] == f"/api/v1/products/p1/photos/{product['photos'][0]['id']}"

    [(name, actor, product_id, upload, expected_version)] = fakes.calls
    assert (name, actor, product_id, expected_version) == ("add_product_photo", {"id": account_id, "role": "owner"}, "p1", 1)
    assert upload["filename"] == "kain tenun.jpg" and upload["content_type"] == "image/jpeg"
    assert upload["alt"] == "Kain tenun motif bia-bia"
    assert base64.b64decode(upload["data_b64"]) == JPEG_BYTES


def test_upload_errors(owner, web_session, fakes):
    auth, _ = owner
    photo = {"photo": ("foto.jpg", JPEG_BYTES, "image/jpeg")}

    assert_error(web_session.post("/api/v1/products/p1/photos", files=photo), 401, "unauthorized")
    assert fakes.calls == []  # refused before the catalog is asked

    # Not multipart, or no "photo" part: 422 naming the field, the catalog is not asked.
    assert_error(web_session.post("/api/v1/products/p1/photos", json={"photo": "x"}, headers=auth), 422, "validation_failed", "photo")
    response = web_session.post("/api/v1/products/p1/photos", files={"gambar": ("a.jpg", JPEG_BYTES, "image/jpeg")}, headers=auth)
    assert_error(response, 422, "validation_failed", "photo")
    assert fakes.calls == []

    # The catalog's answers come back as they are.
    response = web_session.post("/api/v1/products/p1/photos", files={"photo": ("a.txt", b"halo", "text/plain")}, headers=auth)
    assert_error(response, 422, "validation_failed", "photo")
    assert_error(web_session.post("/api/v1/products/nope/photos", files=photo, headers=auth), 404, "not_found")

    other, _ = register_and_sign_in(web_session, "orang-lain@example.com")
    assert_error(web_session.post("/api/v1/products/p1/photos", files=photo, headers=other), 403, "forbidden")
    assert fakes.catalog.products["p1"]["photos"] == []


def test_over_five_megabytes_is_413_without_asking_the_catalog(owner, web_session, fakes):
    auth, _ = owner
    too_big = b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024)
    response = web_session.post("/api/v1/products/p1/photos", files={"photo": ("besar.jpg", too_big, "image/jpeg")}, headers=auth)
    assert_error(response, 413, "payload_too_large", "photo")
    # A file just over 5 MB inside a small enough body is refused while reading too.
    just_over = b"\x00" * (5 * 1024 * 1024 + 10)
    response = web_session.post("/api/v1/products/p1/photos", files={"photo": ("b.jpg", just_over, "image/jpeg")}, headers=auth)
    assert_error(response, 413, "payload_too_large", "photo")
    assert fakes.calls == []


def test_delete_photo_and_merchant_logo(owner, web_session, fakes):
    auth, account_id = owner
    added = web_session.post("/api/v1/products/p1/photos", files={"photo": ("a.jpg", JPEG_BYTES, "image/jpeg")}, headers=auth)
    photo_id = added.json()["photos"][0]["id"]

    assert_error(web_session.delete(f"/api/v1/products/p1/photos/{photo_id}"), 401, "unauthorized")
    other, _ = register_and_sign_in(web_session, "orang-lain@example.com")
    assert_error(web_session.delete(f"/api/v1/products/p1/photos/{photo_id}", headers=other), 403, "forbidden")
    response = web_session.delete(f"/api/v1/products/p1/photos/{photo_id}", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["photos"] == [] and response.headers["ETag"] == '"3"'
    assert fakes.calls[-1] == ("delete_product_photo", {"id": account_id, "role": "owner"}, "p1", photo_id, None)

    logo = {"photo": ("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")}
    assert_error(web_session.post("/api/v1/merchants/m1/logo", files=logo), 401, "unauthorized")
    assert_error(web_session.post("/api/v1/merchants/m1/logo", files=logo, headers=other), 403, "forbidden")
    response = web_session.post("/api/v1/merchants/m1/logo", files=logo, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["logo"]["id"] == "logo-1"
    assert fakes.calls[-1][0] == "set_merchant_logo" and base64.b64decode(fakes.calls[-1][3]["data_b64"]).startswith(b"\x89PNG")


# --- serving /media/ ----------------------------------------------------------------------


def test_media_files_are_served_with_caching_headers(gateway, web_session, media_root):
    folder = media_root / "products" / "ab"
    folder.mkdir(parents=True)
    (folder / "ab12-320.webp").write_bytes(b"RIFF....WEBPVP8 isi")

    response = web_session.get("/media/products/ab/ab12-320.webp")
    assert response.status_code == 200
    assert response.content == b"RIFF....WEBPVP8 isi"
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    again = web_session.get("/media/products/ab/ab12-320.webp", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_missing_media_is_a_json_404(gateway, web_session):
    assert_error(web_session.get("/media/products/ab/tidak-ada-320.webp"), 404, "not_found")


def raw_get(port: int, path: str):
    """GET without any client-side normalisation of the path (requests would resolve "..")."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "path",
    [
        "/media/../test.db",
        "/media/%2e%2e/test.db",
        "/media/..%2ftest.db",
        "/media/products/../../test.db",
        "/media/products/ab/../../../test.db",
        "/media/%2E%2E%2Ftest.db",
        "/media//etc/passwd",
        "/media/products/ab/.ab12-320.webp.0123.tmp",
        "/media/rahasia.txt",
        "/media/keluar.webp",
    ],
)
def test_nothing_outside_the_media_root_is_served(gateway, web_config_port, media_root, tmp_path, path):
    assert (tmp_path / "test.db").read_bytes().startswith(b"SQLite format")  # the gateway's database
    (media_root / "rahasia.txt").write_text("ISI-RAHASIA")
    hidden = media_root / "products" / "ab"
    hidden.mkdir(parents=True)
    (hidden / ".ab12-320.webp.0123.tmp").write_bytes(b"setengah")
    (tmp_path / "luar.webp").write_bytes(b"di luar media root")
    (media_root / "keluar.webp").symlink_to(tmp_path / "luar.webp")

    status, headers, body = raw_get(web_config_port, path)
    if status == 308:  # werkzeug merges "//" by redirecting; the target must stay a 404 too
        location = urlsplit(headers["Location"]).path
        assert location.startswith("/media/"), location
        status, headers, body = raw_get(web_config_port, location)
    assert status == 404, (status, body[:200])
    assert headers["Content-Type"].startswith("application/json")
    assert b"SQLite" not in body and b"ISI-RAHASIA" not in body and b"setengah" not in body and b"di luar" not in body


def test_media_path_rules(tmp_path):
    from services.gateway.api_media import _media_file

    root = tmp_path / "media"
    (root / "products" / "ab").mkdir(parents=True)
    good = root / "products" / "ab" / "ab12-320.webp"
    good.write_bytes(b"x")
    (tmp_path / "test.webp").write_bytes(b"di luar")
    assert _media_file(root, "products/ab/ab12-320.webp") == good.resolve()
    for path in ["../test.webp", "products/../../test.webp", "/products/ab/ab12-320.webp", "products//ab/ab12-320.webp",
                 "products/ab/./ab12-320.webp", "products\\ab\\ab12-320.webp", "products/ab/ab12-320.webp\x00.png",
                 "products/ab/.ab12-320.webp", "products/ab", ""]:
        assert _media_file(root, path) is None, path
