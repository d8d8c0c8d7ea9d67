"""Product photos and merchant logos: the use cases.

Files and rows must agree, and a file system takes part in no transaction, so the order is:
- adding: write the files, change the rows, commit; if anything fails, remove the new files;
- deleting: change the rows, commit, then remove the files (a failed commit keeps them).
That is why these functions take the ``commit`` callable and call it themselves, unlike the
plain domain functions. A file left behind by a crash is unreferenced garbage, never a
broken reference.

Decoding and resizing run in eventlet's thread pool (``tpool.execute``), so a large photo
does not stop the service's other green threads (RPC, heartbeats, the outbox relay).

``upload`` is what the gateway sends: {"filename", "content_type", "data_b64", "alt"}.
"""
from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Callable

from eventlet import tpool
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.catalog import domain, images, media
from services.catalog.models import ProductPhoto, new_id
from shared.actor import Actor
from shared.errors import BadRequest, NotFound, PayloadTooLarge, ValidationFailed
from shared.events import MERCHANT_UPDATED, utcnow
from shared.idempotency import KeyGuard
from shared.messages import t
from shared.text import UnsafeText, clean_text

MAX_PHOTOS = 8
MAX_ALT = 200
# The base64 text of MAX_IMAGE_BYTES, plus padding: refuse longer text before decoding it.
MAX_BASE64_CHARS = 4 * ((images.MAX_IMAGE_BYTES + 2) // 3) + 4


def _read_upload(upload) -> tuple[bytes, str, str, str]:
    """(bytes, filename, content type, alt) of an upload, or 400/413/422 naming the field."""
    if not isinstance(upload, dict):
        raise BadRequest(t("Unggahan foto tidak valid."), {"photo": t("Unggahan foto tidak valid.")})
    encoded = upload.get("data_b64")
    if not isinstance(encoded, str) or not encoded:
        raise ValidationFailed(t("Foto wajib diunggah."), {"photo": t("Pilih foto JPEG, PNG atau WebP.")})
    if len(encoded) > MAX_BASE64_CHARS:
        raise PayloadTooLarge(t("Ukuran foto melebihi batas 5 MB."), {"photo": t("Ukuran foto melebihi batas 5 MB.")})
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(t("Data foto tidak terbaca."), {"photo": t("Data foto tidak terbaca.")}) from None

    filename = upload.get("filename") or ""
    content_type = upload.get("content_type") or ""
    if not isinstance(filename, str) or not isinstance(content_type, str):
        raise BadRequest(t("Unggahan foto tidak valid."), {"photo": t("Nama atau jenis berkas tidak valid.")})

    alt = upload.get("alt")
    if alt is None:
        alt = ""
    if not isinstance(alt, str):
        raise ValidationFailed(t("Data tidak valid."), {"alt": t("Keterangan foto harus berupa teks.")})
    try:
        alt = clean_text(alt, multiline=True)  # NFC, no control characters (shared/text.py)
    except UnsafeText as problem:
        raise ValidationFailed(t("Data tidak valid."), {"alt": problem.message}) from None
    alt = " ".join(alt.split())  # one line: it ends up in an HTML attribute
    if len(alt) > MAX_ALT:
        raise ValidationFailed(t("Data tidak valid."), {"alt": t("Keterangan foto paling banyak %(max)s karakter.", max=MAX_ALT)})
    return data, filename[:255], content_type[:100], alt


def _process(data: bytes, content_type: str, filename: str, sizes: dict[str, int]) -> images.ProcessedImage:
    # In a real OS thread: the hub keeps serving other green threads meanwhile.
    return tpool.execute(images.process_image, data, content_type, filename, sizes)


def _store(media_root: Path, kind: str, image_id: str, processed: images.ProcessedImage, sizes) -> dict[str, str]:
    # Writing (and fsync) is blocking file I/O too: also in the thread pool.
    return tpool.execute(media.write_variants, Path(media_root), kind, image_id, processed, sizes)


# --- product photos ---


def add_product_photo(
    session: Session, media_root: Path, actor: Actor, product_id, upload, *,
    commit: Callable[[], None], expected_version=None, remember: Callable[[str], None] | None = None,
) -> dict:
    """Add one photo (last in order) to the actor's product and commit. Returns the product
    as the API shows it, with a new version; its event carries every photo. ``remember`` is
    called with the new photo's id before the commit (an idempotency key commits with it)."""
    product = domain.load_owned_product(session, actor, product_id, expected_version)
    if len(product.photos) >= MAX_PHOTOS:
        message = t("Satu produk paling banyak %(max)s foto. Hapus salah satu foto lebih dulu.", max=MAX_PHOTOS)
        raise ValidationFailed(message, {"photo": message})
    data, filename, content_type, alt = _read_upload(upload)
    sizes = images.PRODUCT_SIZES
    processed = _process(data, content_type, filename, sizes)

    photo_id = new_id()
    variants = _store(media_root, "products", photo_id, processed, sizes)
    try:
        position = max((photo.position for photo in product.photos), default=-1) + 1
        product.photos.append(
            ProductPhoto(
                id=photo_id,
                position=position,
                content_type=processed.content_type,
                width=processed.width,
                height=processed.height,
                sha256=processed.sha256,
                variants=variants,
                alt=alt,
                created_at=utcnow(),
            )
        )
        result = domain.record_product_change(session, product)  # version + 1, event in the outbox
        if remember is not None:
            remember(photo_id)
        commit()
    except BaseException:
        session.rollback()
        media.remove_files(media_root, variants.values())
        raise
    return result


def add_product_photo_once(
    session: Session, media_root: Path, actor: Actor, product_id, upload, *,
    commit: Callable[[], None], keys: KeyGuard | None, expected_version=None,
) -> dict:
    """``add_product_photo`` under an idempotency key (``keys``; None: no key): a repeat of a
    photo already added adds nothing and answers with the product as it is now."""
    if keys is None:
        return add_product_photo(session, media_root, actor, product_id, upload, commit=commit,
                                 expected_version=expected_version)
    if keys.previous() is not None:  # before the version check: the first upload moved it on
        return domain.get_product(session, product_id)
    try:
        return add_product_photo(session, media_root, actor, product_id, upload, commit=commit,
                                 expected_version=expected_version, remember=keys.remember)
    except IntegrityError as exc:  # a twin with the same key committed first (rolled back above)
        keys.twin_after(exc)
        return domain.get_product(session, product_id)


def delete_product_photo(
    session: Session, media_root: Path, actor: Actor, product_id, photo_id, *,
    commit: Callable[[], None], expected_version=None,
) -> dict:
    """Remove one photo of the actor's product, commit, then remove its files."""
    product = domain.load_owned_product(session, actor, product_id, expected_version)
    photo = next((photo for photo in product.photos if photo.id == photo_id), None)
    if photo is None:
        raise NotFound(t("Foto tidak ditemukan."), {"photo_id": str(photo_id)})
    files = list((photo.variants or {}).values())
    product.photos.remove(photo)  # delete-orphan: the row goes too
    for position, remaining in enumerate(product.photos):
        remaining.position = position
    result = domain.record_product_change(session, product)
    commit()
    media.remove_files(media_root, files)  # only now: a failed commit must keep the files
    return result


# --- merchant logo ---


def set_merchant_logo(
    session: Session, media_root: Path, actor: Actor, merchant_id, upload, *, commit: Callable[[], None],
) -> dict:
    """Replace the logo of the actor's merchant, publish catalog.merchant_updated, commit,
    then remove the previous logo's files. Returns the merchant as the API shows it."""
    merchant = domain.load_owned_merchant(session, actor, merchant_id)
    data, filename, content_type, alt = _read_upload(upload)
    sizes = images.LOGO_SIZES
    processed = _process(data, content_type, filename, sizes)

    logo_id = new_id()
    variants = _store(media_root, "logos", logo_id, processed, sizes)
    previous_files = [
        path for path in (media.relative_path(url) for url in ((merchant.logo or {}).get("urls") or {}).values()) if path
    ]
    try:
        merchant.logo = {
            "id": logo_id,
            "urls": {size: media.media_url(path) for size, path in variants.items()},
            "width": processed.width,
            "height": processed.height,
            "alt": alt or f"Logo {merchant.name}",
        }
        merchant.version += 1
        merchant.updated_at = utcnow()
        domain.emit_event(session, MERCHANT_UPDATED, merchant.id, merchant.version, domain.merchant_snapshot(merchant))
        result = domain.merchant_to_dict(merchant)
        commit()
    except BaseException:
        session.rollback()
        media.remove_files(media_root, variants.values())
        raise
    media.remove_files(media_root, previous_files)
    return result
