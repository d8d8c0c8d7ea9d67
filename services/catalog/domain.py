"""The catalog's use cases as plain functions.

Each takes a SQLAlchemy ``Session`` and never commits: the caller (an RPC entry point, the
seeder, a test) commits, so a state change and its outbox event land in one transaction.
Inputs are validated and permissions checked before anything is added to the session, so
a raised error leaves nothing behind. ``actor`` is the caller (``shared.actor.Actor``); who
may do what is checked with ``access``.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from services.catalog import schemas
from services.catalog.access import require_admin, require_owner, require_owns
from services.catalog.media import logo_ref, photo_ref
from services.catalog.models import Merchant, OutboxMessage, Product, new_id
from shared import events
from shared.actor import Actor
from shared.contracts import (
    HIDDEN_MERCHANT_STATUSES,
    CategoryRef,
    MerchantCredentials,
    MerchantRef,
    MerchantSnapshot,
    ProductDeleted,
    ProductSnapshot,
    merchant_listed,
)
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events import Event, utcnow
from shared.messages import t
from shared.outbox import add_event
from shared.regions import REGIONS, region_name
from shared.taxonomy import category_list, leaf_categories

# --- helpers ---


def _iso(moment: datetime) -> str:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def emit_event(session: Session, event_type: str, aggregate_id: str, version: int, payload) -> None:
    """Stage an event (payload: a contract model) in the outbox, in the caller's transaction."""
    emit_event_data(session, event_type, aggregate_id, version, payload.model_dump())


def emit_event_data(session: Session, event_type: str, aggregate_id: str, version: int, payload: dict) -> None:
    """``emit_event`` with the payload already as the contract's dump (an import's batch)."""
    event = Event(type=event_type, aggregate_id=aggregate_id, aggregate_version=version, payload=payload)
    add_event(session, OutboxMessage, event)


def slugify(text: str, max_len: int = 80) -> str:
    """Lowercase ASCII with hyphens: "Kripik Pisang Ambon!" -> "kripik-pisang-ambon"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "produk"


def _unique_slug(session: Session, merchant_id: str, name: str, exclude_product_id: str | None = None) -> str:
    """``slugify(name)``, suffixed -2, -3, ... until unique among the merchant's products
    (deleted ones too: the unique constraint covers them)."""
    base = slugify(name)
    query = select(Product.slug).where(Product.merchant_id == merchant_id, Product.slug.like(f"{base}%"))
    if exclude_product_id is not None:
        query = query.where(Product.id != exclude_product_id)
    taken = set(session.scalars(query))
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


def _parse_version(expected_version) -> int | None:
    """An If-Match version as int: accepts 3, "3", '"3"' and 'W/"3"'."""
    if expected_version is None:
        return None
    if isinstance(expected_version, bool):
        raise ValidationFailed(t("Versi tidak valid."), fields={"version": t("harus berupa angka versi")})
    if isinstance(expected_version, int):
        return expected_version
    text = str(expected_version).strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise ValidationFailed(t("Versi tidak valid."), fields={"version": t("harus berupa angka versi")})
    return int(text)


# --- serialization ---


def merchant_ref(merchant: Merchant) -> MerchantRef:
    return MerchantRef(
        id=merchant.id, name=merchant.name, kind=merchant.kind, region=merchant.region,
        verified=merchant.verified, status=merchant.status,
    )


def halal_valid_on(merchant: Merchant, today: date) -> bool:
    """Whether the merchant holds a halal certificate valid on ``today`` (through its expiry date)."""
    return bool(merchant.halal_number and merchant.halal_expires_on is not None and merchant.halal_expires_on >= today)


def merchant_credentials(merchant: Merchant, today: date | None = None) -> MerchantCredentials:
    today = today or schemas.wita_today()
    return MerchantCredentials(
        nib=merchant.nib,
        pirt_number=merchant.pirt_number,
        halal_number=merchant.halal_number,
        halal_expires_on=merchant.halal_expires_on.isoformat() if merchant.halal_expires_on else None,
        halal_valid=halal_valid_on(merchant, today),
        legal_number=merchant.legal_number,
        member_count=merchant.member_count,
        last_rat_year=merchant.last_rat_year,
    )


def merchant_snapshot(merchant: Merchant, today: date | None = None) -> MerchantSnapshot:
    """``today`` (WITA) decides ``credentials.halal_valid``; default: today."""
    return MerchantSnapshot(
        id=merchant.id,
        owner_id=merchant.owner_id,
        name=merchant.name,
        kind=merchant.kind,
        region=merchant.region,
        region_name=region_name(merchant.region) or "",
        whatsapp=merchant.whatsapp,
        description=merchant.description,
        verified=merchant.verified,
        version=merchant.version,
        created_at=_iso(merchant.created_at),
        updated_at=_iso(merchant.updated_at),
        logo=logo_ref(merchant.logo),
        address=merchant.address or "",
        status=merchant.status,
        status_reason=merchant.status_reason,
        credentials=merchant_credentials(merchant, today),
    )


def merchant_to_dict(merchant: Merchant) -> dict:
    return merchant_snapshot(merchant).model_dump()


def category_ref(slug: str) -> CategoryRef:
    leaf = leaf_categories()[slug]
    return CategoryRef(slug=leaf["slug"], name=leaf["name"], parent_slug=leaf["parent"]["slug"], parent_name=leaf["parent"]["name"])


def product_snapshot(product: Product, merchant: Merchant) -> ProductSnapshot:
    return ProductSnapshot(
        id=product.id,
        merchant_id=product.merchant_id,
        name=product.name,
        slug=product.slug,
        description=product.description,
        price=product.price,
        stock=product.stock,
        unit=product.unit,
        category=category_ref(product.category),
        halal=effective_halal(product, merchant),
        status=product.status,
        region=merchant.region,
        region_name=region_name(merchant.region) or "",
        merchant=merchant_ref(merchant),
        version=product.version,
        created_at=_iso(product.created_at),
        updated_at=_iso(product.updated_at),
        photos=[photo_ref(photo) for photo in product.photos],
        sku=product.sku,
        compare_at_price=product.compare_at_price,
        tags=list(product.tags or []),
        member_business=product.member_business,
    )


def product_snapshot_dicts(products: list, merchant: Merchant) -> list[dict]:
    """``[product_snapshot(p, merchant).model_dump() for p in products]`` for products whose
    values were already validated (an import's chunk), without building three pydantic
    models per product and dumping them again: that was about a sixth of an import's CPU.
    The merchant's part, each category's and each timestamp's text are made once. A test
    keeps the two equal for every field of the contract."""
    merchant_part = merchant_ref(merchant).model_dump()
    region, region_label = merchant.region, region_name(merchant.region) or ""
    halal_active = bool(merchant.halal_active)
    categories: dict[str, dict] = {}
    moments: dict[datetime, str] = {}

    def category(slug: str) -> dict:
        if slug not in categories:
            categories[slug] = category_ref(slug).model_dump()
        return categories[slug]

    def moment(value: datetime) -> str:
        if value not in moments:
            moments[value] = _iso(value)
        return moments[value]

    return [
        {
            "id": product.id,
            "merchant_id": product.merchant_id,
            "name": product.name,
            "slug": product.slug,
            "description": product.description,
            "price": product.price,
            "stock": product.stock,
            "unit": product.unit,
            "category": category(product.category),  # shared by the chunk's snapshots: JSON soon
            "halal": bool(product.halal and halal_active),
            "status": product.status,
            "region": region,
            "region_name": region_label,
            "merchant": merchant_part,
            "version": product.version,
            "created_at": moment(product.created_at),
            "updated_at": moment(product.updated_at),
            "sku": product.sku,
            "compare_at_price": product.compare_at_price,
            "tags": list(product.tags or []),
            "photos": [photo_ref(photo).model_dump() for photo in product.photos],
            "member_business": product.member_business,
        }
        for product in products
    ]


def effective_halal(product: Product, merchant: Merchant) -> bool:
    """A product shows the halal mark only while its merchant's certificate is valid."""
    return bool(product.halal and merchant.halal_active)


def product_to_dict(product: Product, merchant: Merchant) -> dict:
    """The JSON-ready product the gateway shows: the snapshot with a flat category, plus
    what the owner entered (``halal_claimed``) beside the effective ``halal``."""
    data = product_snapshot(product, merchant).model_dump()
    data["halal_claimed"] = product.halal
    category = data.pop("category")
    data["category"] = category["slug"]
    data["category_name"] = category["name"]
    data["category_parent"] = category["parent_slug"]
    data["category_parent_name"] = category["parent_name"]
    return data


# --- merchants ---


def register_merchant(session: Session, actor: Actor, data) -> dict:
    owner_id = require_owner(actor)
    clean = schemas.validate_merchant(data)
    now = utcnow()
    merchant = Merchant(
        id=new_id(), owner_id=owner_id, status="pending", version=1, created_at=now, updated_at=now,
        **{"address": "", **clean},
    )
    merchant.halal_active = halal_valid_on(merchant, schemas.wita_today())
    session.add(merchant)
    emit_event(session, events.MERCHANT_REGISTERED, merchant.id, merchant.version, merchant_snapshot(merchant))
    return merchant_to_dict(merchant)


def _load_merchant(session: Session, merchant_id) -> Merchant:
    merchant = session.get(Merchant, merchant_id) if isinstance(merchant_id, str) else None
    if merchant is None:
        raise NotFound(t("Usaha tidak ditemukan."), fields={"merchant_id": str(merchant_id)})
    return merchant


def load_owned_merchant(session: Session, actor: Actor, merchant_id) -> Merchant:
    """The merchant ``actor`` (its owner) may change; 403 for anyone else, 404 if unknown."""
    owner_id = require_owner(actor)
    merchant = _load_merchant(session, merchant_id)
    require_owns(owner_id, merchant)
    return merchant


def get_merchant(session: Session, merchant_id) -> dict:
    return merchant_to_dict(_load_merchant(session, merchant_id))


# --- merchants: changes, verification, halal expiry ---

MERCHANT_STATUSES = ("pending", "verified", "rejected", "suspended")
STATUS_LABELS = {"pending": t("menunggu verifikasi"), "verified": t("terverifikasi"), "rejected": t("ditolak"),
                 "suspended": t("dibekukan")}
# decision -> (the statuses it applies to, the status it leads to)
VERIFICATION_TRANSITIONS = {
    "verified": (("pending", "rejected"), "verified"),  # rejected -> verified: a re-review
    "rejected": (("pending",), "rejected"),
    "suspended": (("verified",), "suspended"),
    "reinstated": (("suspended",), "verified"),
}
DECISION_EVENTS = {
    "verified": events.MERCHANT_VERIFIED,
    "rejected": events.MERCHANT_REJECTED,
    "suspended": events.MERCHANT_SUSPENDED,
    "reinstated": events.MERCHANT_REINSTATED,
}
# What products show of their merchant (MerchantRef): a change re-publishes every live product.
PRODUCT_VISIBLE_MERCHANT_FIELDS = ("name", "region", "kind")
# The verified badge means the Dinas checked these as they are now: changing one sends a
# verified merchant back to "pending" until an admin decides again (re-verification).
REVIEWED_FIELDS = ("name", "nib", "pirt_number", "halal_number", "legal_number")


def _lock_merchant(session: Session, merchant_id) -> Merchant:
    """The merchant, row-locked until commit (PostgreSQL; SQLite writers take turns anyway)."""
    merchant = session.get(Merchant, merchant_id, with_for_update=True) if isinstance(merchant_id, str) else None
    if merchant is None:
        raise NotFound(t("Usaha tidak ditemukan."), fields={"merchant_id": str(merchant_id)})
    return merchant


def _check_merchant_version(merchant: Merchant, expected_version) -> None:
    expected = _parse_version(expected_version)
    if expected is not None and expected != merchant.version:
        raise Conflict(
            t("Data usaha sudah diubah orang lain; versi saat ini adalah %(version)s. Muat ulang lalu coba lagi.",
              version=merchant.version),
            fields={"version": str(merchant.version)},
        )


def _record_merchant_change(session: Session, merchant: Merchant, event_type: str, today: date | None = None) -> None:
    """One change of the merchant: a new version and its event with the full snapshot."""
    merchant.version += 1
    merchant.updated_at = utcnow()
    emit_event(session, event_type, merchant.id, merchant.version, merchant_snapshot(merchant, today))


def republish_products(session: Session, merchant: Merchant, halal_only: bool = False) -> int:
    """Give every live product of ``merchant`` a new version and a product event, so search
    and promotion see what changed about the merchant (its name, region, status, effective
    halal). ``halal_only``: only the products that claim halal. Returns how many."""
    query = select(Product).where(Product.merchant_id == merchant.id, Product.deleted_at.is_(None))
    if halal_only:
        query = query.where(Product.halal.is_(True))
    products = list(session.scalars(query.order_by(Product.created_at, Product.id)))
    for product in products:
        record_product_change(session, product)
    return len(products)


def update_merchant(session: Session, actor: Actor, merchant_id, data, expected_version=None) -> dict:
    """The owner changes the profile and/or the credentials. A profile change publishes
    catalog.merchant_updated, a credential change catalog.merchant_credentials_changed
    (both, each with its own version, when a patch touches both)."""
    owner_id = require_owner(actor)
    merchant = _lock_merchant(session, merchant_id)
    require_owns(owner_id, merchant)
    current = {"kind": merchant.kind, "halal_number": merchant.halal_number, "halal_expires_on": merchant.halal_expires_on}
    changes = schemas.validate_merchant_patch(data, current=current)
    _check_merchant_version(merchant, expected_version)
    changes = {field: value for field, value in changes.items() if getattr(merchant, field) != value}
    if not changes:
        return merchant_to_dict(merchant)  # nothing changed: no new version, no event
    sent_back = _note_review_changes(merchant, changes, owner_id)
    for field, value in changes.items():
        setattr(merchant, field, value)
    halal_before = merchant.halal_active
    merchant.halal_active = halal_valid_on(merchant, schemas.wita_today())
    # The events carry the snapshot: a merchant sent back to review is "pending" in both.
    if any(field in schemas.MERCHANT_PROFILE_FIELDS for field in changes):
        _record_merchant_change(session, merchant, events.MERCHANT_UPDATED)
    if any(field in schemas.CREDENTIAL_FIELDS for field in changes):
        _record_merchant_change(session, merchant, events.MERCHANT_CREDENTIALS_CHANGED)
    if sent_back or any(field in PRODUCT_VISIBLE_MERCHANT_FIELDS for field in changes):
        republish_products(session, merchant)  # the products' merchant.verified follows
    elif merchant.halal_active != halal_before:
        republish_products(session, merchant, halal_only=True)
    return merchant_to_dict(merchant)


def _review_value(value):
    return value.isoformat() if isinstance(value, date) else value


def _note_review_changes(merchant: Merchant, changes: dict, owner_id: str) -> bool:
    """Re-verification, before ``changes`` are applied: a verified merchant changing one of
    ``REVIEWED_FIELDS`` goes back to "pending" with the list of what changed (field, old,
    new); a merchant already waiting for re-verification adds to that list (the first old
    value stays; a field changed back drops out). Rejected and suspended merchants stay as
    they are. Returns whether the status changed."""
    reviewed = [field for field in REVIEWED_FIELDS if field in changes]
    if not reviewed:
        return False
    if merchant.status == "verified":
        listed: list[dict] = []
    elif merchant.status == "pending" and merchant.review_changes is not None:
        listed = [dict(entry) for entry in merchant.review_changes]
    else:
        return False
    by_field = {entry["field"]: entry for entry in listed}
    for field in reviewed:
        entry = by_field.get(field)
        if entry is None:
            entry = by_field[field] = {"field": field, "old": _review_value(getattr(merchant, field))}
            listed.append(entry)
        entry["new"] = _review_value(changes[field])
    merchant.review_changes = [entry for entry in listed if entry["old"] != entry["new"]]
    if merchant.status == "pending":
        return False
    merchant.status = "pending"
    merchant.status_reason = None
    merchant.status_changed_at = utcnow()
    merchant.status_changed_by = owner_id
    return True


def decide_verification(session: Session, actor: Actor, merchant_id, decision, reason=None) -> dict:
    """An admin verifies, rejects, suspends or reinstates a merchant; its products follow
    (a suspended merchant's products leave search)."""
    admin_id = require_admin(actor)
    decision, reason = schemas.validate_verification(decision, reason)
    merchant = _lock_merchant(session, merchant_id)
    allowed_from, new_status = VERIFICATION_TRANSITIONS[decision]
    if merchant.status not in allowed_from:
        label = STATUS_LABELS.get(merchant.status, merchant.status)
        raise Conflict(
            t("Keputusan '%(decision)s' tidak berlaku untuk usaha berstatus '%(status)s' (%(label)s).",
              decision=decision, status=merchant.status, label=label),
            fields={"decision": t("tidak berlaku untuk status '%(status)s'", status=merchant.status),
                    "status": merchant.status},
        )
    merchant.status = new_status
    merchant.status_reason = reason
    merchant.review_changes = None  # decided: nothing is waiting for review any more
    merchant.status_changed_at = utcnow()
    merchant.status_changed_by = admin_id
    _record_merchant_change(session, merchant, DECISION_EVENTS[decision])
    republish_products(session, merchant)
    return merchant_to_dict(merchant)


def list_merchants_by_status(session: Session, actor: Actor, status="pending", page: int = 1, per_page: int = 50,
                             region=None) -> dict:
    """The admin's queue: merchants with ``status`` (in kabupaten/kota ``region`` when given),
    oldest first. Each carries ``changes``: what it changed since it was verified, when that
    sent it back to review ([{"field", "old", "new"}], else [])."""
    require_admin(actor)
    errors = {}
    if status not in MERCHANT_STATUSES:
        errors["status"] = t("harus 'pending', 'verified', 'rejected' atau 'suspended'")
    if region is not None and region not in REGIONS:
        errors["region"] = t("kode kabupaten/kota tidak dikenal")
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
        errors["page"] = t("harus bilangan bulat 1 sampai %(max)s", max=MAX_PAGE)
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = t("harus bilangan bulat 1 sampai %(max)s", max=MAX_PER_PAGE)
    if errors:
        raise ValidationFailed(t("Parameter tidak valid."), errors)
    where = [Merchant.status == status] + ([Merchant.region == region] if region is not None else [])
    total = session.scalar(select(func.count()).select_from(Merchant).where(*where)) or 0
    merchants = session.scalars(
        select(Merchant)
        .where(*where)
        .order_by(Merchant.created_at, Merchant.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [{**merchant_to_dict(m), "changes": list(m.review_changes or [])} for m in merchants]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def expire_halal_certificates(session: Session, today: date | None = None) -> int:
    """Merchants whose halal certificate expired before ``today`` (WITA) lose the halal mark:
    catalog.merchant_credentials_changed, and a product event for each product that claims
    halal. Returns how many merchants. The caller commits."""
    today = today or schemas.wita_today()
    query = (
        select(Merchant)
        .where(Merchant.halal_active.is_(True), Merchant.halal_expires_on < today)
        .order_by(Merchant.id)
        .with_for_update(skip_locked=True)
    )
    merchants = list(session.scalars(query))
    for merchant in merchants:
        merchant.halal_active = False
        _record_merchant_change(session, merchant, events.MERCHANT_CREDENTIALS_CHANGED, today)
        republish_products(session, merchant, halal_only=True)
    return len(merchants)


def list_owner_merchants(session: Session, owner_id: str) -> list[dict]:
    """The businesses an account owns (for the seller dashboard)."""
    merchants = session.scalars(select(Merchant).where(Merchant.owner_id == owner_id).order_by(Merchant.created_at))
    return [merchant_to_dict(m) for m in merchants]


# --- products ---


def create_product(session: Session, actor: Actor, data) -> dict:
    owner_id = require_owner(actor)
    clean = schemas.validate_product_create(data)
    merchant = session.get(Merchant, clean["merchant_id"])
    if merchant is None:
        raise ValidationFailed(schemas.INVALID, fields={"merchant_id": t("usaha tidak ditemukan")})
    require_owns(owner_id, merchant)
    _check_product_rules(session, merchant, clean)
    now = utcnow()
    product = Product(
        id=new_id(),
        slug=_unique_slug(session, merchant.id, clean["name"]),
        version=1,
        created_at=now,
        updated_at=now,
        deleted_at=None,
        **clean,
    )
    session.add(product)
    event_type = events.PRODUCT_PUBLISHED if product.status == "published" else events.PRODUCT_UPDATED
    emit_event(session, event_type, product.id, product.version, product_snapshot(product, merchant))
    return product_to_dict(product, merchant)


def _check_product_rules(session: Session, merchant: Merchant, values: dict, product: Product | None = None) -> None:
    """Rules that need the merchant or the stored product: member businesses are for
    koperasi, a SKU is unique per merchant, and the "was" price stays above the price."""
    errors = {}
    if values.get("member_business") and merchant.kind != "koperasi":
        errors["member_business"] = t("hanya koperasi yang dapat menjual atas nama anggota")
    sku = values.get("sku")
    if sku:
        query = select(Product.id).where(Product.merchant_id == merchant.id, Product.sku == sku)
        if product is not None:
            query = query.where(Product.id != product.id)
        if session.scalar(query) is not None:
            errors["sku"] = t("SKU ini sudah dipakai produk lain milik usaha Anda")
    if errors:
        raise ValidationFailed(schemas.INVALID, fields=errors)
    price = values.get("price", product.price if product else None)
    compare_at = values.get("compare_at_price", product.compare_at_price if product else None)
    schemas.check_prices_together(price, compare_at)


def _load_product(session: Session, product_id) -> Product:
    product = session.get(Product, product_id) if isinstance(product_id, str) else None
    if product is None or product.deleted_at is not None:
        raise NotFound(t("Produk tidak ditemukan."), fields={"product_id": str(product_id)})
    return product


def get_product(session: Session, product_id) -> dict:
    product = _load_product(session, product_id)
    return product_to_dict(product, product.merchant)


def _check_version(product: Product, expected_version) -> None:
    expected = _parse_version(expected_version)
    if expected is not None and expected != product.version:
        raise Conflict(
            t("Produk sudah diubah orang lain; versi saat ini adalah %(version)s. Muat ulang lalu coba lagi.",
              version=product.version),
            fields={"version": str(product.version)},
        )


def _flush_versioned(session: Session, product: Product) -> None:
    # Flush now so a concurrent writer that bumped the version first surfaces as a Conflict
    # here rather than as a StaleDataError at commit.
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            t("Produk baru saja diubah orang lain. Muat ulang lalu coba lagi."), fields={"version": t("berubah")}
        ) from None


def update_product(session: Session, actor: Actor, product_id, data, expected_version=None) -> dict:
    owner_id = require_owner(actor)
    changes = schemas.validate_product_patch(data)
    product = _load_product(session, product_id)
    merchant = product.merchant
    require_owns(owner_id, merchant)
    _check_version(product, expected_version)
    changes = {field: value for field, value in changes.items() if getattr(product, field) != value}
    if not changes:
        return product_to_dict(product, merchant)  # nothing changed: no new version, no event
    _check_product_rules(session, merchant, changes, product)
    if "name" in changes:
        changes["slug"] = _unique_slug(session, merchant.id, changes["name"], exclude_product_id=product.id)
    previous_status = product.status
    for field, value in changes.items():
        setattr(product, field, value)
    return record_product_change(session, product, previous_status)


def product_event_type(previous_status: str | None, status: str) -> str:
    """Which event a change of a product publishes, from its status before and after."""
    if status == "published":
        return events.PRODUCT_PUBLISHED if previous_status != "published" else events.PRODUCT_UPDATED
    if previous_status == "published":
        return events.PRODUCT_UNPUBLISHED
    return events.PRODUCT_UPDATED


def record_product_change(session: Session, product: Product, previous_status: str | None = None) -> dict:
    """After changing ``product`` (its fields, its photos): bump the version, check for a
    concurrent writer, and stage the event that fits the status change. Returns the product
    as the API shows it. For callers outside this module (photos, imports)."""
    previous = product.status if previous_status is None else previous_status
    product.version += 1
    product.updated_at = utcnow()
    _flush_versioned(session, product)
    merchant = product.merchant
    emit_event(
        session, product_event_type(previous, product.status), product.id, product.version,
        product_snapshot(product, merchant),
    )
    return product_to_dict(product, merchant)


def load_owned_product(session: Session, actor: Actor, product_id, expected_version=None) -> Product:
    """The live product ``actor`` (an owner) may change, at ``expected_version`` if given."""
    owner_id = require_owner(actor)
    product = _load_product(session, product_id)
    require_owns(owner_id, product.merchant)
    _check_version(product, expected_version)
    return product


def delete_product(session: Session, actor: Actor, product_id, expected_version=None) -> dict:
    """Soft delete: the row stays so the version keeps growing and slugs stay reserved."""
    owner_id = require_owner(actor)
    product = _load_product(session, product_id)
    require_owns(owner_id, product.merchant)
    _check_version(product, expected_version)
    now = utcnow()
    product.version += 1
    product.deleted_at = now
    product.updated_at = now
    _flush_versioned(session, product)
    payload = ProductDeleted(id=product.id, merchant_id=product.merchant_id, version=product.version)
    emit_event(session, events.PRODUCT_DELETED, product.id, product.version, payload)
    return payload.model_dump()


MAX_PER_PAGE = 100
# A page past this is refused: its offset would overflow the database's 64-bit integers (found
# by schemathesis: page=10**34 was a 502).
MAX_PAGE = 1_000_000


def list_merchant_products(session: Session, merchant_id, page: int = 1, per_page: int = 50,
                           actor: Actor | None = None) -> dict:
    """One page of a merchant's products, newest first: {"items", "total", "page", "per_page"}.

    Its owner (and an admin) sees every product, drafts and archived ones too; anyone else sees
    only what buyers may see: published products of a merchant that is neither rejected nor
    suspended (what search lists)."""
    errors = {}
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
        errors["page"] = t("harus bilangan bulat 1 sampai %(max)s", max=MAX_PAGE)
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = t("harus bilangan bulat 1 sampai %(max)s", max=MAX_PER_PAGE)
    if errors:
        raise ValidationFailed(t("Parameter halaman tidak valid."), errors)
    merchant = _load_merchant(session, merchant_id)
    live: tuple = (Product.merchant_id == merchant.id, Product.deleted_at.is_(None))
    insider = isinstance(actor, dict) and (actor.get("role") == "admin" or actor.get("id") == merchant.owner_id)
    if not insider:
        if not merchant_listed(merchant.status):
            return {"items": [], "total": 0, "page": page, "per_page": per_page}
        live = (*live, Product.status == "published")
    total = session.scalar(select(func.count()).select_from(Product).where(*live)) or 0
    products = session.scalars(
        select(Product)
        .where(*live)
        .options(selectinload(Product.photos))  # one query for every product's photos
        .order_by(Product.created_at.desc(), Product.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return {
        "items": [product_to_dict(product, merchant) for product in products],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def list_categories() -> list[dict]:
    return category_list()


MAX_EXPORT = 1000


def export_products(session: Session, after_id=None, limit: int = 500) -> dict:
    """Live (not deleted) products ordered by id after ``after_id``, as product snapshots
    (each with its version): what search compares its index with and rebuilds it from.
    ``{"items": [...], "next_after": last id or None when this was the last page}``."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_EXPORT:
        raise ValidationFailed(t("Parameter tidak valid."), {"limit": t("harus bilangan bulat 1 sampai %(max)s", max=MAX_EXPORT)})
    query = select(Product, Merchant).join(Merchant, Merchant.id == Product.merchant_id).where(
        Product.deleted_at.is_(None))
    if after_id is not None:
        query = query.where(Product.id > str(after_id))
    rows = session.execute(
        query.options(selectinload(Product.photos)).order_by(Product.id).limit(limit)
    ).all()
    items = [product_snapshot(product, merchant).model_dump(mode="json") for product, merchant in rows]
    total = session.scalar(select(func.count()).select_from(Product).where(Product.deleted_at.is_(None))) or 0
    return {"items": items, "total": total, "next_after": items[-1]["id"] if len(items) == limit else None}


# --- the province dashboard (admin) ---

MERCHANT_KINDS = ("umkm", "koperasi")
RAT_DEADLINE_MONTH = 7  # the RAT for book year Y is due by 30 June of Y + 1
MAX_SUMMARY_KOPERASI = 2000


def rat_status(last_rat_year: int | None, today: date) -> str:
    """``"up_to_date"`` when the koperasi held its RAT this year, or last year while this
    year's is not yet due (before 1 July, WITA); ``"late"`` otherwise (or never reported)."""
    if last_rat_year is None:
        return "late"
    if last_rat_year >= today.year:
        return "up_to_date"
    if last_rat_year == today.year - 1 and today.month < RAT_DEADLINE_MONTH:
        return "up_to_date"
    return "late"


def province_summary(session: Session, actor: Actor, today: date | None = None) -> dict:
    """The admin's province dashboard: for each of the 17 kabupaten/kota the merchants by
    kind and by status and the published products buyers can see (live, merchant neither
    rejected nor suspended); and every koperasi with its RAT status (late ones first)."""
    require_admin(actor)
    today = today or schemas.wita_today()

    def empty(code: str, name: str) -> dict:
        return {"code": code, "name": name, "merchants": 0, "products": 0,
                "kinds": dict.fromkeys(MERCHANT_KINDS, 0), "statuses": dict.fromkeys(MERCHANT_STATUSES, 0)}

    regions = {code: empty(code, name) for code, name in REGIONS.items()}
    rows = session.execute(
        select(Merchant.region, Merchant.kind, Merchant.status, func.count()).group_by(
            Merchant.region, Merchant.kind, Merchant.status)
    ).all()
    for region, kind, status, count in rows:
        entry = regions.setdefault(region, empty(region, region_name(region) or region))
        entry["merchants"] += count
        entry["kinds"][kind] = entry["kinds"].get(kind, 0) + count
        entry["statuses"][status] = entry["statuses"].get(status, 0) + count
    product_rows = session.execute(
        select(Merchant.region, func.count(Product.id))
        .join(Merchant, Merchant.id == Product.merchant_id)
        .where(Product.deleted_at.is_(None), Product.status == "published",
               Merchant.status.not_in(sorted(HIDDEN_MERCHANT_STATUSES)))
        .group_by(Merchant.region)
    ).all()
    for region, count in product_rows:
        regions.setdefault(region, empty(region, region_name(region) or region))["products"] += count

    koperasi = []
    for merchant in session.scalars(
        select(Merchant).where(Merchant.kind == "koperasi", Merchant.status != "rejected")
        .order_by(Merchant.region, Merchant.name, Merchant.id).limit(MAX_SUMMARY_KOPERASI)
    ):
        koperasi.append({
            "id": merchant.id, "name": merchant.name, "region": merchant.region,
            "region_name": region_name(merchant.region) or merchant.region, "status": merchant.status,
            "member_count": merchant.member_count, "last_rat_year": merchant.last_rat_year,
            "rat_status": rat_status(merchant.last_rat_year, today),
        })
    koperasi.sort(key=lambda k: k["rat_status"] != "late")  # stable: late first, then by region and name
    listed = list(regions.values())
    totals = {"merchants": sum(r["merchants"] for r in listed), "products": sum(r["products"] for r in listed),
              "koperasi": len(koperasi), "rat_late": sum(1 for k in koperasi if k["rat_status"] == "late")}
    return {"year": today.year, "today": today.isoformat(), "regions": listed, "totals": totals,
            "koperasi": koperasi}
