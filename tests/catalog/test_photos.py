"""Product photos and merchant logos against real databases (SQLite and PostgreSQL) and a
real media directory: what an upload must be, what is stored, and that a refused upload
leaves nothing behind (no row, no event, no file)."""
import base64
import io
import struct
import time
import zlib

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from PIL import Image, ImageCms, PngImagePlugin
from sqlalchemy import func, select

from services.catalog import domain, images, photos
from services.catalog.models import Merchant, ProductPhoto
from services.catalog.service import CatalogService
from shared.contracts import MerchantSnapshot, PhotoRef, ProductSnapshot
from shared.errors import BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationFailed

from catalog_helpers import OTHER_OWNER, OWNER, PROMOTER, event_of, outbox_rows

# --- images made in the test -----------------------------------------------------------


def noise(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """An image that does not compress to nothing (so truncating it matters)."""
    return Image.effect_noise((width, height), 64).convert(mode)


def picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A smooth image: large dimensions in few bytes."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = red.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return Image.merge("RGB", (red, green, blue)).convert(mode)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def jpeg(width=600, height=400, **options) -> bytes:
    return encode(picture(width, height), "JPEG", quality=90, **options)


def png(width=600, height=400) -> bytes:
    return encode(picture(width, height, "RGBA"), "PNG")


def webp(width=600, height=400) -> bytes:
    return encode(picture(width, height), "WEBP", quality=80)


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares huge dimensions: a decompression bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def upload(data: bytes, filename: str = "foto.jpg", content_type: str = "image/jpeg", alt=None) -> dict:
    return {"filename": filename, "content_type": content_type, "data_b64": base64.b64encode(data).decode(), "alt": alt}


def media_files(root) -> list:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def add(catalog_db, media_root):
    """add(upload, actor=OWNER, product_id=...) -> the product dict, committed."""

    def _add(product_id, data, actor=OWNER, **options):
        with catalog_db() as session:
            return photos.add_product_photo(session, media_root, actor, product_id, data, commit=session.commit, **options)

    return _add


def photo_count(catalog_db) -> int:
    with catalog_db() as session:
        return session.scalar(select(func.count()).select_from(ProductPhoto))


def current_version(catalog_db, product_id) -> int:
    with catalog_db() as session:
        return domain.get_product(session, product_id)["version"]


# --- adding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, filename, content_type",
    [(jpeg, "kain.jpg", "image/jpeg"), (png, "kain.png", "image/png"), (webp, "kain.webp", "image/webp")],
)
def test_add_photo_stores_sizes_bumps_version_and_emits_one_event(
    catalog_db, product, media_root, add, make, filename, content_type
):
    data = make(2000, 1000)
    before = len(outbox_rows(catalog_db))

    result = add(product["id"], upload(data, filename, content_type, alt="  Kain tenun\nmotif bia-bia "))

    assert result["version"] == 2
    [photo] = result["photos"]
    ref = PhotoRef.model_validate(photo)
    assert (ref.width, ref.height, ref.alt) == (2000, 1000, "Kain tenun motif bia-bia")
    assert set(ref.urls) == {"thumb", "medium", "large"}
    expected = {"large": (1600, 800), "medium": (800, 400), "thumb": (320, 160)}
    for size, url in ref.urls.items():
        assert url.startswith(f"/media/products/{ref.id[:2]}/{ref.id}-") and url.endswith(".webp")
        stored = Image.open(media_root / url.removeprefix("/media/"))
        assert stored.format == "WEBP" and stored.size == expected[size]

    with catalog_db() as session:
        row = session.get(ProductPhoto, ref.id)
        assert row.content_type == content_type and row.position == 0
        assert len(row.sha256) == 64 and row.variants["thumb"] == ref.urls["thumb"].removeprefix("/media/")

    rows = outbox_rows(catalog_db)
    assert len(rows) == before + 1
    event = event_of(rows[-1])
    assert (event.type, event.aggregate_id, event.aggregate_version) == ("catalog.product_updated", product["id"], 2)
    snapshot = ProductSnapshot.model_validate(event.payload)
    assert [p.id for p in snapshot.photos] == [ref.id] and snapshot.photos[0].urls == ref.urls


def test_small_images_are_never_upscaled(product, media_root, add):
    result = add(product["id"], upload(png(300, 200), "kecil.png", "image/png"))
    for url in result["photos"][0]["urls"].values():
        assert Image.open(media_root / url.removeprefix("/media/")).size == (300, 200)


def test_metadata_is_stripped_and_orientation_applied(product, media_root, add):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show upright
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x8825] = {1: "S", 2: (4.0, 0.0, 0.0), 3: "E", 4: (122.0, 31.0, 0.0)}  # GPS near Kendari
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg(800, 400, exif=exif.tobytes(), comment=b"dibuat di rumah", icc_profile=srgb)
    assert b"KameraRahasia" in data and Image.open(io.BytesIO(data)).info.get("icc_profile")

    result = add(product["id"], upload(data))

    photo = result["photos"][0]
    assert (photo["width"], photo["height"]) == (400, 800)  # turned upright
    for url in photo["urls"].values():
        raw = (media_root / url.removeprefix("/media/")).read_bytes()
        assert b"KameraRahasia" not in raw and b"rumah" not in raw
        assert b"EXIF" not in raw and b"XMP " not in raw and b"ICCP" not in raw  # no WebP metadata chunks
        stored = Image.open(io.BytesIO(raw))
        assert not stored.getexif() and "icc_profile" not in stored.info and "xmp" not in stored.info


def test_png_text_and_exif_are_stripped(product, media_root, add):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Wa Ode Rahasia")
    exif = Image.Exif()
    exif[0x8825] = {1: "S", 2: (4.0, 0.0, 0.0)}
    data = encode(noise(400, 300, "RGBA"), "PNG", pnginfo=info, exif=exif)
    result = add(product["id"], upload(data, "foto.png", "image/png"))
    for url in result["photos"][0]["urls"].values():
        raw = (media_root / url.removeprefix("/media/")).read_bytes()
        assert b"Rahasia" not in raw and b"EXIF" not in raw


def test_image_work_runs_in_the_thread_pool_and_the_hub_keeps_running(product, add, monkeypatch):
    ticks = []
    during = {}  # function sent to the pool -> ticks of another green thread while it ran

    real_execute = photos.tpool.execute

    def spy(fn, *args, **kwargs):
        before = len(ticks)
        try:
            return real_execute(fn, *args, **kwargs)
        finally:
            during[fn.__name__] = len(ticks) - before

    monkeypatch.setattr(photos.tpool, "execute", spy)

    def ticker():
        while True:
            ticks.append(time.monotonic())
            eventlet.sleep(0.005)

    data = jpeg(4000, 3000)
    thread = eventlet.spawn(ticker)
    eventlet.sleep(0)
    try:
        add(product["id"], upload(data))
    finally:
        thread.kill()
    assert list(during) == ["process_image", "write_variants"]
    # The green thread kept running while the photo was decoded and resized: had the decoding
    # held the hub, it could not have ticked once meanwhile (however fast or slow the machine).
    assert during["process_image"] > 0, during


# --- refusals: nothing written --------------------------------------------------------


def truncated_jpeg() -> bytes:
    data = encode(noise(800, 600), "JPEG", quality=90)
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = encode(noise(800, 600), "PNG")
    return data[: len(data) * 2 // 3]


REFUSED = [
    pytest.param(lambda: b"GIF89a" + encode(noise(10, 10, "P"), "GIF")[6:], "animasi.gif", "image/gif", id="gif-type"),
    pytest.param(lambda: encode(noise(50, 50), "BMP"), "foto.bmp", "image/bmp", id="bmp-type"),
    pytest.param(lambda: b"bukan gambar sama sekali", "catatan.txt", "text/plain", id="text"),
    pytest.param(lambda: b"bukan gambar sama sekali", "foto.jpg", "image/jpeg", id="text-named-jpg"),
    pytest.param(lambda: png(), "foto.jpg", "image/jpeg", id="renamed-png-as-jpeg"),
    pytest.param(lambda: jpeg(), "foto.webp", "image/webp", id="renamed-jpeg-as-webp"),
    pytest.param(lambda: encode(noise(50, 50), "GIF"), "foto.png", "image/png", id="gif-named-png"),
    pytest.param(lambda: jpeg(), "foto.png", "image/jpeg", id="type-and-extension-disagree"),
    pytest.param(lambda: jpeg(), "foto", "application/octet-stream", id="no-type-at-all"),
    pytest.param(truncated_jpeg, "foto.jpg", "image/jpeg", id="truncated-jpeg"),
    pytest.param(truncated_png, "foto.png", "image/png", id="truncated-png"),
    pytest.param(lambda: png_header_only(100_000, 100_000), "bom.png", "image/png", id="bomb-10-gigapixel-header"),
    pytest.param(lambda: encode(Image.new("1", (8000, 8000)), "PNG"), "bom.png", "image/png", id="bomb-64-megapixel"),
    pytest.param(lambda: b"", "foto.jpg", "image/jpeg", id="empty"),
]


@pytest.mark.parametrize("make, filename, content_type", REFUSED)
def test_refused_uploads_write_nothing(catalog_db, product, media_root, add, make, filename, content_type):
    before = len(outbox_rows(catalog_db))
    with pytest.raises(ValidationFailed) as info:
        add(product["id"], upload(make(), filename, content_type))
    assert info.value.status == 422
    assert set(info.value.fields) == {"photo"} and info.value.fields["photo"]
    assert photo_count(catalog_db) == 0 and current_version(catalog_db, product["id"]) == 1
    assert len(outbox_rows(catalog_db)) == before
    assert media_files(media_root) == []


def test_octet_stream_with_a_good_extension_is_accepted(product, add):
    result = add(product["id"], upload(png(), "foto.png", "application/octet-stream"))
    assert len(result["photos"]) == 1


def test_over_five_megabytes_is_413(catalog_db, product, media_root, add):
    too_big = b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024)
    with pytest.raises(PayloadTooLarge) as info:
        add(product["id"], upload(too_big))
    assert info.value.status == 413 and "photo" in info.value.fields
    with pytest.raises(PayloadTooLarge):
        images.process_image(too_big, "image/jpeg", "foto.jpg")
    assert photo_count(catalog_db) == 0 and media_files(media_root) == []


def test_bad_base64_and_bad_alt(catalog_db, product, media_root, add):
    with pytest.raises(BadRequest) as info:
        add(product["id"], {"filename": "a.jpg", "content_type": "image/jpeg", "data_b64": "!!bukan base64!!"})
    assert "photo" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        add(product["id"], {"filename": "a.jpg", "content_type": "image/jpeg"})
    assert "photo" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        add(product["id"], upload(jpeg(), alt="x" * 201))
    assert set(info.value.fields) == {"alt"}
    assert photo_count(catalog_db) == 0 and media_files(media_root) == []


def test_ninth_photo_is_refused(catalog_db, product, media_root, add):
    small = jpeg(40, 30)
    added = []
    for _ in range(8):
        result = add(product["id"], upload(small))
        added.append(result["photos"][-1]["id"])  # the new photo comes last
    assert len(result["photos"]) == 8 and result["version"] == 9
    assert [p["id"] for p in result["photos"]] == added  # kept in upload order
    files = media_files(media_root)
    assert len(files) == 24

    with pytest.raises(ValidationFailed) as info:
        add(product["id"], upload(small))
    assert set(info.value.fields) == {"photo"} and "8" in info.value.fields["photo"]
    assert photo_count(catalog_db) == 8 and current_version(catalog_db, product["id"]) == 9
    assert media_files(media_root) == files


@pytest.mark.parametrize("actor, error", [(OTHER_OWNER, Forbidden), (PROMOTER, Forbidden), (None, Forbidden)])
def test_only_the_owner_adds_photos(catalog_db, product, media_root, add, actor, error):
    with pytest.raises(error):
        add(product["id"], upload(jpeg()), actor=actor)
    assert photo_count(catalog_db) == 0 and media_files(media_root) == []


def test_unknown_or_deleted_product_is_not_found(catalog_db, product, media_root, add):
    with pytest.raises(NotFound):
        add("00000000-0000-0000-0000-000000000000", upload(jpeg()))
    with catalog_db() as session:
        domain.delete_product(session, OWNER, product["id"])
        session.commit()
    with pytest.raises(NotFound):
        add(product["id"], upload(jpeg()))
    assert media_files(media_root) == []


def test_stale_if_match_is_a_conflict(catalog_db, product, media_root, add):
    with pytest.raises(Conflict):
        add(product["id"], upload(jpeg()), expected_version=7)
    assert add(product["id"], upload(jpeg()), expected_version='"1"')["version"] == 2
    assert len(media_files(media_root)) == 3


def test_a_failed_commit_removes_the_new_files(catalog_db, product, media_root):
    def failing_commit():
        raise RuntimeError("basis data mati")

    with catalog_db() as session, pytest.raises(RuntimeError):
        photos.add_product_photo(session, media_root, OWNER, product["id"], upload(jpeg()), commit=failing_commit)
    assert media_files(media_root) == []
    assert photo_count(catalog_db) == 0 and current_version(catalog_db, product["id"]) == 1


# --- deleting -------------------------------------------------------------------------


def test_delete_photo_removes_row_and_files_bumps_version_and_emits(catalog_db, product, media_root, add):
    first = add(product["id"], upload(jpeg()))["photos"][0]
    second = add(product["id"], upload(png(), "b.png", "image/png"))["photos"][1]
    assert len(media_files(media_root)) == 6
    before = len(outbox_rows(catalog_db))

    with catalog_db() as session:
        result = photos.delete_product_photo(session, media_root, OWNER, product["id"], first["id"], commit=session.commit)

    assert result["version"] == 4 and [p["id"] for p in result["photos"]] == [second["id"]]
    assert all(second["id"] in path for path in media_files(media_root)) and len(media_files(media_root)) == 3
    with catalog_db() as session:
        assert session.get(ProductPhoto, first["id"]) is None
        assert session.get(ProductPhoto, second["id"]).position == 0
    rows = outbox_rows(catalog_db)
    assert len(rows) == before + 1
    event = event_of(rows[-1])
    assert (event.type, event.aggregate_version) == ("catalog.product_updated", 4)
    assert [p.id for p in ProductSnapshot.model_validate(event.payload).photos] == [second["id"]]


def test_delete_photo_checks_owner_and_existence(catalog_db, product, media_root, add):
    photo = add(product["id"], upload(jpeg()))["photos"][0]
    with catalog_db() as session:
        with pytest.raises(Forbidden):
            photos.delete_product_photo(session, media_root, OTHER_OWNER, product["id"], photo["id"], commit=session.commit)
        with pytest.raises(NotFound):
            photos.delete_product_photo(session, media_root, OWNER, product["id"], "tidak-ada", commit=session.commit)
    assert photo_count(catalog_db) == 1 and len(media_files(media_root)) == 3


def test_a_failed_commit_keeps_the_files_of_a_deleted_photo(catalog_db, product, media_root, add):
    photo = add(product["id"], upload(jpeg()))["photos"][0]

    def failing_commit():
        raise RuntimeError("basis data mati")

    with catalog_db() as session, pytest.raises(RuntimeError):
        photos.delete_product_photo(session, media_root, OWNER, product["id"], photo["id"], commit=failing_commit)
    assert photo_count(catalog_db) == 1 and len(media_files(media_root)) == 3


# --- merchant logo --------------------------------------------------------------------


def set_logo(catalog_db, media_root, actor, merchant_id, data):
    with catalog_db() as session:
        return photos.set_merchant_logo(session, media_root, actor, merchant_id, data, commit=session.commit)


def test_merchant_logo_is_stored_emitted_and_replaced(catalog_db, merchant, media_root):
    before = len(outbox_rows(catalog_db))
    result = set_logo(catalog_db, media_root, OWNER, merchant["id"], upload(png(1000, 1000), "logo.png", "image/png"))

    logo = PhotoRef.model_validate(result["logo"])
    assert set(logo.urls) == {"thumb", "medium"} and (logo.width, logo.height) == (1000, 1000)
    assert logo.alt == "Logo Tenun Masalili"
    assert Image.open(media_root / logo.urls["medium"].removeprefix("/media/")).size == (800, 800)
    assert result["version"] == 2
    with catalog_db() as session:
        stored = session.get(Merchant, merchant["id"]).logo
        assert set(stored) == {"id", "urls", "width", "height", "alt"} and stored["id"] == logo.id
    rows = outbox_rows(catalog_db)
    assert len(rows) == before + 1
    event = event_of(rows[-1])
    assert (event.type, event.aggregate_id, event.aggregate_version) == ("catalog.merchant_updated", merchant["id"], 2)
    assert MerchantSnapshot.model_validate(event.payload).logo == logo

    # A new logo replaces the old one; the old files go once the change is committed.
    second = set_logo(catalog_db, media_root, OWNER, merchant["id"], upload(webp(200, 100), "logo.webp", "image/webp"))
    assert second["version"] == 3 and second["logo"]["id"] != logo.id
    assert all(second["logo"]["id"] in path for path in media_files(media_root)) and len(media_files(media_root)) == 2
    with catalog_db() as session:
        assert domain.get_merchant(session, merchant["id"])["logo"] == second["logo"]


def test_merchant_logo_checks_owner_and_image(catalog_db, merchant, media_root):
    before = len(outbox_rows(catalog_db))
    with pytest.raises(Forbidden):
        set_logo(catalog_db, media_root, OTHER_OWNER, merchant["id"], upload(png(), "logo.png", "image/png"))
    with pytest.raises(NotFound):
        set_logo(catalog_db, media_root, OWNER, "tidak-ada", upload(png(), "logo.png", "image/png"))
    with pytest.raises(ValidationFailed) as info:
        set_logo(catalog_db, media_root, OWNER, merchant["id"], upload(png(), "logo.jpg", "image/jpeg"))
    assert "photo" in info.value.fields
    assert len(outbox_rows(catalog_db)) == before and media_files(media_root) == []
    with catalog_db() as session:
        assert session.get(Merchant, merchant["id"]).logo is None and domain.get_merchant(session, merchant["id"])["logo"] is None


# --- through the nameko service -------------------------------------------------------


def test_rpc_entry_points_commit_and_use_the_configured_media_root(
    catalog_config, catalog_db, merchant, product, media_root, container_factory
):
    container = container_factory(CatalogService)
    container.start()
    with entrypoint_hook(container, "add_product_photo") as add_photo:
        result = add_photo(OWNER, product["id"], upload(jpeg()))
    with entrypoint_hook(container, "set_merchant_logo") as set_logo_rpc:
        merchant_after = set_logo_rpc(OWNER, merchant["id"], upload(png(), "logo.png", "image/png"))
    assert len(media_files(media_root)) == 5
    with entrypoint_hook(container, "delete_product_photo") as delete_photo:
        after = delete_photo(OWNER, product["id"], result["photos"][0]["id"], expected_version=2)
    assert after["version"] == 3 and after["photos"] == []
    assert merchant_after["logo"]["urls"]["thumb"].startswith("/media/logos/")
    assert len(media_files(media_root)) == 2  # the logo's two sizes
    assert current_version(catalog_db, product["id"]) == 3  # committed, seen from another session
