"""Spreadsheet imports: the multipart upload passed on to the catalog, the import's
progress, and the XLSX template.

The gateway checks who is asking and how big the upload is; the catalog checks the
merchant's owner, the format and the rows, stores the job and answers at once (202). The
rows are processed in the background; ``GET /api/v1/imports/<id>`` shows the progress.
"""
from __future__ import annotations

import base64
import binascii
import hashlib

from werkzeug.wrappers import Response

from services.gateway.api import Gateway, authenticate, catalog_actor
from services.gateway.idempotency import account_scope, idempotent, with_key
from services.gateway.web import bounded_body, json_api, json_response
from shared.errors import Forbidden, PayloadTooLarge, UpstreamError, ValidationFailed
from shared.messages import t
from shared.text import find_unsafe

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # the same 5 MB the catalog enforces
MAX_FORM_OVERHEAD = 64 * 1024  # boundaries, part headers, merchant_id
FILE_FIELD = "file"
# The catalog reads the whole file once before answering (format and row count): a 5 MB
# XLSX of 10,000 rows takes a second or two.
IMPORT_RPC_TIMEOUT = 30.0
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_FILENAME = "template-impor-produk-etalase.xlsx"


def _too_large() -> PayloadTooLarge:
    message = t("Ukuran file melebihi batas 5 MB.")
    return PayloadTooLarge(message, {FILE_FIELD: message})


def read_import_upload(request) -> tuple[str, str, bytes]:
    """(merchant_id, filename, bytes) of the multipart form; size checked before reading."""
    with bounded_body(request, MAX_IMPORT_BYTES + MAX_FORM_OVERHEAD, _too_large):
        upload = request.files.get(FILE_FIELD)
        merchant_id = (request.form.get("merchant_id") or "").strip()
    errors = {}
    if upload is None:
        errors[FILE_FIELD] = t("Pilih file CSV atau XLSX (formulir multipart, kolom file).")
    if not merchant_id:
        errors["merchant_id"] = t("Pilih usaha yang produknya diimpor.")
    elif (unsafe := find_unsafe(merchant_id, multiline=False)) is not None:
        errors["merchant_id"] = unsafe[1]  # a NUL would fail the lookup on PostgreSQL
    if errors:
        raise ValidationFailed(t("Data impor tidak lengkap."), errors)
    data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise _too_large()
    if not data:
        raise ValidationFailed(t("File kosong."), {FILE_FIELD: t("File kosong.")})
    return merchant_id, upload.filename or "", data


@json_api
def create_import(gw: Gateway, request):
    actor = authenticate(gw, request)
    if actor["role"] != "owner":
        raise Forbidden(t("Hanya pemilik usaha yang dapat mengimpor produk."))
    merchant_id, filename, data = read_import_upload(request)

    def start(idempotency):
        job = gw.call(
            "catalog", "start_import", catalog_actor(actor), merchant_id, filename,
            base64.b64encode(data).decode("ascii"), timeout=max(gw.settings.rpc_timeout, IMPORT_RPC_TIMEOUT),
            **with_key(idempotency),
        )
        return json_response(202, job, {"Location": f"/api/v1/imports/{job['id']}"})

    payload = {"merchant_id": merchant_id, "filename": filename, "file_sha256": hashlib.sha256(data).hexdigest()}
    return idempotent(gw, request, account_scope(actor), payload, start)


@json_api
def get_import(gw: Gateway, request, import_id: str):
    actor = authenticate(gw, request)
    return json_response(200, gw.call("catalog", "get_import", catalog_actor(actor), import_id))


@json_api
def template(gw: Gateway):
    encoded = gw.call("catalog", "import_template")
    try:
        body = base64.b64decode(encoded, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise UpstreamError(t("Template impor tidak tersedia.")) from None
    headers = {
        "Content-Type": XLSX_CONTENT_TYPE,
        "Content-Disposition": f'attachment; filename="{TEMPLATE_FILENAME}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=3600",
    }
    return Response(body, status=200, headers=headers)  # bytes: nameko's tuple form takes text only
