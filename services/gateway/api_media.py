"""Photos and logos: multipart uploads passed on to the catalog, and ``/media/`` files served.

The gateway only checks who is asking and how big the upload is; whether the bytes are a
real image is the catalog's call (it decodes them anyway to resize them). The catalog
writes the files under its media root, which the gateway serves read-only from the same
directory (a shared volume in docker-compose).
"""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from werkzeug.wrappers import Response

from services.gateway.api import Gateway, authenticate, catalog_actor, parse_if_match, version_headers
from services.gateway.idempotency import account_scope, idempotent, with_key
from services.gateway.web import bounded_body, json_api, json_response
from shared.errors import NotFound, PayloadTooLarge, ValidationFailed
from shared.messages import t

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # the same 5 MB the catalog enforces
# The multipart envelope around the photo: boundaries, part headers, the alt text.
MAX_FORM_OVERHEAD = 64 * 1024
PHOTO_FIELD = "photo"

MEDIA_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
# File names under the media root are unique per upload and never rewritten (see
# services/catalog/media.py), so browsers and proxies may keep them for a year.
MEDIA_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}


def _too_large() -> PayloadTooLarge:
    message = t("Ukuran foto melebihi batas 5 MB.")
    return PayloadTooLarge(message, {PHOTO_FIELD: message})


def read_photo_upload(request) -> dict:
    """The ``photo`` part (and optional ``alt``) of a multipart form, as the catalog's upload
    dict. The size is checked before the body is read, and again while reading."""
    with bounded_body(request, MAX_PHOTO_BYTES + MAX_FORM_OVERHEAD, _too_large):
        photo = request.files.get(PHOTO_FIELD)
        alt = request.form.get("alt", "")
    if photo is None:
        message = t("Pilih foto JPEG, PNG atau WebP (formulir multipart, kolom photo).")
        raise ValidationFailed(t("Foto wajib diunggah."), {PHOTO_FIELD: message})
    data = photo.stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large()
    if not data:
        raise ValidationFailed(t("Berkas foto kosong."), {PHOTO_FIELD: t("Berkas foto kosong.")})
    return {
        "filename": photo.filename or "",
        "content_type": photo.mimetype or "",
        "data_b64": base64.b64encode(data).decode("ascii"),
        "alt": alt,
    }


@json_api
def add_product_photo(gw: Gateway, request, product_id: str):
    actor = authenticate(gw, request)
    expected_version = parse_if_match(request.headers.get("If-Match"))
    upload = read_photo_upload(request)

    def add(idempotency):
        product = gw.call(
            "catalog", "add_product_photo", catalog_actor(actor), product_id, upload,
            expected_version=expected_version, timeout=gw.settings.photo_rpc_timeout, **with_key(idempotency),
        )
        # The new photo is the last one (photos are kept in upload order).
        location = None
        if isinstance(product, dict) and product.get("photos"):
            location = f"/api/v1/products/{product_id}/photos/{product['photos'][-1]['id']}"
        return json_response(201, product, version_headers(product, location))

    # The same request: the same photo bytes (by their hash), name, type, alt text and If-Match.
    photo = {**upload, "data_b64": hashlib.sha256(upload["data_b64"].encode("ascii")).hexdigest()}
    return idempotent(gw, request, account_scope(actor), {"photo": photo, "if_match": expected_version}, add)


@json_api
def delete_product_photo(gw: Gateway, request, product_id: str, photo_id: str):
    actor = authenticate(gw, request)
    expected_version = parse_if_match(request.headers.get("If-Match"))
    product = gw.call(
        "catalog", "delete_product_photo", catalog_actor(actor), product_id, photo_id,
        expected_version=expected_version,
    )
    return json_response(200, product, version_headers(product))


@json_api
def set_merchant_logo(gw: Gateway, request, merchant_id: str):
    actor = authenticate(gw, request)
    upload = read_photo_upload(request)
    merchant = gw.call(
        "catalog", "set_merchant_logo", catalog_actor(actor), merchant_id, upload,
        timeout=gw.settings.photo_rpc_timeout,
    )
    return json_response(200, merchant)


def _media_file(root: Path, path: str) -> Path | None:
    """The file ``path`` names inside ``root``, or None: no "..", no hidden files (the
    catalog's temporary files start with "."), nothing outside the root, even by a symlink."""
    if not path or "\\" in path or "\x00" in path:
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    if Path(path).suffix.lower() not in MEDIA_TYPES:
        return None
    root = root.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


@json_api
def media(gw: Gateway, request, path: str):
    target = _media_file(Path(gw.settings.media_root), path)
    if target is None:
        raise NotFound(t("Berkas tidak ditemukan."), {"path": path[:200]})
    etag = f'"{target.name}"'  # the name never changes content
    headers = {**MEDIA_HEADERS, "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers=headers)
    content_type = MEDIA_TYPES[target.suffix.lower()]
    # Files are a few hundred KB at most (resized WebP): reading them whole is fine.
    return Response(target.read_bytes(), status=200, headers={**headers, "Content-Type": content_type})
