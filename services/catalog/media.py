"""Where image files live under the media root, and the URLs the gateway serves them at.

Layout: ``<kind>/<first 2 hex of the id>/<id>-<long side>.webp``, e.g.
``products/3f/3f2a...-320.webp``. A photo's id is a new uuid4 for every upload, so a file
name is never reused for other bytes: the gateway can let browsers cache them for a year.
The two-character directory keeps any one directory small.
"""
from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from nameko.extensions import DependencyProvider

from services.catalog.settings import CatalogSettings
from shared.contracts import PhotoRef

if TYPE_CHECKING:  # the domain imports this module; it needs no Pillow for that
    from services.catalog.images import ProcessedImage

log = logging.getLogger(__name__)

MEDIA_URL_PREFIX = "/media/"


def variant_path(kind: str, image_id: str, long_side: int) -> str:
    """The path of one stored size, relative to the media root (always with "/")."""
    return f"{kind}/{image_id[:2]}/{image_id}-{long_side}.webp"


def media_url(relative_path: str) -> str:
    return MEDIA_URL_PREFIX + relative_path


def relative_path(url: str) -> str | None:
    """The inverse of ``media_url``; None for anything else."""
    if not isinstance(url, str) or not url.startswith(MEDIA_URL_PREFIX):
        return None
    return url[len(MEDIA_URL_PREFIX):]


def photo_ref(photo) -> PhotoRef:
    """The contract shape of a ``ProductPhoto`` row."""
    return PhotoRef(
        id=photo.id,
        urls={size: media_url(path) for size, path in (photo.variants or {}).items()},
        width=photo.width,
        height=photo.height,
        alt=photo.alt or "",
    )


def logo_ref(logo: dict | None) -> PhotoRef | None:
    """The contract shape of ``Merchant.logo`` (stored already in that shape)."""
    return PhotoRef.model_validate(logo) if logo else None


def _safe_target(media_root: Path, relative: str) -> Path:
    # Paths are built by variant_path, never from user input; still, never write outside the root.
    target = (media_root / relative).resolve()
    if not target.is_relative_to(media_root.resolve()):
        raise ValueError(f"media path outside the media root: {relative!r}")
    return target


def write_atomic(media_root: Path, relative: str, data: bytes) -> None:
    """Write to a temporary file in the same directory, flush it to disk, then rename: a
    reader (the gateway) sees the whole file or nothing, never a half-written one."""
    target = _safe_target(media_root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")  # hidden: never served
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_variants(media_root: Path, kind: str, image_id: str, processed: ProcessedImage, sizes: dict[str, int]) -> dict[str, str]:
    """Store every size of ``processed``; returns {size name: path relative to the media root}.
    If one write fails, the files already written are removed again."""
    written: dict[str, str] = {}
    try:
        for name, variant in processed.variants.items():
            relative = variant_path(kind, image_id, sizes[name])
            write_atomic(media_root, relative, variant.data)
            written[name] = relative
    except BaseException:
        remove_files(media_root, written.values())
        raise
    return written


def remove_files(media_root: Path, relative_paths) -> None:
    """Best effort: a file that cannot be removed is logged, never an error for the caller
    (the database change it belonged to has already happened or been undone)."""
    for relative in relative_paths:
        try:
            _safe_target(media_root, relative).unlink(missing_ok=True)
        except (OSError, ValueError):
            log.warning("could not remove media file %s", relative, exc_info=True)


class MediaRoot(DependencyProvider):
    """Gives workers the catalog's media root (a ``Path``), read from the settings at setup."""

    def setup(self):
        self.path = Path(CatalogSettings.load().media_root)

    def get_dependency(self, worker_ctx):
        return self.path
