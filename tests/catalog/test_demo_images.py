"""The demo products' illustrations: drawn locally, deterministic, one per product, stored
and published exactly as an uploaded photo is (real SQLite and PostgreSQL, real files)."""
import io
import json

import pytest
from PIL import Image
from sqlalchemy import func, select

from services.catalog import demo_images, seed
from services.catalog.models import Product, ProductPhoto
from shared.taxonomy import LEAF_SLUGS

from catalog_helpers import event_of, outbox_rows

DEMO = {"merchants": [
    {"key": "madu", "owner": {"email": "la.ode@demo.etalase.id", "name": "La Ode"}, "name": "Madu Hutan Buton",
     "kind": "umkm", "region": "7401", "whatsapp": "+6281200074011", "description": "", "products": [
         {"name": "Madu Hutan 500 ml", "description": "", "price": 120000, "stock": 20, "unit": "botol",
          "category": "madu", "halal": False},
         {"name": "Madu Hutan 250 ml", "description": "", "price": 65000, "stock": 30, "unit": "botol",
          "category": "madu", "halal": False},
     ]},
    {"key": "tenun", "owner": {"email": "wa.ode@demo.etalase.id", "name": "Wa Ode"}, "name": "Tenun Masalili",
     "kind": "umkm", "region": "7402", "whatsapp": "+6281200074021", "description": "", "products": [
         {"name": "Kain Tenun Masalili", "description": "", "price": 450000, "stock": 5, "unit": "lembar",
          "category": "tenun", "halal": False},
     ]},
]}
OWNER_IDS = {"la.ode@demo.etalase.id": "acc-1", "wa.ode@demo.etalase.id": "acc-2"}


def demo_products() -> list[dict]:
    return [product for merchant in seed.load_demo_data()["merchants"] for product in merchant["products"]]


# --- the drawing ---


def test_the_same_product_gives_the_same_bytes():
    first = demo_images.demo_image_png("Kopi Robusta Bubuk Konsel 250 g", "kopi-teh")
    assert first == demo_images.demo_image_png("Kopi Robusta Bubuk Konsel 250 g", "kopi-teh")
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and image.mode == "RGB"
    assert image.size == (demo_images.SIZE, demo_images.SIZE)


def test_products_differ_within_a_category_and_between_categories():
    names = ["Madu Hutan Buton 500 ml", "Madu Hutan Buton 250 ml", "Madu Kelulut Kolaka"]
    drawings = {name: demo_images.draw_demo_image(name, "madu").tobytes() for name in names}
    assert len(set(drawings.values())) == len(names)
    # the same name in another category: another palette and motif
    other = demo_images.draw_demo_image(names[0], "ikan-olahan").tobytes()
    assert other != drawings[names[0]]


@pytest.mark.parametrize("category", sorted(LEAF_SLUGS))
def test_every_category_has_a_palette_and_a_motif(category):
    image = demo_images.draw_demo_image("Produk Contoh", category)
    above_band = image.crop((0, 0, demo_images.SIZE, demo_images.SIZE - demo_images.BAND_HEIGHT))
    colors = above_band.getcolors(maxcolors=1_000_000)
    assert colors is not None and len(colors) > 50  # a drawing, not a flat square
    assert demo_images.motif_for(category) is not None


@pytest.mark.parametrize("name", [
    "Minyak Kelapa Tradisional (Minyak Kampung) 600 ml",  # the longest demo name
    "Abon",
    "Kain Tenun Buton Benang Katun Warna Alam Motif Kasopa Betano Kombo Ukuran 2 x 1 Meter Edisi Terbatas",
    "Supercalifragilisticexpialidocious" * 3,  # one word wider than the band
])
def test_the_name_fits_in_the_band(name):
    layout = demo_images.layout_name(name)
    band_top = demo_images.SIZE - demo_images.BAND_HEIGHT
    assert 1 <= len(layout.lines) <= demo_images.MAX_LINES
    for left, top, right, bottom in layout.boxes:
        assert 0 < left and right < demo_images.SIZE
        assert band_top < top and bottom < demo_images.SIZE
    kept = " ".join(layout.lines)
    assert kept == name or kept.endswith(demo_images.ELLIPSIS)


def test_the_name_is_drawn_in_the_text_colour():
    name = "Kacang Mete Muna Goreng Original 500 g"
    image = demo_images.draw_demo_image(name, "mete-kacang")
    layout = demo_images.layout_name(name)
    for box in layout.boxes:
        colours = dict((colour, count) for count, colour in image.crop(box).getcolors(maxcolors=100_000))
        text = max(colours, key=lambda colour: sum(colour))  # the light text on the dark band
        assert sum(text) > 600 and colours[text] > 50


def test_every_demo_name_fits_whole_at_a_readable_size():
    for product in demo_products():
        layout = demo_images.layout_name(product["name"])
        assert " ".join(layout.lines) == " ".join(product["name"].split()), product["name"]
        # at least 27 px on the 640 px drawing: 13 px on a 320 px card
        assert layout.font_size >= demo_images.SIZE * 0.042, product["name"]


# --- seeding ---


@pytest.fixture
def demo_file(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(DEMO), encoding="utf-8")
    return path


def test_seeding_with_a_media_root_gives_each_product_its_illustration(catalog_db, demo_file, media_root):
    with catalog_db() as session:
        result = seed.seed_demo(session, OWNER_IDS, demo_file, media_root=media_root)
        session.commit()
    assert result["products"] == 3 and result["photos"] == 3

    events = [event_of(row) for row in outbox_rows(catalog_db)]
    with catalog_db() as session:
        products = session.scalars(select(Product).order_by(Product.name)).all()
        assert len(products) == 3
        for product in products:
            assert len(product.photos) == 1 and product.version == 2
            photo = product.photos[0]
            assert photo.position == 0 and photo.content_type == "image/png"
            assert photo.alt == f"Ilustrasi {product.name} (gambar contoh, bukan foto produk)"
            assert set(photo.variants) == {"thumb", "medium"}
            for size, relative in photo.variants.items():
                with Image.open(media_root / relative) as stored:
                    assert stored.format == "WEBP"
                    assert stored.size == ((320, 320) if size == "thumb" else (demo_images.SIZE, demo_images.SIZE))
            expected = {
                "id": photo.id, "width": demo_images.SIZE, "height": demo_images.SIZE, "alt": photo.alt,
                "urls": {size: f"/media/{relative}" for size, relative in photo.variants.items()},
            }
            # the product's last event carries the photo, as after an upload
            own = [event for event in events if event.aggregate_id == product.id]
            assert [event.aggregate_version for event in own] == [1, 2]
            assert own[-1].payload["photos"] == [expected]
    assert len(list(media_root.rglob("*.webp"))) == 6


def test_seeding_twice_draws_nothing_twice(catalog_db, demo_file, media_root):
    with catalog_db() as session:
        seed.seed_demo(session, OWNER_IDS, demo_file, media_root=media_root)
        session.commit()
    files = sorted(media_root.rglob("*"))
    with catalog_db() as session:
        again = seed.seed_demo(session, OWNER_IDS, demo_file, media_root=media_root)
        session.commit()
    assert again == {"merchants": 0, "products": 0, "skipped_merchants": 2, "photos": 0}
    assert sorted(media_root.rglob("*")) == files
    with catalog_db() as session:
        assert session.scalar(select(func.count()).select_from(ProductPhoto)) == 3


def test_without_a_media_root_no_photos(catalog_db, demo_file, media_root):
    with catalog_db() as session:
        result = seed.seed_demo(session, OWNER_IDS, demo_file)
        session.commit()
        assert session.scalar(select(func.count()).select_from(ProductPhoto)) == 0
    assert "photos" not in result and not media_root.exists()


def test_a_failed_drawing_leaves_no_files(catalog_db, demo_file, media_root, monkeypatch):
    draw = demo_images.demo_image_png

    def fail_on_the_second_honey(name, category, seed=None):
        if name == "Madu Hutan 250 ml":
            raise RuntimeError("drawing failed")
        return draw(name, category, seed)

    monkeypatch.setattr(demo_images, "demo_image_png", fail_on_the_second_honey)
    with catalog_db() as session, pytest.raises(RuntimeError, match="drawing failed"):
        seed.seed_demo(session, OWNER_IDS, demo_file, media_root=media_root)
    assert list(media_root.rglob("*.webp")) == []


def test_every_category_outside_food_has_a_motif_of_its_own():
    from services.catalog import demo_images
    from shared.taxonomy import LEAF_SLUGS, PARENT_OF

    fallback = [leaf for leaf in sorted(LEAF_SLUGS)
                if PARENT_OF[leaf] != "makanan-minuman" and demo_images.motif_for(leaf) is demo_images._bowl]
    assert not fallback
    assert set(PARENT_OF.values()) <= set(demo_images.PALETTES)
