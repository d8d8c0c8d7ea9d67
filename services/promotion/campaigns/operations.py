"""Write operations of the promotion service's RPC: create, edit, schedule and cancel a
campaign; an owner's products join a campaign (opt-in) or leave it (opt-out). Plain functions over a session;
``service.py`` only calls them and commits.

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
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.promotion.campaigns.access import (
    managed_campaign,
    open_campaign,
    owned_merchant,
    owned_products,
    promoter,
)
from services.promotion.campaigns.bulk import bulk_insert
from services.promotion.campaigns.fanout import reprice
from services.promotion.campaigns.status import OPEN_STATUSES, activate, close, transition
from services.promotion.campaigns.targeting import (
    eligible_query,
    join,
    materialise,
    member_count,
    member_ids,
    requires_join,
    target_conditions,
)
from services.promotion.campaigns.times import aware
from services.promotion.campaigns.validation import (
    DESCRIPTION_MAX,
    MAX_BUDGET,
    MAX_PRODUCTS_LIMIT,
    NAME_MAX,
    NAME_MIN,
    campaign_input,
    int_field,
    membership_selection,
    parse_time,
    validate_campaign,
)
from services.promotion.campaigns.views import detail
from services.promotion.models import Campaign, CampaignMember, CampaignOptOut, CampaignSignup, ProductFact
from shared.actor import Actor
from shared.db import chunks
from shared.errors import Conflict, ValidationFailed
from shared.messages import t
from shared.text import clean_field

ACTIVE_EDITABLE = ("name", "description", "ends_at", "budget", "max_products")
EDITABLE = ("name", "description", "starts_at", "ends_at", "discount", "featured", "target", "max_products",
            "budget", "funded_by", "open_for_signup")


def create_campaign(session: Session, actor: Actor, data, now: datetime) -> dict:
    """A new campaign of the promoter (or admin): scheduled, or a draft when ``data["draft"]``
    is true; a start within the grace period activates it at once."""
    owner_id, _ = promoter(actor)
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


def _check_version(campaign: Campaign, expected_version) -> None:
    if expected_version is not None and expected_version != campaign.version:
        raise Conflict(t("Kampanye telah diubah orang lain; muat ulang lalu coba lagi."),
                       {"version": campaign.version})


def update_campaign(session: Session, actor: Actor, campaign_id, changes, now: datetime, expected_version=None) -> dict:
    """Edit a campaign (see the module docstring for what each status allows); with
    ``expected_version``, a campaign changed meanwhile is a Conflict."""
    campaign = managed_campaign(session, actor, campaign_id, lock=True)
    _check_version(campaign, expected_version)
    if not isinstance(changes, dict) or not changes:
        raise ValidationFailed(t("Tidak ada perubahan."), {"changes": t("Kirim minimal satu kolom yang diubah.")})
    unknown = [key for key in changes if key not in EDITABLE]
    if unknown:
        raise ValidationFailed(t("Kolom tidak dikenal."), {key: t("Kolom ini tidak dapat diubah.") for key in unknown})
    if campaign.status in ("ended", "cancelled"):
        raise Conflict(t("Kampanye yang sudah selesai atau dibatalkan tidak dapat diubah."),
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
    """The limited edit of a running campaign; joins (a raised ``max_products``) and reprices."""
    fixed = [key for key in changes if key not in ACTIVE_EDITABLE]
    if fixed:
        raise Conflict(t("Kampanye yang sedang berjalan hanya dapat diubah nama, deskripsi, waktu selesai, "
                       "anggaran dan jumlah produk maksimumnya."),
                       {key: t("Tidak dapat diubah saat kampanye berjalan.") for key in fixed})
    errors: dict[str, str] = {}
    name = description = None
    if "name" in changes:
        name = clean_field(changes["name"], "name", errors)
        if "name" not in errors and (not isinstance(name, str) or not NAME_MIN <= len(name.strip()) <= NAME_MAX):
            errors["name"] = t("Nama kampanye wajib diisi, %(min)s sampai %(max)s karakter.", min=NAME_MIN, max=NAME_MAX)
    if "description" in changes:
        description = clean_field(changes["description"] or "", "description", errors, multiline=True)
        if "description" not in errors and (not isinstance(description, str) or len(description) > DESCRIPTION_MAX):
            errors["description"] = t("Deskripsi berupa teks, paling banyak %(max)s karakter.", max=DESCRIPTION_MAX)
    ends_at = None
    if "ends_at" in changes:
        ends_at = parse_time(changes["ends_at"], "ends_at", errors)
        if ends_at and ends_at <= now:
            errors["ends_at"] = t("Waktu selesai tidak boleh sebelum sekarang.")
        elif ends_at and ends_at <= aware(campaign.starts_at):
            errors["ends_at"] = t("Waktu selesai harus setelah waktu mulai.")
    if "budget" in changes:
        budget = int_field(changes["budget"], "budget", errors, 1, MAX_BUDGET, t("Anggaran minimal Rp 1."))
        if budget is not None and budget < (campaign.budget_spent or 0):
            errors["budget"] = t("Anggaran tidak boleh di bawah yang sudah terpakai (Rp %(spent)s).",
                                  spent=campaign.budget_spent)
    current = member_count(session, campaign.id)
    if "max_products" in changes:
        maximum = int_field(changes["max_products"], "max_products", errors, 1, MAX_PRODUCTS_LIMIT,
                       t("Jumlah produk maksimum harus 1 sampai %(max)s.", max=MAX_PRODUCTS_LIMIT))
        if maximum is not None and maximum < current:
            errors["max_products"] = t("Tidak boleh di bawah jumlah produk saat ini (%(current)s).", current=current)
    if errors:
        raise ValidationFailed(t("Data kampanye tidak valid."), errors)
    if name is not None:
        campaign.name = name.strip()
    if description is not None:
        campaign.description = description.strip()
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


def schedule_campaign(session: Session, actor: Actor, campaign_id, now: datetime) -> dict:
    """Draft -> scheduled; a start that already passed activates it at once."""
    campaign = managed_campaign(session, actor, campaign_id, lock=True)
    if campaign.status != "draft":
        raise Conflict(t("Hanya draf yang dapat dijadwalkan."), {"status": campaign.status})
    if aware(campaign.ends_at) <= now:
        raise ValidationFailed(t("Data kampanye tidak valid."), {"ends_at": t("Waktu selesai sudah lewat.")})
    transition(session, campaign.id, ("draft",), "scheduled", now)
    if aware(campaign.starts_at) <= now:
        activate(session, campaign.id, now)  # the start already passed: it starts at once
    session.refresh(campaign)
    return detail(session, campaign, now)


def cancel_campaign(session: Session, actor: Actor, campaign_id, now: datetime) -> dict:
    """Cancel a draft, scheduled or active campaign; an active one's products revert."""
    campaign = managed_campaign(session, actor, campaign_id, lock=True)
    if campaign.status not in OPEN_STATUSES or not close(session, campaign.id, now, "cancelled"):
        raise Conflict(t("Kampanye yang sudah selesai atau dibatalkan tidak dapat dibatalkan."),
                       {"status": campaign.status})
    session.refresh(campaign)
    return detail(session, campaign, now)


def _selected(session: Session, actor: Actor, campaign: Campaign, selection) -> tuple[list[str], dict]:
    """The product ids an opt-in or opt-out acts on, all checked before anything is written:
    the listed ones (each the actor's), or every product of the actor's merchant the
    campaign's targeting selects. Returns ``(ids, the parsed selection)``."""
    asked = membership_selection(selection)
    if asked["merchant_id"] is not None:
        merchant_id = owned_merchant(session, actor, asked["merchant_id"])
        ids = list(session.scalars(select(ProductFact.id).where(ProductFact.merchant_id == merchant_id,
                                                                *target_conditions(campaign))
                                   .order_by(ProductFact.id)))
        if not ids:
            raise ValidationFailed(t("Tidak ada produk usaha ini yang diundang kampanye ini."),
                                   {"merchant_id": t("tidak ada produk yang sesuai dengan sasaran kampanye")})
        return ids, asked
    return [fact.id for fact in owned_products(session, actor, asked["product_ids"], asked["field"])], asked


def _answer(campaign: Campaign, ids: list[str], asked: dict, member: bool) -> dict:
    result = {"campaign_id": campaign.id, "product_ids": ids, "member": member}
    if asked["field"] == "product_id":
        result["product_id"] = ids[0]
    return result


def _rows(session: Session, model, campaign_id: str, ids: list[str]) -> dict:
    rows = {}
    for chunk in chunks(ids):
        rows.update({row.product_id: row for row in session.scalars(
            select(model).where(model.campaign_id == campaign_id, model.product_id.in_(chunk)))})
    return rows


def opt_out(session: Session, actor: Actor, campaign_id, selection, now: datetime) -> dict:
    """The owner takes products out of a scheduled or active campaign, and keeps them out
    (a join is withdrawn); members leave and their prices revert. Leaving twice is fine."""
    campaign = open_campaign(session, actor, campaign_id)
    ids, asked = _selected(session, actor, campaign, selection)
    opted_out = _rows(session, CampaignOptOut, campaign.id, ids)
    bulk_insert(session, CampaignOptOut, [{"campaign_id": campaign.id, "product_id": product_id, "created_at": now}
                                          for product_id in ids if product_id not in opted_out])
    for chunk in chunks(ids):
        session.execute(delete(CampaignSignup).where(CampaignSignup.campaign_id == campaign.id,
                                                     CampaignSignup.product_id.in_(chunk)))
    for member in _rows(session, CampaignMember, campaign.id, ids).values():
        if member.left_at is None:
            member.left_at = now
    session.flush()
    reprice(session, ids, now)
    return _answer(campaign, ids, asked, member=False)


def _check_room(session: Session, campaign: Campaign, ids: list[str]) -> None:
    """An opt-in that would take the campaign past ``max_products`` is refused whole. Counted
    on the members once active, on the joined products before the start; a featured-only
    campaign before its start keeps its first ``max_products`` by id instead."""
    if campaign.max_products is None or (campaign.status != "active" and not requires_join(campaign)):
        return
    if campaign.status == "active":
        current = set(member_ids(session, campaign.id))
    else:
        current = set(session.scalars(eligible_query(campaign)))
    joining = [product_id for product_id in ids if product_id not in current]
    room = max(0, campaign.max_products - len(current))
    if len(joining) > room:
        raise Conflict(t("Kuota produk kampanye sudah penuh (sisa %(room)s).", room=room),
                       {"max_products": campaign.max_products, "room": room})


def opt_in(session: Session, actor: Actor, campaign_id, selection, now: datetime) -> dict:
    """The owner joins products to a scheduled or active campaign (or takes back an
    opt-out): a discount campaign prices them from then on (at once when active, one
    pricing event each). All or nothing: every product must be the owner's and selected by
    the targeting, and fit in ``max_products``. Joining twice is fine."""
    campaign = open_campaign(session, actor, campaign_id)
    ids, asked = _selected(session, actor, campaign, selection)
    targeted = set()
    for chunk in chunks(ids):
        targeted.update(session.scalars(select(ProductFact.id).where(ProductFact.id.in_(chunk),
                                                                     *target_conditions(campaign))))
    outside = [product_id for product_id in ids if product_id not in targeted]
    if outside:
        raise ValidationFailed(t("Produk tidak sesuai dengan sasaran kampanye."),
                               {asked["field"]: t("tidak sesuai dengan sasaran kampanye: %(ids)s", ids=", ".join(outside[:10]))})
    _check_room(session, campaign, ids)
    for chunk in chunks(ids):  # every check passed: now write
        session.execute(delete(CampaignOptOut).where(CampaignOptOut.campaign_id == campaign.id,
                                                     CampaignOptOut.product_id.in_(chunk)))
    if requires_join(campaign):
        joined = _rows(session, CampaignSignup, campaign.id, ids)
        bulk_insert(session, CampaignSignup, [{"campaign_id": campaign.id, "product_id": product_id, "created_at": now}
                                              for product_id in ids if product_id not in joined])
    session.flush()
    if campaign.status == "active":
        current = set(member_ids(session, campaign.id))
        join(session, campaign, [product_id for product_id in ids if product_id not in current], now)
        session.flush()
        reprice(session, ids, now)
    return _answer(campaign, ids, asked, member=True)
