"""Imports through the gateway: the real gateway container on a real RabbitMQ, a fake
catalog that records what it receives (the multipart file must arrive byte for byte)."""
import base64
import io
import uuid

import pytest
from nameko.rpc import rpc
from openpyxl import Workbook

from services.gateway.service import GatewayService
from shared.errors import NotFound, ValidationFailed
from shared.migrations import upgrade
from test_gateway_http import FakePromotion, FakeSearch, assert_error, register_and_sign_in

RECEIVED: list[tuple] = []
JOBS: dict[str, dict] = {}


def template_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.title = "Produk"
    workbook.active.append(["sku", "nama"])
    workbook.create_sheet("Petunjuk").append(["Kolom", "Penjelasan"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATE = template_bytes()


class FakeImportCatalog:
    name = "catalog"

    @rpc
    def health(self):
        return {"status": "ok"}

    @rpc
    def start_import(self, actor, merchant_id, filename, data_b64):
        data = base64.b64decode(data_b64)
        RECEIVED.append((actor, merchant_id, filename, data))
        if merchant_id != "m-1":
            raise ValidationFailed("Data tidak valid.", {"merchant_id": "usaha tidak ditemukan"})
        if data.startswith(b"rusak"):
            raise ValidationFailed("File XLSX rusak.", {"file": "File XLSX rusak atau tidak dapat dibaca."})
        job = {"id": str(uuid.uuid4()), "status": "pending", "owner": actor["id"]}
        JOBS[job["id"]] = job
        return {"id": job["id"], "status": "pending"}

    @rpc
    def get_import(self, actor, import_id):
        job = JOBS.get(import_id)
        if job is None or job["owner"] != actor["id"]:
            raise NotFound("Impor tidak ditemukan.")
        return {"id": import_id, "status": "done", "counts": {"total": 2, "created": 1, "updated": 0,
                                                                "unchanged": 0, "failed": 1},
                "errors": [{"row": 3, "column": "harga", "message": "harus berupa angka bulat, mis. 15000"}]}

    @rpc
    def import_template(self):
        return base64.b64encode(TEMPLATE).decode()


@pytest.fixture(autouse=True)
def clean():
    RECEIVED.clear()
    JOBS.clear()


@pytest.fixture
def gateway(rabbit_config, web_config, runner_factory, sqlite_url):
    upgrade("gateway", sqlite_url)
    config = {"GATEWAY": {"DATABASE_URL": sqlite_url, "RPC_TIMEOUT": 2, "HEALTH_TIMEOUT": 1}}
    runner = runner_factory(config, GatewayService, FakeImportCatalog, FakeSearch, FakePromotion)
    runner.start()
    return runner


def test_upload_passes_the_file_through_and_answers_202(gateway, web_session):
    auth, _ = register_and_sign_in(web_session)
    content = "sku;nama\r\nA-1;Kopi Kolaka\r\n".encode("utf-8-sig") + bytes(range(256))  # any bytes survive
    response = web_session.post("/api/v1/imports", headers=auth, data={"merchant_id": "m-1"},
                                files={"file": ("produk saya.csv", content, "text/csv")})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending" and response.headers["Location"] == f"/api/v1/imports/{body['id']}"
    actor, merchant_id, filename, data = RECEIVED[-1]
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


def test_who_may_import_and_read(gateway, web_session):
    files = {"file": ("p.csv", b"sku\nA\n", "text/csv")}
    assert_error(web_session.post("/api/v1/imports", data={"merchant_id": "m-1"}, files=files), 401, "unauthorized")
    assert_error(web_session.get("/api/v1/imports/apa-saja"), 401, "unauthorized")
    assert RECEIVED == []

    promoter, _ = register_and_sign_in(web_session, email="promotor@example.com", role="promoter")
    assert_error(web_session.post("/api/v1/imports", headers=promoter, data={"merchant_id": "m-1"}, files=files),
                 403, "forbidden")
    assert RECEIVED == []

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


def test_a_file_over_five_megabytes_is_a_413_naming_file(gateway, web_session):
    auth, _ = register_and_sign_in(web_session)
    big = b"a" * (5 * 1024 * 1024 + 1)
    response = web_session.post("/api/v1/imports", headers=auth, data={"merchant_id": "m-1"},
                                files={"file": ("besar.csv", big, "text/csv")})
    assert_error(response, 413, "payload_too_large", "file")
    assert RECEIVED == []
