"""The photos a row names by URL: fetched, checked and stored like an uploaded photo.

Photos are fetched (``fetch.py``: public addresses only, size and time limits) outside any
transaction, a few at a time, and go through the same pipeline as an upload (``images``
validates and resizes, ``media`` writes the files). A photo that fails becomes a photo error
on its row; the row's product is saved without it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import eventlet

from services.catalog import fetch, images, media
from services.catalog.imports.offload import off_the_hub
from services.catalog.imports.rows import RowPlan
from services.catalog.models import new_id
from shared.errors import EtalaseError
from shared.messages import t

log = logging.getLogger(__name__)

PHOTO_CONCURRENCY = 8

Fetcher = Callable[[str], fetch.FetchedPhoto]


@dataclass
class StoredPhoto:
    """A fetched photo, processed and written under the media root, not yet in a row."""

    id: str
    content_type: str
    width: int
    height: int
    sha256: str
    variants: dict[str, str]


def fetch_and_store_photo(url: str, media_root: Path, fetcher: Fetcher = fetch.fetch_photo) -> StoredPhoto:
    """Fetch ``url`` and hand the bytes to the photo pipeline (validate, resize, write).
    Raises ``fetch.FetchError`` or an ``EtalaseError`` from the pipeline."""
    fetched = fetcher(url)
    filename = url.split("?", 1)[0].rsplit("/", 1)[-1]
    if "." not in filename or len(filename) > 200:
        filename = ""
    if fetched.content_type and fetched.content_type not in images.CONTENT_TYPE_FORMATS:
        # A server saying text/html (an error page) or a name like photo.php: let the bytes
        # and the extension speak instead of refusing on a careless header.
        content_type = ""
    else:
        content_type = fetched.content_type
    if filename and not filename.lower().endswith(tuple(images.EXTENSION_FORMATS)):
        filename = ""
    if not content_type and not filename:
        content_type = _sniff_image_type(fetched.data)
    processed = off_the_hub(images.process_image, fetched.data, content_type, filename, images.PRODUCT_SIZES)
    photo_id = new_id()
    variants = off_the_hub(media.write_variants, Path(media_root), "products", photo_id, processed, images.PRODUCT_SIZES)
    return StoredPhoto(
        id=photo_id, content_type=processed.content_type, width=processed.width, height=processed.height,
        sha256=processed.sha256, variants=variants,
    )


def _sniff_image_type(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


def _photo_error_message(error: Exception) -> str:
    if isinstance(error, EtalaseError):
        return error.message
    return str(error) or t("foto tidak dapat diambil")


def fetch_photos(plans: list[RowPlan], needs_photos: set[int], media_root: Path,
                 fetcher: Fetcher) -> dict[int, list[StoredPhoto]]:
    """Fetch the photos of the rows in ``needs_photos`` (row numbers), a few at a time.
    Failures become photo errors on their rows."""
    tasks = [(plan, position, url) for plan in plans if plan.number in needs_photos
             for position, url in enumerate(plan.photo_urls)]
    if not tasks:
        return {}

    def one(task):
        plan, position, url = task
        try:
            return plan, position, fetch_and_store_photo(url, media_root, fetcher), None
        except (fetch.FetchError, EtalaseError) as error:
            return plan, position, None, t("foto ke-%(n)s (%(url)s): %(problem)s", n=position + 1, url=url[:100],
                                             problem=_photo_error_message(error))
        except Exception as error:  # noqa: BLE001 - one bad photo must not stop the import
            log.warning("import: photo %s failed", url, exc_info=True)
            return plan, position, None, t("foto ke-%(n)s (%(url)s): tidak dapat diproses (%(error)s)", n=position + 1,
                                             url=url[:100], error=type(error).__name__)

    stored: dict[int, list[tuple[int, StoredPhoto]]] = {}
    pool = eventlet.GreenPool(PHOTO_CONCURRENCY)
    for plan, position, photo, message in pool.imap(one, tasks):
        if photo is not None:
            stored.setdefault(plan.number, []).append((position, photo))
        else:
            plan.photo_errors.append(("foto", message))
    return {number: [photo for _p, photo in sorted(items, key=lambda item: item[0])] for number, items in stored.items()}


def remove_photo_files(media_root: Path, photos: dict[int, list[StoredPhoto]]) -> None:
    """Remove the files of stored photos that no product row refers to."""
    for stored in photos.values():
        for photo in stored:
            media.remove_files(Path(media_root), photo.variants.values())
