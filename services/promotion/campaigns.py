"""Campaigns of the promotion service: validation, targeting, membership, the status machine,
statistics, featured slots and the RPC-level operations (plain functions over a session;
``service.py`` only calls them and commits).

Status machine::

    draft --schedule--> scheduled --starts_at--> active --ends_at--> ended
      \\______________________\\_____________________\\--cancel--> cancelled

``advance(session, now)`` (the service's timer, every ``campaign_tick`` seconds and once at
start-up) moves campaigns whose start or end has passed, also one that passed while the
service was down. Transitions are guarded updates (``UPDATE ... WHERE status = <from>``), so
two timers, or a timer and a cancel, never both apply one.

Membership is materialised when a campaign activates: the products the targeting selects
(all criteria must hold; a parent category includes its children), minus the products their
owners opted out, only the signed-up ones when the campaign is ``open_for_signup``, and at
most ``max_products`` of them in product-id order. While it is active, catalog changes move
products in and out (``refresh_products``). A product that leaves keeps its member row with
``left_at`` set, so statistics still count it.

What can be edited (``update_campaign``):
- draft and scheduled: every field (the whole campaign is validated again; a start moved
  into the past is refused, a start within the grace period activates at once);
- active: only ``name``, ``description``, ``ends_at`` (not before now, still after the
  start), ``budget`` (not below what is spent; raising it above the spent amount makes a
  campaign discount again) and ``max_products`` (not below the current product count;
  raising it lets more matching products join). Window start, discount, featured, targeting,
  sign-up and funder are fixed once buyers have seen the campaign: changing them would
  silently change prices already shown. Anything else answers 409 Conflict naming the field;
- ended and cancelled: nothing (409 Conflict).

Budget: the discount a campaign gives is not known (buyers pay the seller over WhatsApp, off
the platform), so it is *estimated*: every WhatsApp contact click on a product whose current
pricing comes from a discount campaign counts as one sale at that discount, adding
(normal - effective price) to the campaign's ``budget_spent`` (``record_contacts``, called
from the interactions path). Once spent >= budget the campaign is ``budget_exhausted``: it
stops discounting (its members are repriced; a featured badge stays) and the detail says so.
Campaigns without a budget keep the same estimate as ``discount_given``.

Ties between campaigns that give the same price are broken by ``pricing.best_pricing``:
the earlier start, then the smaller campaign id.
"""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

from sqlalchemy import and_, delete, exists, false, func, or_, select, update
from sqlalchemy.orm import Session

from shared.taxonomy import ALL_SLUGS
from services.promotion.models import (Campaign, CampaignMember, CampaignOptOut, CampaignSignup, MerchantFact,
                                       Outbox, ProductFact, ProductInteractionDay, ProductPricingState)
from services.promotion.pricing import Offer, Pricing, best_pricing, discounted_price
from shared.formatting import WITA, format_wita, iso_utc
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from shared.events import PRICING_CHANGED, Event
from shared.outbox import PENDING
from shared.regions import REGIONS

UTC = timezone.utc
START_GRACE = timedelta(minutes=5)  # a start this far in the past is still accepted (clock skew, slow forms)
STATUSES = ("draft", "scheduled", "active", "ended", "cancelled")
OPEN_STATUSES = ("draft", "scheduled", "active")
DISCOUNT_TYPES = ("percent", "fixed")
FUNDERS = ("seller", "promoter", "pemda")
MERCHANT_KINDS = ("umkm", "koperasi")
NAME_MIN, NAME_MAX = 3, 120
DESCRIPTION_MAX = 2000
MAX_TARGET_PRODUCTS = 1000
MAX_PRODUCTS_LIMIT = 100_000
MAX_FIXED_DISCOUNT = 1_000_000_000
MAX_BUDGET = 1_000_000_000_000
MAX_PER_PAGE = 100
MAX_PRICING_IDS = 100
MAX_SLOTS = 50
CHUNK = 500  # ids per IN (...) list
ACTIVE_EDITABLE = ("name", "description", "ends_at", "budget", "max_products")
EDITABLE = ("name", "description", "starts_at", "ends_at", "discount", "featured", "target", "max_products",
            "budget", "funded_by", "open_for_signup")

CATEGORIES = ALL_SLUGS  # a campaign targets parent or leaf categories


# ---------------------------------------------------------------------------- time helpers

def aware(moment: datetime | None) -> datetime | None:
    """UTC-aware (SQLite returns stored UTC times naive)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def wita_day(moment: datetime) -> date:
    return aware(moment).astimezone(WITA).date()


def parse_time(value, field: str, errors: dict) -> datetime | None:
    if value is None or value == "":
        errors[field] = "Wajib diisi (ISO 8601 dengan zona waktu, mis. 2026-12-03T08:00:00+08:00)."
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            errors[field] = "Format waktu tidak valid; gunakan ISO 8601, mis. 2026-12-03T08:00:00+08:00."
            return None
    else:
        errors[field] = "Harus berupa teks waktu ISO 8601."
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        errors[field] = "Waktu harus menyertakan zona waktu (mis. +08:00 untuk WITA atau Z untuk UTC)."
        return None
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------- actors

def _actor(actor) -> tuple[str, str]:
    if not isinstance(actor, dict) or not actor.get("id"):
        raise Unauthorized()
    return str(actor["id"]), str(actor.get("role") or "")


def _promoter(actor) -> tuple[str, str]:
    actor_id, role = _actor(actor)
    if role not in ("promoter", "admin"):
        raise Forbidden("Hanya promotor dan admin yang dapat mengelola kampanye.")
    return actor_id, role


def _campaign_for(session: Session, actor, campaign_id, lock: bool = False) -> Campaign:
    """The campaign the actor may manage: a promoter's own, any for an admin; another
    promoter's campaign is NotFound (its existence is not disclosed)."""
    actor_id, role = _promoter(actor)
    campaign = _get(session, campaign_id, lock)
    if campaign is None or (role != "admin" and campaign.owner_id != actor_id):
        raise NotFound("Kampanye tidak ditemukan.", {"campaign_id": "tidak ditemukan"})
    return campaign


def _get(session: Session, campaign_id, lock: bool = False) -> Campaign | None:
    if not isinstance(campaign_id, str) or not campaign_id:
        return None
    query = select(Campaign).where(Campaign.id == campaign_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


# ---------------------------------------------------------------------------- validation

def _int(value, field: str, errors: dict, low: int, high: int, message: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = message
        return None
    return value


def _bool(value, field: str, errors: dict, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        errors[field] = "Harus true atau false."
        return default
    return value


def _string_list(value, field: str, errors: dict) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        errors[field] = "Harus berupa daftar teks."
        return []
    seen: dict[str, None] = {}
    for item in value:
        seen.setdefault(item.strip(), None)
    return list(seen)


def validate_target(target, errors: dict) -> dict:
    if target is None:
        target = {}
    if not isinstance(target, dict):
        errors["target"] = "Harus berupa objek penargetan."
        return {}
    product_ids = _string_list(target.get("product_ids"), "target.product_ids", errors)
    if len(product_ids) > MAX_TARGET_PRODUCTS:
        errors["target.product_ids"] = f"Paling banyak {MAX_TARGET_PRODUCTS} produk."
    categories = _string_list(target.get("categories"), "target.categories", errors)
    unknown = [slug for slug in categories if slug not in CATEGORIES]
    if unknown:
        errors["target.categories"] = f"Kategori tidak dikenal: {', '.join(unknown[:5])}."
    regions = _string_list(target.get("regions"), "target.regions", errors)
    unknown = [code for code in regions if code not in REGIONS]
    if unknown:
        errors["target.regions"] = f"Kabupaten/kota tidak dikenal: {', '.join(unknown[:5])} (gunakan kode BPS, mis. 7402)."
    kind = target.get("merchant_kind")
    if kind in ("", None):
        kind = None
    elif kind not in MERCHANT_KINDS:
        errors["target.merchant_kind"] = "Harus 'umkm' atau 'koperasi'."
        kind = None
    verified_only = _bool(target.get("verified_only"), "target.verified_only", errors)
    result = {"product_ids": product_ids, "categories": categories, "regions": regions,
              "merchant_kind": kind, "verified_only": verified_only}
    if not any(result.values()) and not any(key.startswith("target") for key in errors):
        errors["target"] = ("Pilih minimal satu kriteria: daftar produk, kategori, kabupaten/kota, "
                            "jenis usaha atau hanya usaha terverifikasi.")
    return result


def validate_campaign(data, now: datetime, check_start: bool = True) -> dict:
    """The campaign fields from create/update input; ValidationFailed names every bad field."""
    if not isinstance(data, dict):
        raise ValidationFailed("Data kampanye tidak valid.", {"data": "Harus berupa objek."})
    errors: dict[str, str] = {}
    name = data.get("name")
    if not isinstance(name, str) or not NAME_MIN <= len(name.strip()) <= NAME_MAX:
        errors["name"] = f"Nama kampanye wajib diisi, {NAME_MIN} sampai {NAME_MAX} karakter."
    description = data.get("description")
    if description is None:
        description = ""
    if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Deskripsi berupa teks, paling banyak {DESCRIPTION_MAX} karakter."
        description = ""
    starts_at = parse_time(data.get("starts_at"), "starts_at", errors)
    ends_at = parse_time(data.get("ends_at"), "ends_at", errors)
    if starts_at and check_start and starts_at < now - START_GRACE:
        errors["starts_at"] = "Waktu mulai sudah lewat; pilih waktu sekarang atau yang akan datang."
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = "Waktu selesai harus setelah waktu mulai."
    elif ends_at and ends_at <= now:
        errors["ends_at"] = "Waktu selesai sudah lewat."

    discount = data.get("discount")
    discount_type, discount_value = None, 0
    if discount is not None:
        if not isinstance(discount, dict):
            errors["discount"] = "Harus berupa objek {type, value} atau null."
        else:
            discount_type = discount.get("type")
            value = discount.get("value")
            if discount_type not in DISCOUNT_TYPES:
                errors["discount.type"] = "Harus 'percent' atau 'fixed'."
                discount_type = None
            if isinstance(value, bool) or not isinstance(value, int):
                errors["discount.value"] = "Harus bilangan bulat."
            elif discount_type == "percent" and not 1 <= value <= 90:
                errors["discount.value"] = "Diskon persen harus 1 sampai 90."
            elif discount_type == "fixed" and not 1 <= value <= MAX_FIXED_DISCOUNT:
                errors["discount.value"] = "Potongan harga minimal Rp 1."
            else:
                discount_value = value
    featured = _bool(data.get("featured"), "featured", errors)
    if discount is None and not featured and "featured" not in errors:
        errors["discount"] = "Kampanye harus memberi diskon atau menampilkan produk unggulan (featured)."

    target = validate_target(data.get("target"), errors)
    max_products = _int(data.get("max_products"), "max_products", errors, 1, MAX_PRODUCTS_LIMIT,
                        f"Jumlah produk maksimum harus 1 sampai {MAX_PRODUCTS_LIMIT}.")
    budget = _int(data.get("budget"), "budget", errors, 1, MAX_BUDGET, "Anggaran minimal Rp 1.")
    funded_by = data.get("funded_by")
    if funded_by in (None, ""):
        funded_by = "promoter" if budget is not None else None
    elif funded_by not in FUNDERS:
        errors["funded_by"] = "Harus 'seller', 'promoter' atau 'pemda'."
    open_for_signup = _bool(data.get("open_for_signup"), "open_for_signup", errors)
    if errors:
        raise ValidationFailed("Data kampanye tidak valid.", errors)
    return {
        "name": name.strip(), "description": description.strip(), "starts_at": starts_at, "ends_at": ends_at,
        "discount_type": discount_type, "discount_value": discount_value, "featured": featured,
        "target_product_ids": target["product_ids"], "target_categories": target["categories"],
        "target_regions": target["regions"], "target_merchant_kind": target["merchant_kind"],
        "target_verified_only": target["verified_only"], "max_products": max_products,
        "budget": budget, "funded_by": funded_by, "open_for_signup": open_for_signup,
    }


def campaign_input(campaign: Campaign) -> dict:
    """A campaign as create input (to merge an update into)."""
    return {
        "name": campaign.name, "description": campaign.description, "starts_at": aware(campaign.starts_at),
        "ends_at": aware(campaign.ends_at), "discount": _discount(campaign), "featured": campaign.featured,
        "target": _target(campaign), "max_products": campaign.max_products, "budget": campaign.budget,
        "funded_by": campaign.funded_by, "open_for_signup": campaign.open_for_signup,
    }


# ---------------------------------------------------------------------------- targeting

def target_conditions(campaign: Campaign) -> list:
    conditions = []
    if campaign.target_product_ids:
        conditions.append(ProductFact.id.in_(list(campaign.target_product_ids)))
    if campaign.target_categories:
        categories = list(campaign.target_categories)
        conditions.append(or_(ProductFact.category.in_(categories), ProductFact.parent_category.in_(categories)))
    if campaign.target_regions:
        conditions.append(ProductFact.region.in_(list(campaign.target_regions)))
    if campaign.target_merchant_kind:
        conditions.append(ProductFact.merchant_kind == campaign.target_merchant_kind)
    if campaign.target_verified_only:
        conditions.append(ProductFact.merchant_verified.is_(True))
    return conditions or [false()]


def eligible_query(campaign: Campaign, restrict: list[str] | None = None):
    """Product ids the campaign may include now, in the deterministic order (product id):
    targeting, minus opt-outs, only sign-ups when the campaign invites sign-ups."""
    query = select(ProductFact.id).where(*target_conditions(campaign))
    if restrict is not None:
        query = query.where(ProductFact.id.in_(restrict))
    query = query.where(~exists().where(CampaignOptOut.campaign_id == campaign.id,
                                        CampaignOptOut.product_id == ProductFact.id))
    if campaign.open_for_signup:
        query = query.where(exists().where(CampaignSignup.campaign_id == campaign.id,
                                           CampaignSignup.product_id == ProductFact.id))
    return query.order_by(ProductFact.id)


def matches_target(session: Session, campaign: Campaign, product_id: str) -> bool:
    return session.scalar(select(ProductFact.id).where(ProductFact.id == product_id,
                                                       *target_conditions(campaign))) is not None


def selection(session: Session, campaign: Campaign) -> list[str]:
    """What the campaign would include if it started now (``max_products`` applied)."""
    ids = list(session.scalars(eligible_query(campaign)))
    return ids[:campaign.max_products] if campaign.max_products else ids


def _member_count(session: Session, campaign_id: str) -> int:
    return session.scalar(select(func.count()).select_from(CampaignMember).where(
        CampaignMember.campaign_id == campaign_id, CampaignMember.left_at.is_(None))) or 0


def member_ids(session: Session, campaign_id: str) -> list[str]:
    return list(session.scalars(select(CampaignMember.product_id).where(
        CampaignMember.campaign_id == campaign_id, CampaignMember.left_at.is_(None))
        .order_by(CampaignMember.product_id)))


def _join(session: Session, campaign: Campaign, product_ids: list[str], now: datetime,
          rows: dict[str, CampaignMember] | None = None) -> None:
    """Make ``product_ids`` members (new rows in bulk, former members back in)."""
    if not product_ids:
        return
    if rows is None:
        rows = {}
        for chunk in chunks(product_ids):
            rows.update({row.product_id: row for row in session.scalars(select(CampaignMember).where(
                CampaignMember.campaign_id == campaign.id, CampaignMember.product_id.in_(chunk)))})
    source = "signup" if campaign.open_for_signup else "target"
    new = []
    for product_id in product_ids:
        row = rows.get(product_id)
        if row is None:
            new.append({"campaign_id": campaign.id, "product_id": product_id, "source": source, "joined_at": now,
                        "left_at": None})
        elif row.left_at is not None:
            row.left_at = None
            row.joined_at = now
    bulk_insert(session, CampaignMember, new)


def materialise(session: Session, campaign: Campaign, now: datetime) -> list[str]:
    """Fill the campaign with the products it selects now, up to ``max_products``; returns
    the ids that joined."""
    current = {row.product_id: row for row in session.scalars(
        select(CampaignMember).where(CampaignMember.campaign_id == campaign.id))}
    active = sum(1 for row in current.values() if row.left_at is None)
    room = None if campaign.max_products is None else max(0, campaign.max_products - active)
    joining = []
    for product_id in session.scalars(eligible_query(campaign)):
        if room is not None and len(joining) >= room:
            break
        row = current.get(product_id)
        if row is None or row.left_at is not None:
            joining.append(product_id)
    _join(session, campaign, joining, now, current)
    session.flush()
    return joining


def refresh_products(session: Session, product_ids: Iterable[str], now: datetime) -> int:
    """After catalog changes to ``product_ids``: join the active campaigns they now match
    (room permitting), leave the ones they no longer match (or whose fact is gone), then
    reprice them. Returns the number of pricing events staged."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    active = list(session.scalars(select(Campaign).where(Campaign.status == "active").order_by(Campaign.id)))
    for campaign in active:
        for chunk in chunks(ids):
            matching = set(session.scalars(eligible_query(campaign, chunk)))
            rows = {row.product_id: row for row in session.scalars(select(CampaignMember).where(
                CampaignMember.campaign_id == campaign.id, CampaignMember.product_id.in_(chunk)))}
            joining = []
            for product_id in chunk:
                row = rows.get(product_id)
                is_member = row is not None and row.left_at is None
                if is_member and product_id not in matching:
                    row.left_at = now
                elif not is_member and product_id in matching:
                    joining.append(product_id)
            if joining and campaign.max_products is not None:
                session.flush()
                room = max(0, campaign.max_products - _member_count(session, campaign.id))
                joining = joining[:room]
            _join(session, campaign, joining, now, rows)
    session.flush()
    return reprice(session, ids, now)


# ---------------------------------------------------------------------------- pricing fan-out

def bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """Insert many rows in few round trips. With RETURNING, SQLAlchemy batches an executemany
    into multi-row INSERTs ("insertmanyvalues") on SQLite and on pg8000, which would
    otherwise send one statement per row."""
    if not rows:
        return
    table = model.__table__
    statement = table.insert().returning(*table.primary_key.columns)
    session.execute(statement, rows).all()


def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def offer_of(campaign: Campaign) -> Offer:
    return Offer(
        campaign_id=campaign.id, campaign_name=campaign.name, starts_at=aware(campaign.starts_at),
        ends_at=aware(campaign.ends_at), discount_type=campaign.discount_type,
        discount_value=campaign.discount_value or 0, featured=bool(campaign.featured),
        discounting=not campaign.budget_exhausted,
    )


def reprice(session: Session, product_ids: Iterable[str], now: datetime) -> int:
    """Compute each product's best pricing from its active memberships and stage one
    ``promotion.pricing_changed`` per product whose pricing changed (a product that lost its
    fact but had a campaign pricing gets a revert). Bulk: a handful of statements per 500
    products (multi-row inserts; no per-product round trip). Returns the events staged."""
    ids = sorted(set(product_ids))
    offers_by_campaign: dict[str, Offer] = {}
    staged = 0
    for chunk in chunks(ids):
        prices = dict(session.execute(select(ProductFact.id, ProductFact.price).where(ProductFact.id.in_(chunk))).all())
        memberships = session.execute(
            select(CampaignMember.product_id, CampaignMember.campaign_id)
            .join(Campaign, Campaign.id == CampaignMember.campaign_id)
            .where(CampaignMember.product_id.in_(chunk), CampaignMember.left_at.is_(None),
                   Campaign.status == "active")
        ).all()
        missing = {campaign_id for _, campaign_id in memberships} - offers_by_campaign.keys()
        if missing:
            for campaign in session.scalars(select(Campaign).where(Campaign.id.in_(list(missing)))
                                            .execution_options(populate_existing=True)):
                offers_by_campaign[campaign.id] = offer_of(campaign)
        offers: dict[str, list[Offer]] = {}
        for product_id, campaign_id in memberships:
            offers.setdefault(product_id, []).append(offers_by_campaign[campaign_id])
        # Row locks (PostgreSQL) in id order: two workers repricing one product take turns.
        states = {row.product_id: row for row in session.execute(
            select(ProductPricingState.product_id, ProductPricingState.version, ProductPricingState.key,
                   ProductPricingState.normal_price, ProductPricingState.campaign_id)
            .where(ProductPricingState.product_id.in_(chunk))
            .order_by(ProductPricingState.product_id).with_for_update())}
        state_rows, replaced, outbox_rows = [], [], []
        for product_id in chunk:
            state = states.get(product_id)
            if product_id in prices:
                pricing = best_pricing(prices[product_id], offers.get(product_id, ()), now)
            elif state is not None and state.campaign_id is not None:
                pricing = Pricing(normal_price=state.normal_price, effective_price=state.normal_price)
            else:
                continue
            if state is None and not pricing.on_campaign:
                continue  # never promoted: nothing to tell anyone
            key = json.dumps(pricing.key())
            if state is not None and state.key == key:
                continue
            if state is not None:
                replaced.append(product_id)
            if state is not None and not pricing.on_campaign and state.campaign_id is None:
                # A plain price change: search has it from the catalog; just remember it.
                state_rows.append(_state_row(product_id, pricing, key, state.version, now))
                continue
            version = (state.version if state else 0) + 1
            state_rows.append(_state_row(product_id, pricing, key, version, now))
            event = Event(type=PRICING_CHANGED, aggregate_id=product_id, aggregate_version=version,
                          payload=pricing.payload(product_id, version))
            # = event.to_dict(), without dataclasses.asdict's deep copy (10,000 of them add up)
            body = {"type": event.type, "aggregate_id": event.aggregate_id,
                    "aggregate_version": event.aggregate_version, "payload": event.payload, "id": event.id,
                    "occurred_at": event.occurred_at, "schema_version": event.schema_version}
            outbox_rows.append({
                "event_id": event.id, "event_type": event.type, "aggregate_id": product_id,
                "aggregate_version": version, "body": json.dumps(body, ensure_ascii=False),
                "status": PENDING, "attempts": 0, "last_error": None, "created_at": now, "published_at": None,
            })
        if replaced:
            session.execute(delete(ProductPricingState).where(ProductPricingState.product_id.in_(replaced))
                            .execution_options(synchronize_session="fetch"))
        bulk_insert(session, ProductPricingState, state_rows)
        bulk_insert(session, Outbox, outbox_rows)
        staged += len(outbox_rows)
    return staged


def _state_row(product_id: str, pricing: Pricing, key: str, version: int, now: datetime) -> dict:
    return {
        "product_id": product_id, "version": version, "key": key, "normal_price": pricing.normal_price,
        "effective_price": pricing.effective_price, "discount_amount": pricing.discount_amount,
        "discount_percent": pricing.discount_percent, "promoted": pricing.promoted, "badge": pricing.badge,
        "boost": pricing.boost, "campaign_id": pricing.campaign_id, "campaign_name": pricing.campaign_name,
        "valid_until": pricing.valid_until, "updated_at": now,
    }


# ---------------------------------------------------------------------------- status machine

def _transition(session: Session, campaign_id: str, from_statuses: tuple[str, ...], to: str, now: datetime,
                **values) -> bool:
    """Guarded: applies only if the campaign is still in one of ``from_statuses``."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(from_statuses))
        .values(status=to, version=Campaign.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def activate(session: Session, campaign_id: str, now: datetime) -> bool:
    if not _transition(session, campaign_id, ("scheduled",), "active", now, activated_at=now):
        return False
    campaign = _get(session, campaign_id)
    joined = materialise(session, campaign, now)
    reprice(session, joined, now)
    return True


def close(session: Session, campaign_id: str, now: datetime, to: str) -> bool:
    """End (from active) or cancel (from draft, scheduled or active); members revert."""
    campaign = _get(session, campaign_id, lock=True)
    if campaign is None:
        return False
    was_active = campaign.status == "active"
    allowed = ("active",) if to == "ended" else OPEN_STATUSES
    if not _transition(session, campaign_id, allowed, to, now, closed_at=now):
        return False
    session.refresh(campaign)
    if was_active:
        reprice(session, member_ids(session, campaign_id), now)
    return True


def advance(session: Session, now: datetime) -> dict:
    """Start the scheduled campaigns whose start has passed and end the active ones whose end
    has passed (also those that passed while the service was down). Idempotent."""
    now = aware(now)
    started = list(session.scalars(select(Campaign.id).where(
        Campaign.status == "scheduled", Campaign.starts_at <= now).order_by(Campaign.starts_at, Campaign.id)))
    started = [campaign_id for campaign_id in started if activate(session, campaign_id, now)]
    ending = list(session.scalars(select(Campaign.id).where(
        Campaign.status == "active", Campaign.ends_at <= now).order_by(Campaign.ends_at, Campaign.id)))
    ended = [campaign_id for campaign_id in ending if close(session, campaign_id, now, "ended")]
    return {"started": started, "ended": ended}


# ---------------------------------------------------------------------------- budget

def record_contacts(session: Session, contacts: dict[str, int], now: datetime) -> list[str]:
    """Estimate the discount given from WhatsApp contacts (see the module docstring): each
    contact on a product priced by a discount campaign adds its discount amount to that
    campaign's ``budget_spent``. Campaigns that run out stop discounting and their members
    are repriced. Returns the ids of campaigns that ran out now."""
    ids = sorted(product_id for product_id, count in contacts.items() if count > 0)
    spent: dict[str, int] = {}
    for chunk in chunks(ids):
        rows = session.execute(select(ProductPricingState.product_id, ProductPricingState.campaign_id,
                                      ProductPricingState.discount_amount).where(
            ProductPricingState.product_id.in_(chunk), ProductPricingState.campaign_id.is_not(None),
            ProductPricingState.discount_amount > 0)).all()
        for product_id, campaign_id, amount in rows:
            spent[campaign_id] = spent.get(campaign_id, 0) + amount * contacts[product_id]
    exhausted = []
    for campaign_id in sorted(spent):
        session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.status == "active")
                        .values(budget_spent=Campaign.budget_spent + spent[campaign_id])
                        .execution_options(synchronize_session=False))
        result = session.execute(
            update(Campaign).where(Campaign.id == campaign_id, Campaign.status == "active",
                                   Campaign.budget.is_not(None), Campaign.budget_exhausted.is_(False),
                                   Campaign.budget_spent >= Campaign.budget)
            .values(budget_exhausted=True, version=Campaign.version + 1, updated_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            exhausted.append(campaign_id)
            reprice(session, member_ids(session, campaign_id), now)
    return exhausted


# ---------------------------------------------------------------------------- views

def _discount(campaign: Campaign) -> dict | None:
    if not campaign.discount_type:
        return None
    return {"type": campaign.discount_type, "value": campaign.discount_value}


def _target(campaign: Campaign) -> dict:
    return {"product_ids": list(campaign.target_product_ids or []), "categories": list(campaign.target_categories or []),
            "regions": list(campaign.target_regions or []), "merchant_kind": campaign.target_merchant_kind,
            "verified_only": bool(campaign.target_verified_only)}


def product_count(session: Session, campaign: Campaign) -> int:
    """Members once started; before that, what the targeting selects now."""
    if campaign.status in ("draft", "scheduled"):
        return len(selection(session, campaign))
    return _member_count(session, campaign.id)


def statistics(session: Session, campaign: Campaign, now: datetime, with_days: bool = True) -> dict:
    """Impressions, clicks (product page views) and WhatsApp contacts of the campaign's
    products (also those that left) on the campaign's days (WITA), and the discount given."""
    totals = {"impressions": 0, "clicks": 0, "contacts": 0, "discount_given": campaign.budget_spent or 0}
    days: list[dict] = []
    start = aware(campaign.starts_at)
    last_moment = min(aware(campaign.ends_at) - timedelta(microseconds=1), aware(now))
    if campaign.status not in ("draft", "scheduled") and last_moment >= start:
        rows = session.execute(
            select(ProductInteractionDay.day, func.sum(ProductInteractionDay.impressions),
                   func.sum(ProductInteractionDay.views), func.sum(ProductInteractionDay.contacts))
            .join(CampaignMember, and_(CampaignMember.product_id == ProductInteractionDay.product_id,
                                       CampaignMember.campaign_id == campaign.id))
            .where(ProductInteractionDay.day >= wita_day(start), ProductInteractionDay.day <= wita_day(last_moment))
            .group_by(ProductInteractionDay.day).order_by(ProductInteractionDay.day)
        ).all()
        for day, impressions, clicks, contacts in rows:
            entry = {"day": day.isoformat(), "impressions": int(impressions or 0), "clicks": int(clicks or 0),
                     "contacts": int(contacts or 0)}
            days.append(entry)
            for name in ("impressions", "clicks", "contacts"):
                totals[name] += entry[name]
    result = {"totals": totals}
    if with_days:
        result["days"] = days
    return result


def _times(campaign: Campaign) -> dict:
    return {"starts_at": iso_utc(aware(campaign.starts_at)), "ends_at": iso_utc(aware(campaign.ends_at)),
            "starts_at_wita": format_wita(aware(campaign.starts_at)), "ends_at_wita": format_wita(aware(campaign.ends_at))}


def detail(session: Session, campaign: Campaign, now: datetime, with_days: bool = True) -> dict:
    budget = None
    if campaign.budget is not None:
        spent = campaign.budget_spent or 0
        budget = {"amount": campaign.budget, "spent": spent, "remaining": max(0, campaign.budget - spent),
                  "funded_by": campaign.funded_by, "exhausted": bool(campaign.budget_exhausted)}
    return {
        "id": campaign.id, "name": campaign.name, "description": campaign.description or "",
        "status": campaign.status, **_times(campaign),
        "discount": _discount(campaign), "featured": bool(campaign.featured), "target": _target(campaign),
        "max_products": campaign.max_products, "open_for_signup": bool(campaign.open_for_signup),
        "budget": budget, "discounting": bool(campaign.discount_type) and not campaign.budget_exhausted,
        "product_count": product_count(session, campaign), "owner_id": campaign.owner_id,
        "created_at": iso_utc(aware(campaign.created_at)), "updated_at": iso_utc(aware(campaign.updated_at)), "version": campaign.version,
        "statistics": statistics(session, campaign, now, with_days),
    }


def lite(session: Session, campaign: Campaign) -> dict:
    return {"id": campaign.id, "name": campaign.name, "description": campaign.description or "",
            "status": campaign.status, **_times(campaign), "discount": _discount(campaign),
            "featured": bool(campaign.featured), "open_for_signup": bool(campaign.open_for_signup),
            "product_count": product_count(session, campaign)}


# ---------------------------------------------------------------------------- operations (RPC level)

def create_campaign(session: Session, actor, data, now: datetime) -> dict:
    owner_id, _ = _promoter(actor)
    fields = validate_campaign(data, now)
    draft = isinstance(data, dict) and data.get("draft") is True
    campaign = Campaign(id=str(uuid.uuid4()), owner_id=owner_id, status="draft" if draft else "scheduled",
                        budget_spent=0, budget_exhausted=False, version=1, created_at=now, updated_at=now, **fields)
    session.add(campaign)
    session.flush()
    if not draft and fields["starts_at"] <= now:
        activate(session, campaign.id, now)  # within the grace period: it starts at once
        session.refresh(campaign)
    return detail(session, campaign, now)


def get_campaign(session: Session, actor, campaign_id, now: datetime) -> dict:
    return detail(session, _campaign_for(session, actor, campaign_id), now)


def list_campaigns(session: Session, actor, now: datetime, status=None, page=1, per_page=20) -> dict:
    actor_id, role = _promoter(actor)
    errors = {}
    if status not in (None, "") and status not in STATUSES:
        errors["status"] = "Harus salah satu dari: " + ", ".join(STATUSES) + "."
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        errors["page"] = "Harus bilangan bulat mulai dari 1."
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = f"Harus bilangan bulat 1 sampai {MAX_PER_PAGE}."
    if errors:
        raise ValidationFailed("Parameter tidak valid.", errors)
    query = select(Campaign)
    if role != "admin":
        query = query.where(Campaign.owner_id == actor_id)
    if status:
        query = query.where(Campaign.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Campaign.starts_at.desc(), Campaign.id)
                            .offset((page - 1) * per_page).limit(per_page))
    return {"total": total, "page": page, "per_page": per_page,
            "items": [detail(session, campaign, now, with_days=False) for campaign in items]}


def _check_version(campaign: Campaign, expected_version) -> None:
    if expected_version is not None and expected_version != campaign.version:
        raise Conflict("Kampanye telah diubah orang lain; muat ulang lalu coba lagi.",
                       {"version": campaign.version})


def update_campaign(session: Session, actor, campaign_id, changes, now: datetime, expected_version=None) -> dict:
    campaign = _campaign_for(session, actor, campaign_id, lock=True)
    _check_version(campaign, expected_version)
    if not isinstance(changes, dict) or not changes:
        raise ValidationFailed("Tidak ada perubahan.", {"changes": "Kirim minimal satu kolom yang diubah."})
    unknown = [key for key in changes if key not in EDITABLE]
    if unknown:
        raise ValidationFailed("Kolom tidak dikenal.", {key: "Kolom ini tidak dapat diubah." for key in unknown})
    if campaign.status in ("ended", "cancelled"):
        raise Conflict("Kampanye yang sudah selesai atau dibatalkan tidak dapat diubah.",
                       {"status": campaign.status})
    if campaign.status == "active":
        _update_active(session, campaign, changes, now)
    else:
        merged = campaign_input(campaign) | changes
        fields = validate_campaign(merged, now, check_start="starts_at" in changes)
        for name, value in fields.items():
            setattr(campaign, name, value)
        campaign.version += 1
        campaign.updated_at = now
        session.flush()
        if campaign.status == "scheduled" and fields["starts_at"] <= now:
            activate(session, campaign.id, now)
    session.refresh(campaign)
    return detail(session, campaign, now)


def _update_active(session: Session, campaign: Campaign, changes: dict, now: datetime) -> None:
    fixed = [key for key in changes if key not in ACTIVE_EDITABLE]
    if fixed:
        raise Conflict("Kampanye yang sedang berjalan hanya dapat diubah nama, deskripsi, waktu selesai, "
                       "anggaran dan jumlah produk maksimumnya.",
                       {key: "Tidak dapat diubah saat kampanye berjalan." for key in fixed})
    errors: dict[str, str] = {}
    if "name" in changes:
        name = changes["name"]
        if not isinstance(name, str) or not NAME_MIN <= len(name.strip()) <= NAME_MAX:
            errors["name"] = f"Nama kampanye wajib diisi, {NAME_MIN} sampai {NAME_MAX} karakter."
    if "description" in changes:
        description = changes["description"] or ""
        if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
            errors["description"] = f"Deskripsi berupa teks, paling banyak {DESCRIPTION_MAX} karakter."
    ends_at = None
    if "ends_at" in changes:
        ends_at = parse_time(changes["ends_at"], "ends_at", errors)
        if ends_at and ends_at <= now:
            errors["ends_at"] = "Waktu selesai tidak boleh sebelum sekarang."
        elif ends_at and ends_at <= aware(campaign.starts_at):
            errors["ends_at"] = "Waktu selesai harus setelah waktu mulai."
    if "budget" in changes:
        budget = _int(changes["budget"], "budget", errors, 1, MAX_BUDGET, "Anggaran minimal Rp 1.")
        if budget is not None and budget < (campaign.budget_spent or 0):
            errors["budget"] = f"Anggaran tidak boleh di bawah yang sudah terpakai (Rp {campaign.budget_spent})."
    current = _member_count(session, campaign.id)
    if "max_products" in changes:
        maximum = _int(changes["max_products"], "max_products", errors, 1, MAX_PRODUCTS_LIMIT,
                       f"Jumlah produk maksimum harus 1 sampai {MAX_PRODUCTS_LIMIT}.")
        if maximum is not None and maximum < current:
            errors["max_products"] = f"Tidak boleh di bawah jumlah produk saat ini ({current})."
    if errors:
        raise ValidationFailed("Data kampanye tidak valid.", errors)
    if "name" in changes:
        campaign.name = changes["name"].strip()
    if "description" in changes:
        campaign.description = (changes["description"] or "").strip()
    if ends_at is not None:
        campaign.ends_at = ends_at
    if "budget" in changes:
        campaign.budget = changes["budget"]
        if campaign.budget is not None and not campaign.funded_by:
            campaign.funded_by = "promoter"
        campaign.budget_exhausted = campaign.budget is not None and (campaign.budget_spent or 0) >= campaign.budget
    if "max_products" in changes:
        campaign.max_products = changes["max_products"]
    campaign.version += 1
    campaign.updated_at = now
    session.flush()
    joined = materialise(session, campaign, now) if "max_products" in changes else []
    reprice(session, member_ids(session, campaign.id) + joined, now)


def schedule_campaign(session: Session, actor, campaign_id, now: datetime) -> dict:
    campaign = _campaign_for(session, actor, campaign_id, lock=True)
    if campaign.status != "draft":
        raise Conflict("Hanya draf yang dapat dijadwalkan.", {"status": campaign.status})
    if aware(campaign.ends_at) <= now:
        raise ValidationFailed("Data kampanye tidak valid.", {"ends_at": "Waktu selesai sudah lewat."})
    _transition(session, campaign.id, ("draft",), "scheduled", now)
    if aware(campaign.starts_at) <= now:
        activate(session, campaign.id, now)  # the start already passed: it starts at once
    session.refresh(campaign)
    return detail(session, campaign, now)


def cancel_campaign(session: Session, actor, campaign_id, now: datetime) -> dict:
    campaign = _campaign_for(session, actor, campaign_id, lock=True)
    if campaign.status not in OPEN_STATUSES or not close(session, campaign.id, now, "cancelled"):
        raise Conflict("Kampanye yang sudah selesai atau dibatalkan tidak dapat dibatalkan.",
                       {"status": campaign.status})
    session.refresh(campaign)
    return detail(session, campaign, now)


def _product_view(fact: ProductFact, state: ProductPricingState | None, now: datetime) -> dict:
    live = state is not None and state.campaign_id is not None and (
        state.valid_until is None or aware(state.valid_until) > now)
    return {"id": fact.id, "name": fact.name, "slug": fact.slug, "price": fact.price,
            "effective_price": state.effective_price if live else fact.price,
            "discount_percent": state.discount_percent if live else 0, "badge": state.badge if live else None,
            "region": fact.region, "category": fact.category, "merchant_id": fact.merchant_id,
            "merchant_name": fact.merchant_name, "photo_url": fact.photo_url}


def preview_campaign(session: Session, actor, campaign_id, now: datetime, limit=50) -> dict:
    campaign = _campaign_for(session, actor, campaign_id)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 500:
        raise ValidationFailed("Parameter tidak valid.", {"limit": "Harus bilangan bulat 0 sampai 500."})
    if campaign.status in ("draft", "scheduled"):
        ids = selection(session, campaign)
    else:
        ids = member_ids(session, campaign.id)
    shown = ids[:limit]
    facts = {fact.id: fact for fact in session.scalars(select(ProductFact).where(ProductFact.id.in_(shown)))}
    discounting = campaign.discount_type and not campaign.budget_exhausted
    products = []
    for product_id in shown:
        fact = facts.get(product_id)
        if fact is None:
            continue
        effective = (discounted_price(fact.price, campaign.discount_type, campaign.discount_value)
                     if discounting else fact.price)
        products.append({"id": fact.id, "name": fact.name, "price": fact.price, "effective_price": effective,
                         "region": fact.region, "category": fact.category, "merchant_id": fact.merchant_id})
    return {"count": len(ids), "products": products}


def _owned_product(session: Session, actor, campaign, product_id) -> ProductFact:
    actor_id, role = _actor(actor)
    fact = session.get(ProductFact, product_id) if isinstance(product_id, str) and product_id else None
    if fact is None:
        raise NotFound("Produk tidak ditemukan.", {"product_id": "tidak ditemukan"})
    if role == "admin" or (role == "promoter" and campaign.owner_id == actor_id):
        return fact
    merchant = session.get(MerchantFact, fact.merchant_id)
    if role != "owner" or merchant is None or merchant.owner_id != actor_id:
        raise Forbidden("Hanya pemilik produk yang dapat mengatur keikutsertaannya.", {"product_id": "bukan milik Anda"})
    return fact


def _open_campaign(session: Session, actor, campaign_id) -> Campaign:
    """A campaign an owner may act on: scheduled or active (drafts stay private)."""
    actor_id, role = _actor(actor)
    campaign = _get(session, campaign_id, lock=True)
    hidden = campaign is None or (campaign.status == "draft" and not (
        role == "admin" or (role == "promoter" and campaign.owner_id == actor_id)))
    if hidden:
        raise NotFound("Kampanye tidak ditemukan.", {"campaign_id": "tidak ditemukan"})
    if campaign.status in ("ended", "cancelled"):
        raise Conflict("Kampanye sudah selesai atau dibatalkan.", {"status": campaign.status})
    return campaign


def opt_out(session: Session, actor, campaign_id, product_id, now: datetime) -> dict:
    campaign = _open_campaign(session, actor, campaign_id)
    fact = _owned_product(session, actor, campaign, product_id)
    if session.get(CampaignOptOut, (campaign.id, fact.id)) is None:
        session.add(CampaignOptOut(campaign_id=campaign.id, product_id=fact.id, created_at=now))
    signup = session.get(CampaignSignup, (campaign.id, fact.id))
    if signup is not None:
        session.delete(signup)
    member = session.get(CampaignMember, (campaign.id, fact.id))
    if member is not None and member.left_at is None:
        member.left_at = now
    session.flush()
    reprice(session, [fact.id], now)
    return {"campaign_id": campaign.id, "product_id": fact.id, "member": False}


def opt_in(session: Session, actor, campaign_id, product_id, now: datetime) -> dict:
    """Sign a product up for a campaign that invites sign-ups, or take back an opt-out."""
    campaign = _open_campaign(session, actor, campaign_id)
    fact = _owned_product(session, actor, campaign, product_id)
    opted_out = session.get(CampaignOptOut, (campaign.id, fact.id))
    if not campaign.open_for_signup and opted_out is None:
        raise Conflict("Kampanye ini tidak menerima pendaftaran produk.", {"open_for_signup": False})
    if not matches_target(session, campaign, fact.id):
        raise ValidationFailed("Produk tidak sesuai dengan sasaran kampanye.",
                               {"product_id": "tidak sesuai dengan sasaran kampanye"})
    if campaign.status == "active":
        member = session.get(CampaignMember, (campaign.id, fact.id))
        if (member is None or member.left_at is not None) and campaign.max_products is not None \
                and _member_count(session, campaign.id) >= campaign.max_products:
            raise Conflict("Kuota produk kampanye sudah penuh.", {"max_products": campaign.max_products})
    if opted_out is not None:
        session.delete(opted_out)
    if campaign.open_for_signup and session.get(CampaignSignup, (campaign.id, fact.id)) is None:
        session.add(CampaignSignup(campaign_id=campaign.id, product_id=fact.id, created_at=now))
    session.flush()
    if campaign.status == "active":
        _join(session, campaign, [fact.id], now)
        session.flush()
        reprice(session, [fact.id], now)
    return {"campaign_id": campaign.id, "product_id": fact.id, "member": True}


def campaigns_for_owner(session: Session, actor, now: datetime) -> dict:
    """Scheduled and active campaigns whose targeting selects some of the owner's products,
    with whether each product is (or will be) in."""
    actor_id, role = _actor(actor)
    if role not in ("owner", "admin"):
        raise Forbidden("Hanya pemilik usaha yang melihat kampanye untuk produknya.")
    merchants = select(MerchantFact.id).where(MerchantFact.owner_id == actor_id)
    product_ids = list(session.scalars(select(ProductFact.id).where(ProductFact.merchant_id.in_(merchants))
                                       .order_by(ProductFact.id)))
    items = []
    if not product_ids:
        return {"items": items}
    campaigns = session.scalars(select(Campaign).where(Campaign.status.in_(("scheduled", "active")))
                                .order_by(Campaign.starts_at, Campaign.id))
    for campaign in campaigns:
        targeted = []
        for chunk in chunks(product_ids):
            targeted += session.scalars(select(ProductFact.id).where(ProductFact.id.in_(chunk),
                                                                     *target_conditions(campaign)))
        if not targeted:
            continue
        if campaign.status == "active":
            members = set(session.scalars(select(CampaignMember.product_id).where(
                CampaignMember.campaign_id == campaign.id, CampaignMember.left_at.is_(None),
                CampaignMember.product_id.in_(targeted))))
        else:
            members = set(session.scalars(eligible_query(campaign, targeted)))
        opted_out = set(session.scalars(select(CampaignOptOut.product_id).where(
            CampaignOptOut.campaign_id == campaign.id, CampaignOptOut.product_id.in_(targeted))))
        items.append(lite(session, campaign) | {"my_products": [
            {"product_id": product_id, "member": product_id in members, "opted_out": product_id in opted_out}
            for product_id in sorted(targeted)]})
    return {"items": items}


def active_campaigns(session: Session, limit=10) -> dict:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValidationFailed("Parameter tidak valid.", {"limit": "Harus bilangan bulat 1 sampai 100."})
    campaigns = session.scalars(select(Campaign).where(Campaign.status == "active")
                                .order_by(Campaign.starts_at, Campaign.id).limit(limit))
    items = []
    for campaign in campaigns:
        item = lite(session, campaign)
        item.pop("status")
        item.pop("open_for_signup")
        items.append(item)
    return {"items": items}


def featured_products(session: Session, now: datetime, slots=8, rotation_seconds: int = 3600) -> dict:
    """Products of active featured campaigns for the home page's slots, rotated fairly:
    ordered by id, window = floor(now / rotation_seconds), the ``slots`` consecutive products
    from offset window * slots (mod n), wrapping. Over n windows every product is shown
    exactly ``slots`` times (over n / slots windows once, when slots divides n)."""
    if isinstance(slots, bool) or not isinstance(slots, int) or not 1 <= slots <= MAX_SLOTS:
        raise ValidationFailed("Parameter tidak valid.", {"slots": f"Harus bilangan bulat 1 sampai {MAX_SLOTS}."})
    now = aware(now)
    ids = list(session.scalars(
        select(CampaignMember.product_id).distinct()
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .join(ProductFact, ProductFact.id == CampaignMember.product_id)
        .where(Campaign.status == "active", Campaign.featured.is_(True), CampaignMember.left_at.is_(None),
               Campaign.starts_at <= now, Campaign.ends_at > now)
        .order_by(CampaignMember.product_id)))
    n = len(ids)
    if n <= slots:
        chosen = ids
    else:
        window = int(now.timestamp() // rotation_seconds)
        offset = (window * slots) % n
        chosen = [ids[(offset + i) % n] for i in range(slots)]
    facts = {fact.id: fact for fact in session.scalars(select(ProductFact).where(ProductFact.id.in_(chosen)))}
    states = {state.product_id: state for state in session.scalars(
        select(ProductPricingState).where(ProductPricingState.product_id.in_(chosen)))}
    items = [_product_view(facts[product_id], states.get(product_id), now) for product_id in chosen
             if product_id in facts]
    return {"slots": slots, "rotation_seconds": rotation_seconds, "items": items}


def pricing_for(session: Session, product_ids, now: datetime) -> dict:
    if not isinstance(product_ids, list) or not all(isinstance(item, str) for item in product_ids):
        raise ValidationFailed("Parameter tidak valid.", {"product_ids": "Harus berupa daftar id produk."})
    if len(product_ids) > MAX_PRICING_IDS:
        raise ValidationFailed("Parameter tidak valid.", {"product_ids": f"Paling banyak {MAX_PRICING_IDS} id."})
    result = {}
    if not product_ids:
        return result
    for state in session.scalars(select(ProductPricingState).where(
            ProductPricingState.product_id.in_(list(set(product_ids))), ProductPricingState.campaign_id.is_not(None))):
        if state.valid_until is not None and aware(state.valid_until) <= now:
            continue
        result[state.product_id] = {
            "effective_price": state.effective_price, "normal_price": state.normal_price,
            "discount_percent": state.discount_percent, "promoted": state.promoted, "badge": state.badge,
            "campaign_id": state.campaign_id, "campaign_name": state.campaign_name,
            "valid_until": iso_utc(aware(state.valid_until))}
    return result


def counts(session: Session) -> dict:
    return {
        "products": session.scalar(select(func.count()).select_from(ProductFact)) or 0,
        "campaigns": session.scalar(select(func.count()).select_from(Campaign).where(Campaign.status == "active")) or 0,
    }
