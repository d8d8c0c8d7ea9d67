"""Demo data for a fresh installation: merchants and products from ``demo/demo_data.json``.

Everything goes through the domain functions, so validation applies and every merchant and
product gets its event in the outbox (search and promotion learn about them the normal way).
The caller commits.

Given a media root, every demo product also gets an illustration as its first photo, drawn
here (``demo_images``: the platform cannot fetch photos from the internet) and stored the way
an upload is: ``images.process_image`` makes the WebP sizes, ``media.write_variants`` writes
them, a ``ProductPhoto`` row points at them, and the product's next event carries it.
"""
from __future__ import annotations

import json
import os
import zlib
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.catalog import demo_images, domain, images, media
from services.catalog.models import Merchant, Product, ProductPhoto, new_id
from shared import events
from shared.actor import OWNER, make_actor

DEMO_DATA = Path(__file__).resolve().parent / "demo" / "demo_data.json"


def load_demo_data(path: Path | str = DEMO_DATA) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def is_seeded(session: Session) -> bool:
    """True once the catalog has any merchant: demo data never goes into a catalog in use."""
    return session.scalar(select(Merchant.id).limit(1)) is not None


# Only what a card (thumb) and a product page (medium) show: the drawing is smaller than a
# "large", which would be the same pixels again.
DEMO_PHOTO_SIZES = {name: images.PRODUCT_SIZES[name] for name in ("thumb", "medium")}


def seed_demo(
    session: Session, owner_ids: dict[str, str], path: Path | str = DEMO_DATA, media_root: Path | str | None = None,
) -> dict:
    """Create the demo merchants and their products; returns counts.

    ``owner_ids`` maps each demo owner's email to the gateway account id. A merchant that
    already exists for the same owner and name is skipped, so a rerun adds nothing twice.
    With ``media_root``, each new product gets a drawn illustration as its photo (files
    written under it); without, no photos (quicker, for tests that do not look at them).
    """
    data = load_demo_data(path)
    missing = sorted({m["owner"]["email"] for m in data["merchants"]} - set(owner_ids))
    if missing:
        raise ValueError(f"no account id for demo owners: {', '.join(missing)}")
    counts = {"merchants": 0, "products": 0, "skipped_merchants": 0}
    new_products: list[str] = []
    for entry in data["merchants"]:
        owner_id = owner_ids[entry["owner"]["email"]]
        exists = session.scalar(
            select(Merchant.id).where(Merchant.owner_id == owner_id, Merchant.name == entry["name"].strip())
        )
        if exists is not None:
            counts["skipped_merchants"] += 1
            continue
        actor = make_actor(owner_id, OWNER)
        merchant = domain.register_merchant(
            session,
            actor,
            {key: entry[key] for key in ("name", "kind", "region", "whatsapp", "description") if key in entry},
        )
        counts["merchants"] += 1
        _demo_credentials(session, merchant["id"], entry, verified=counts["merchants"] % 3 != 0)
        for item in entry.get("products", []):
            fields = {key: item[key] for key in ("name", "description", "price", "stock", "unit", "category", "halal") if key in item}
            new_products.append(domain.create_product(session, actor, {**fields, "merchant_id": merchant["id"]})["id"])
            counts["products"] += 1
    if media_root is not None:
        counts["photos"] = add_demo_photos(session, Path(media_root), new_products)
    return counts


def draw_demo_photo(media_root: Path, name: str, category: str) -> dict:
    """Draw the illustration of a product, make and write its sizes as an upload's; returns
    the ``ProductPhoto`` columns. Touches no session."""
    data = demo_images.demo_image_png(name, category)
    processed = images.process_image(data, "image/png", "ilustrasi.png", DEMO_PHOTO_SIZES)
    photo_id = new_id()
    variants = media.write_variants(media_root, "products", photo_id, processed, DEMO_PHOTO_SIZES)
    return {
        "id": photo_id,
        "content_type": processed.content_type,
        "width": processed.width,
        "height": processed.height,
        "sha256": processed.sha256,
        "variants": variants,
        # Say it is a drawing: a buyer must not take it for the product's photo.
        "alt": f"Ilustrasi {name} (gambar contoh, bukan foto produk)",
    }


def add_demo_photos(session: Session, media_root: Path, product_ids: list[str]) -> int:
    """Give each product its illustration as its first photo: a new version whose event
    carries the photo, as after an upload. If anything fails, the files written are removed.

    Drawing and encoding run in a thread per core (Pillow releases the GIL while it resizes
    and encodes: twice as fast on two cores); the session is used in this thread only."""
    products = [session.get(Product, product_id) for product_id in product_ids]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = [pool.submit(draw_demo_photo, media_root, product.name, product.category) for product in products]
        try:
            for product, future in zip(products, futures):
                product.photos.append(ProductPhoto(position=0, created_at=domain.utcnow(), **future.result()))
                domain.record_product_change(session, product)
        except BaseException:
            for future in futures:
                future.cancel()
            wait(futures)
            written = [path for future in futures if not future.cancelled() and future.exception() is None
                       for path in future.result()["variants"].values()]
            media.remove_files(media_root, written)
            raise
    return len(products)


def _demo_credentials(session: Session, merchant_id: str, entry: dict, verified: bool) -> None:
    """Demo merchants selling halal food hold a (fictional) halal certificate, demo koperasi
    their (fictional) legal data and RAT year, and two in three merchants have been verified
    by the Dinas, so the demo shows every badge and the RAT status."""
    merchant = session.get(Merchant, merchant_id)
    changed = False
    koperasi = entry.get("koperasi")  # badan hukum, members, year of the last RAT
    if koperasi and merchant.kind == "koperasi":
        merchant.legal_number = koperasi["legal_number"]
        merchant.member_count = koperasi["member_count"]
        merchant.last_rat_year = koperasi["last_rat_year"]
        changed = True
    if any(item.get("halal") for item in entry.get("products", [])):
        merchant.halal_number = f"ID{merchant.region}{zlib.crc32(merchant.name.encode()):010d}"
        merchant.halal_expires_on = date(2029, 12, 31)
        merchant.halal_active = True
        changed = True
    if verified:
        merchant.status = "verified"
        merchant.status_changed_by = "demo"
        changed = True
    if changed:
        merchant.version += 1
        merchant.status_changed_at = merchant.updated_at = domain.utcnow()
        event_type = events.MERCHANT_VERIFIED if verified else events.MERCHANT_CREDENTIALS_CHANGED
        domain.emit_event(session, event_type, merchant.id, merchant.version, domain.merchant_snapshot(merchant))
