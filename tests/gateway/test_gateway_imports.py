"""Imports through the gateway: the real gateway container on a real RabbitMQ, beside the fake
services of gateway_fakes.py; the fake catalog records what it receives (the multipart file
must arrive byte for byte)."""
import io

import pytest
from openpyxl import Workbook

from gateway_helpers import assert_error, register_and_sign_in


def template_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.title = "Produk"
    workbook.active.append(["sku", "nama"])
    workbook.create_sheet("Petunjuk").append(["Kolom", "Penjelasan"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATE = template_bytes()


@pytest.fixture(autouse=True)
def catalog(fakes):
    """A business "m-1" to import into; every import ends with one row created and one failed."""
    fakes.catalog.add_merchants({"id": "m-1", "name": "Koperasi Kopi Kolaka", "status": "verified", "version": 1})
    fakes.catalog.import_template_bytes = TEMPLATE
    fakes.catalog.import_outcome = {
        "status": "done", "counts": {"total": 2, "created": 1, "updated": 0, "unchanged": 0, "failed": 1},
        "errors": [{"row": 3, "column": "harga", "message": "harus berupa angka bulat, mis. 15000"}]}


def test_upload_passes_the_file_through_and_answers_202(gateway, web_session, fakes):
    auth, _ = register_and_sign_in(web_session)
    content = "sku;nama\r\nA-1;Kopi Kolaka\r\n".encode("utf-8-sig") + bytes(range(256))  # any bytes survive
    response = web_session.post("/api/v1/imports", headers=auth, data={"merchant_id": "m-1"},
                                files={"file": ("produk saya.csv", content, "text/csv")})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending" and response.headers["Location"] == f"/api/v1/imports/{body['id']}"
    _, actor, merchant_id, filename, data = fakes.calls_to("start_import")[-1]
    assert set(actor) == {"id", "role"} and actor["role"] == "owner"
    assert (merchant_id, filename, data) == ("m-1", "produk saya.csv", content)

    status = web_session.get(f"/api/v1/imports/{body['id']}", headers=auth)
    assert status.status_code == 200
    assert status.json()["counts"]["failed"] == 1
    assert status.json()["errors"] == [{"row": 3, "column": "harga", "message": "harus berupa angka bulat, mis. 15000"}]


def test_the_template_route_wins_and_downloads_as_xlsx(gateway, web_session):
    response = web_session.get("/api/v1/imports/template.xlsx")  # public: no sign-in needed
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response.headers["Content-Disposition"]
    assert response.content == TEMPLATE


def test_who_may_import_and_read(gateway, web_session, fakes):
    files = {"file": ("p.csv", b"sku\nA\n", "text/csv")}
    assert_error(web_session.post("/api/v1/imports", data={"merchant_id": "m-1"}, files=files), 401, "unauthorized")
    assert_error(web_session.get("/api/v1/imports/apa-saja"), 401, "unauthorized")
    assert fakes.calls_to("start_import") == []

    promoter, _ = register_and_sign_in(web_session, email="promotor@example.com", role="promoter")
    assert_error(web_session.post("/api/v1/imports", headers=promoter, data={"merchant_id": "m-1"}, files=files),
                 403, "forbidden")
    assert fakes.calls_to("start_import") == []

    owner, _ = register_and_sign_in(web_session)
    job = web_session.post("/api/v1/imports", headers=owner, data={"merchant_id": "m-1"}, files=files).json()
    other, _ = register_and_sign_in(web_session, email="lain@example.com")
    assert_error(web_session.get(f"/api/v1/imports/{job['id']}", headers=other), 404, "not_found")


def test_what_the_form_must_hold(gateway, web_session):
    auth, _ = register_and_sign_in(web_session)
    body = assert_error(web_session.post("/api/v1/imports", headers=auth, data={"merchant_id": "m-1"}), 422,
                        "validation_failed", "file")
    assert "merchant_id" not in body["error"]["fields"]
    assert_error(web_session.post("/api/v1/imports", headers=auth, files={"file": ("p.csv", b"sku\n", "text/csv")}),
                 422, "validation_failed", "merchant_id")
    assert_error(web_session.post("/api/v1/imports", headers=auth, data={"merchant_id": "m-1"},
                                  files={"file": ("p.csv", b"", "text/csv")}), 422, "validation_failed", "file")
    # The catalog's verdict on the file passes through with its field.
    assert_error(web_session.post("/api/v1/imports", headers=auth, data={"merchant_id": "m-1"},
                                  files={"file": ("p.xlsx", b"rusak", "application/octet-stream")}),
                 422, "validation_failed", "file")
    assert_error(web_session.post("/api/v1/imports", headers=auth, data={"merchant_id": "m-2"},
                                  files={"file": ("p.csv", b"sku\n", "text/csv")}), 422, "validation_failed", "merchant_id")


def test_a_file_over_five_megabytes_is_a_413_naming_file(gateway, web_session, fakes):
    auth, _ = register_and_sign_in(web_session)
    big = b"a" * (5 * 1024 * 1024 + 1)
    response = web_session.post("/api/v1/imports", headers=auth, data={"merchant_id": "m-1"},
                                files={"file": ("besar.csv", big, "text/csv")})
    assert_error(response, 413, "payload_too_large", "file")
    assert fakes.calls_to("start_import") == []
