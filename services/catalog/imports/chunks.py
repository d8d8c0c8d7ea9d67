"""One chunk of an import's rows, in one transaction: rows checked, photos fetched, products
upserted by the merchant's SKU, row errors recorded, the job's counters moved on, and ONE
``catalog.products_imported`` event staged for the products the chunk changed (aggregate:
the import; version: the batch, i.e. the chunk's number; a chunk that changed nothing sends
nothing). A row that changes nothing leaves its product as it is, so importing the same
file twice changes nothing.

New products (most of a first import) are inserted with one executemany of plain rows per
table, not as ORM objects: building, tracking and flushing 200 instances was most of a
chunk's time. Changed products go through the ORM, whose version check (``version_id_col``)
catches a concurrent writer.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from services.catalog import domain
from services.catalog.imports.jobs import ERROR, MAX_REPORTED_ERRORS, WARNING
from services.catalog.imports.parsing import SheetRow
from services.catalog.imports.photo_urls import Fetcher, StoredPhoto, fetch_photos, remove_photo_files
from services.catalog.imports.rows import RowPlan, plan_row
from services.catalog.models import ImportJob, ImportRowError, Merchant, Product, ProductPhoto, new_id
from shared.db import UnitOfWork, insert_rows
from shared.events import PRODUCTS_IMPORTED, utcnow
from shared.messages import t


class RetryChunk(Exception):
    """A concurrent writer changed one of the chunk's products: redo the chunk."""


def run_chunk(uow: UnitOfWork, job: ImportJob, merchant: Merchant, chunk: list[SheetRow], batch: int,
              processed_after: int, first_row_of_sku: dict[str, int], stored_errors: int, media_root: Path,
              fetcher: Fetcher, slugs: set[str] | None = None) -> int:
    """Handle the rows of ``chunk`` and commit; returns how many row errors the job now
    stores. Raises ``RetryChunk`` (nothing written) when a concurrent writer got in the way.
    ``slugs``: the merchant's taken product slugs (``taken_slugs``), which the chunk adds its
    new ones to; read here when not given."""
    session = uow.session
    skus = [row.values.get("sku", "").strip() for row in chunk]
    existing = {
        product.sku: product
        for product in session.scalars(
            select(Product).where(Product.merchant_id == merchant.id, Product.sku.in_([s for s in skus if s]))
            .options(selectinload(Product.photos))
        )
    }
    plans = []
    for row, sku in zip(chunk, skus):
        plan = plan_row(row, merchant, existing.get(sku))
        first = first_row_of_sku.get(sku)
        if sku and first != row.number:
            plan.errors.append(("sku", t("SKU yang sama sudah ada di baris %(row)s", row=first)))
            plan.clean = None
        elif sku in existing and existing[sku].deleted_at is not None:
            plan.errors.append(("sku", t("SKU ini milik produk yang sudah dihapus; pakai SKU lain")))
            plan.clean = None
        plans.append(plan)

    # Photos only for products that have none yet, fetched outside any transaction.
    needs_photos = {
        plan.number for plan in plans
        if plan.clean is not None and plan.photo_urls
        and (plan.sku not in existing or not existing[plan.sku].photos)
    }
    photos: dict[int, list[StoredPhoto]] = {}
    if needs_photos:
        uow.commit()  # nothing written yet: release the connection while fetching
        photos = fetch_photos(plans, needs_photos, media_root, fetcher)

    try:
        if slugs is None:
            slugs = taken_slugs(session, merchant.id)
        changed, created, counts, new_errors, unused = _write_chunk(session, merchant, plans, existing, photos, slugs)
        try:
            session.flush()
            _insert_new(session, created)
        except (StaleDataError, IntegrityError):
            raise RetryChunk() from None
        if changed:
            # ProductsImported's dump, built from the validated rows (no models to dump).
            payload = {"import_id": job.id, "merchant_id": merchant.id, "batch": batch,
                       "products": domain.product_snapshot_dicts(changed, merchant)}
            domain.emit_event_data(session, PRODUCTS_IMPORTED, job.id, batch, payload)
        room = MAX_REPORTED_ERRORS + 1 - stored_errors  # one more than shown: "truncated"
        for number, column, message, severity in new_errors[:max(room, 0)]:
            session.add(ImportRowError(import_id=job.id, row=number, column=column[:60], message=message,
                                       severity=severity))
        job.created_count += counts["created"]
        job.updated_count += counts["updated"]
        job.unchanged_count += counts["unchanged"]
        job.failed_count += counts["failed"]
        job.warning_count += counts["warnings"]
        job.processed_rows = processed_after
        uow.commit()
    except BaseException:
        remove_photo_files(media_root, photos)
        raise
    remove_photo_files(media_root, {0: unused})
    return stored_errors + min(len(new_errors), max(room, 0))


def taken_slugs(session: Session, merchant_id: str) -> set[str]:
    return set(session.scalars(select(Product.slug).where(Product.merchant_id == merchant_id)))


def _free_slug(name: str, taken: set[str]) -> str:
    base = domain.slugify(name)
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    taken.add(slug)
    return slug


def _write_chunk(session: Session, merchant: Merchant, plans: list[RowPlan], existing: dict[str, Product],
                 photos: dict[int, list[StoredPhoto]], taken: set[str]):
    """Apply the chunk's plans: changed products to the session, new ones as rows for
    ``_insert_new``. Returns (changed products in row order, new products, counts, row
    errors, fetched photos left unused); a new product is a ``SimpleNamespace`` of its row
    and its photo rows, which ``domain.product_snapshot_dicts`` reads like a ``Product``."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0, "warnings": 0}
    errors: list[tuple[int, str, str, str]] = []  # (row, column, message, ERROR or WARNING)
    unused: list[StoredPhoto] = []
    changed: list = []
    created: list[SimpleNamespace] = []
    now = utcnow()
    for plan in plans:
        errors += [(plan.number, column, message, ERROR) for column, message in plan.errors]
        if plan.clean is None:
            counts["failed"] += 1
            continue
        product = existing.get(plan.sku)
        row_photos = photos.get(plan.number, [])
        if product is None:
            new = SimpleNamespace(
                id=new_id(), merchant_id=merchant.id, slug=_free_slug(plan.clean["name"], taken), version=1,
                created_at=now, updated_at=now, deleted_at=None, **plan.clean,
            )
            new.photos = [_photo_row(new, position, photo, now) for position, photo in enumerate(row_photos)]
            created.append(new)
            changed.append(new)
            counts["created"] += 1
        else:
            changes = {key: value for key, value in plan.clean.items() if getattr(product, key) != value}
            if "name" in changes:
                taken.discard(product.slug)
                changes["slug"] = _free_slug(changes["name"], taken)
                if changes["slug"] == product.slug:
                    del changes["slug"]
            if product.photos and row_photos:
                unused += row_photos  # someone added photos meanwhile: keep theirs
                row_photos = []
            if changes or row_photos:
                for key, value in changes.items():
                    setattr(product, key, value)
                _attach(product, row_photos)
                product.version += 1
                product.updated_at = now
                changed.append(product)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        if plan.photo_errors:  # the row is saved; its photo problems are warnings
            counts["warnings"] += 1
            errors += [(plan.number, column, message, WARNING) for column, message in plan.photo_errors]
    return changed, created, counts, errors, unused


PRODUCT_COLUMNS = tuple(column.name for column in Product.__table__.columns)
PHOTO_COLUMNS = tuple(column.name for column in ProductPhoto.__table__.columns)


def _insert_new(session: Session, created: list[SimpleNamespace]) -> None:
    """The new products and their photos in multi-row INSERTs sent straight to the driver
    (``shared.db.insert_rows``). A concurrent writer's SKU or slug raises IntegrityError."""
    if not created:
        return
    insert_rows(session, Product.__table__, PRODUCT_COLUMNS,
                [tuple(getattr(new, name) for name in PRODUCT_COLUMNS) for new in created])
    photo_rows = [tuple(getattr(photo, name) for name in PHOTO_COLUMNS) for new in created for photo in new.photos]
    insert_rows(session, ProductPhoto.__table__, PHOTO_COLUMNS, photo_rows)


def _photo_row(new: SimpleNamespace, position: int, photo: StoredPhoto, now) -> SimpleNamespace:
    return SimpleNamespace(
        id=photo.id, product_id=new.id, position=position, content_type=photo.content_type, width=photo.width,
        height=photo.height, sha256=photo.sha256, variants=photo.variants, alt=new.name[:200], created_at=now,
    )


def _attach(product: Product, stored: list[StoredPhoto]) -> None:
    for position, photo in enumerate(stored):
        product.photos.append(ProductPhoto(
            id=photo.id, position=position, content_type=photo.content_type, width=photo.width,
            height=photo.height, sha256=photo.sha256, variants=photo.variants, alt=product.name[:200],
            created_at=utcnow(),
        ))
