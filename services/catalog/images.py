"""Validating and resizing uploaded images: pure functions on bytes, no database, no files.

``process_image`` is CPU-heavy (decode, resize, encode). Callers on eventlet run it through
``eventlet.tpool.execute`` so the hub (and the AMQP heartbeats) keep running meanwhile;
Pillow releases the GIL while it decodes, resizes and encodes.

What an upload must be:
- at most ``MAX_IMAGE_BYTES``;
- JPEG, PNG or WebP, and the bytes must really be that format: the type the client declared
  (and the file name's extension) must match what Pillow detects, so a renamed file is refused;
- complete (a truncated file is refused) and at most ``MAX_PIXELS`` pixels (a small file that
  declares huge dimensions, a "decompression bomb", is refused before it is decoded).

What comes out: the image turned upright (EXIF orientation), without any metadata (EXIF, GPS,
XMP, ICC, comments), as WebP in a few web sizes, never upscaled.
"""
from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from shared.errors import PayloadTooLarge, ValidationFailed
from shared.messages import t

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # 5 MB
# 40 megapixels: above any phone camera's normal output, far below what would exhaust memory
# (an RGBA image of 40 MP takes 160 MB decoded). Below Pillow's own MAX_IMAGE_PIXELS (89 MP),
# so our check refuses a bomb before Pillow would even warn.
MAX_PIXELS = 40_000_000

# Long side in pixels of each stored size.
PRODUCT_SIZES = {"thumb": 320, "medium": 800, "large": 1600}
LOGO_SIZES = {"thumb": 320, "medium": 800}

WEBP_QUALITY = 82
OUTPUT_CONTENT_TYPE = "image/webp"

# Declared content type -> Pillow format name. image/jpg and image/pjpeg are sent by some phones.
CONTENT_TYPE_FORMATS = {
    "image/jpeg": "JPEG",
    "image/jpg": "JPEG",
    "image/pjpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
}
EXTENSION_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".jfif": "JPEG", ".png": "PNG", ".webp": "WEBP"}
FORMAT_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
FORMAT_LABELS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
# Types a client sends when it does not know; then the extension decides.
UNKNOWN_CONTENT_TYPES = {"", "application/octet-stream", "binary/octet-stream"}

FIELD = "photo"

# Pillow only warns when an image is over its own pixel limit; in this process such an image
# is an error. (The explicit MAX_PIXELS check below does not depend on this filter.)
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    data: bytes  # WebP


@dataclass(frozen=True)
class ProcessedImage:
    content_type: str  # of the upload, as detected: image/jpeg | image/png | image/webp
    width: int  # of the upright original
    height: int
    sha256: str  # of the uploaded bytes
    variants: dict[str, Variant] = field(default_factory=dict)  # size name -> WebP


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, {FIELD: message})


def expected_format(declared_content_type: str | None, filename: str | None) -> str:
    """The Pillow format the upload claims to be, from its content type and its extension.
    Both must agree when both are given; at least one must name JPEG, PNG or WebP."""
    content_type = (declared_content_type or "").split(";", 1)[0].strip().lower()
    extension = os.path.splitext((filename or "").strip().lower())[1]

    by_type = None
    if content_type not in UNKNOWN_CONTENT_TYPES:
        by_type = CONTENT_TYPE_FORMATS.get(content_type)
        if by_type is None:
            raise _refuse(t("Jenis berkas %(type)s tidak didukung. Unggah foto JPEG, PNG atau WebP.", type=content_type))
    by_extension = None
    if extension:
        by_extension = EXTENSION_FORMATS.get(extension)
        if by_extension is None:
            raise _refuse(t("Berkas %(extension)s tidak didukung. Unggah foto JPEG, PNG atau WebP.", extension=extension))
    if by_type and by_extension and by_type != by_extension:
        raise _refuse(t("Jenis berkas (%(by_type)s) tidak sesuai dengan nama berkasnya (%(by_name)s).",
                        by_type=FORMAT_LABELS[by_type], by_name=FORMAT_LABELS[by_extension]))
    detected = by_type or by_extension
    if detected is None:
        raise _refuse(t("Jenis berkas tidak diketahui. Unggah foto JPEG, PNG atau WebP."))
    return detected


def _open_checked(data: bytes, expected: str) -> Image.Image:
    """Open (headers only) and check format and dimensions before any pixel is decoded."""
    try:
        # formats=: never let Pillow try its other, less used decoders on untrusted bytes.
        image = Image.open(io.BytesIO(data), formats=list(FORMAT_CONTENT_TYPES))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit (only reached if someone raised MAX_PIXELS above it).
        raise _refuse(t("Ukuran gambar (jumlah piksel) terlalu besar.")) from None
    except UnidentifiedImageError:
        raise _refuse(t("Berkas bukan gambar JPEG, PNG atau WebP yang valid.")) from None
    except (OSError, SyntaxError, ValueError):
        raise _refuse(t("Berkas gambar rusak atau tidak lengkap.")) from None
    if image.format != expected:
        label = FORMAT_LABELS.get(image.format or "", image.format)
        raise _refuse(t("Isi berkas adalah gambar %(actual)s, bukan %(expected)s. Jangan mengganti nama berkas; "
                        "unggah berkas aslinya.", actual=label, expected=FORMAT_LABELS[expected]))
    width, height = image.size
    if width < 1 or height < 1:
        raise _refuse(t("Ukuran gambar tidak valid."))
    if width * height > MAX_PIXELS:
        raise _refuse(t("Ukuran gambar %(width)s x %(height)s piksel terlalu besar (paling banyak %(max)s megapiksel).",
                        width=width, height=height, max=MAX_PIXELS // 1_000_000))
    return image


def _decode(data: bytes, expected: str) -> Image.Image:
    """The fully decoded first frame; a truncated or corrupt file is refused."""
    image = _open_checked(data, expected)
    try:
        image.verify()  # checks what the format can check cheaply (e.g. PNG chunk checksums)
    except Exception:  # noqa: BLE001 - verify() raises many kinds of errors on bad input
        raise _refuse(t("Berkas gambar rusak atau tidak lengkap.")) from None
    image = _open_checked(data, expected)  # verify() leaves the image unusable: open again
    try:
        image.load()  # raises on truncated data (ImageFile.LOAD_TRUNCATED_IMAGES stays False)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        raise _refuse(t("Ukuran gambar (jumlah piksel) terlalu besar.")) from None
    except Exception:  # noqa: BLE001 - decoders raise OSError, SyntaxError, ValueError, ...
        raise _refuse(t("Berkas gambar rusak atau tidak lengkap.")) from None
    return image


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a malformed EXIF block must not refuse a good photo
        return image.copy()


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert to 8-bit RGB(A) in sRGB. Phones tag photos with a colour profile (e.g. Display
    P3); the profile is metadata we drop, so convert the pixels first to keep the colours."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    try:
        if image.mode == "I;16" or image.mode.startswith("I;16"):
            image = image.point(lambda value: value / 256).convert("L")  # 16-bit greyscale PNG
        elif image.mode in ("I", "F"):
            image = image.convert("L")
        converted = image.convert(mode)
    except (ValueError, OSError):
        raise _refuse(t("Mode warna gambar tidak didukung.")) from None
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(converted, source, ImageCms.createProfile("sRGB"), outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: keep the pixels as they are
    return converted


def _strip_metadata(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels: no EXIF, GPS, XMP, ICC profile or comments."""
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _encode_webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No exif/icc_profile/xmp arguments: the WebP encoder writes metadata only when given.
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4)
    return buffer.getvalue()


def _variants(image: Image.Image, sizes: dict[str, int]) -> dict[str, Variant]:
    """Each size's long side at most its pixels (never upscaled). Largest first, each made from
    the previous one, so a 40 MP photo is resized at full cost once."""
    variants: dict[str, Variant] = {}
    current = image
    for name, long_side in sorted(sizes.items(), key=lambda item: item[1], reverse=True):
        if max(current.size) > long_side:
            current = current.copy()
            current.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        variants[name] = Variant(width=current.width, height=current.height, data=_encode_webp(current))
    return variants


def process_image(
    data: bytes, declared_content_type: str, filename: str, sizes: dict[str, int] | None = None
) -> ProcessedImage:
    """Validate an uploaded image and make its web sizes. Raises ``PayloadTooLarge`` (413) or
    ``ValidationFailed`` (422), both naming the ``photo`` field, with a message for the seller."""
    if not isinstance(data, (bytes, bytearray)) or len(data) == 0:
        raise _refuse(t("Berkas foto kosong. Pilih foto JPEG, PNG atau WebP."))
    if len(data) > MAX_IMAGE_BYTES:
        message = t("Ukuran foto %(size)s MB melebihi batas 5 MB.", size=f"{len(data) / 1_048_576:.1f}")
        raise PayloadTooLarge(message, {FIELD: message})
    data = bytes(data)
    expected = expected_format(declared_content_type, filename)
    image = _decode(data, expected)
    icc_profile = image.info.get("icc_profile")
    upright = _upright(image)
    pixels = _strip_metadata(_to_srgb(upright, icc_profile))
    return ProcessedImage(
        content_type=FORMAT_CONTENT_TYPES[expected],
        width=pixels.width,
        height=pixels.height,
        sha256=hashlib.sha256(data).hexdigest(),
        variants=_variants(pixels, sizes or PRODUCT_SIZES),
    )
