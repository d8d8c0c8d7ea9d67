"""Read operations of the promotion service's RPC: a promoter's campaigns and their
preview, an owner's invitations (the campaigns that select their products), and what buyers see (running campaigns,
featured slots, current pricing). Nothing here writes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.promotion.campaigns.access import caller, managed_campaign, promoter
from services.promotion.campaigns.status import STATUSES
from services.promotion.campaigns.targeting import (
    eligible_query,
    invited,
    member_ids,
    requires_join,
    selection,
    target_conditions,
)
from services.promotion.campaigns.times import aware
from services.promotion.campaigns.views import detail, lite, product_view
from services.promotion.models import (
    Campaign,
    CampaignMember,
    CampaignOptOut,
    CampaignSignup,
    MerchantFact,
    ProductFact,
    ProductPricingState,
)
from services.promotion.pricing import discounted_price
from shared.actor import ADMIN, OWNER, Actor
from shared.db import chunks
from shared.errors import Forbidden, ValidationFailed
from shared.formatting import iso_utc
from shared.messages import t

MAX_PER_PAGE = 100
MAX_PRICING_IDS = 100
MAX_SLOTS = 50


def get_campaign(session: Session, actor: Actor, campaign_id, now: datetime) -> dict:
    """One campaign with its statistics per day, for its promoter or an admin."""
    return detail(session, managed_campaign(session, actor, campaign_id), now)


def list_campaigns(session: Session, actor: Actor, now: datetime, status=None, page=1, per_page=20) -> dict:
    """A promoter's campaigns (every campaign for an admin), latest start first, paged."""
    actor_id, role = promoter(actor)
    errors = {}
    if status not in (None, "") and status not in STATUSES:
        errors["status"] = t("Harus salah satu dari: %(choices)s.", choices=", ".join(STATUSES))
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        errors["page"] = t("Harus bilangan bulat mulai dari 1.")
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = t("Harus bilangan bulat 1 sampai %(max)s.", max=MAX_PER_PAGE)
    if errors:
        raise ValidationFailed(t("Parameter tidak valid."), errors)
    query = select(Campaign)
    if role != ADMIN:
        query = query.where(Campaign.owner_id == actor_id)
    if status:
        query = query.where(Campaign.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Campaign.starts_at.desc(), Campaign.id)
                            .offset((page - 1) * per_page).limit(per_page))
    return {"total": total, "page": page, "per_page": per_page,
            "items": [detail(session, campaign, now, with_days=False) for campaign in items]}


def preview_campaign(session: Session, actor: Actor, campaign_id, now: datetime, limit=50) -> dict:
    """Which products the campaign takes: before the start, what its targeting invites now
    (opt-outs removed) and which of them are joined (in at the start); from the start, its
    members. The first ``limit`` with the price they get."""
    campaign = managed_campaign(session, actor, campaign_id)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 500:
        raise ValidationFailed(t("Parameter tidak valid."), {"limit": t("Harus bilangan bulat 0 sampai 500.")})
    if campaign.status in ("draft", "scheduled"):
        ids = invited(session, campaign)
        joined = set(selection(session, campaign)) if requires_join(campaign) else set(ids)
    else:
        ids = member_ids(session, campaign.id)
        joined = set(ids)
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
                         "region": fact.region, "category": fact.category, "merchant_id": fact.merchant_id,
                         "joined": product_id in joined})
    return {"count": len(ids), "joined": len(joined), "products": products}


def _state(product_id: str, needs_join: bool, joined: set, members: set, opted_out: set) -> str:
    """``out`` (the owner took it out), ``joined`` (in: joined a campaign that requires it, or
    simply selected by a featured-only one) or ``invited`` (waiting for the owner's join)."""
    if product_id in opted_out:
        return "out"
    if (product_id in joined) if needs_join else (product_id in members):
        return "joined"
    return "invited"


def campaigns_for_owner(session: Session, actor: Actor, now: datetime) -> dict:
    """The owner's invitations: scheduled and active campaigns whose targeting selects some
    of the owner's products, with the discount, window and funder, and per product whether
    it is invited, joined or out, whether it is (or will be at the start) in the campaign,
    and the price it gets there."""
    actor_id, role = caller(actor)
    if role not in (OWNER, ADMIN):
        raise Forbidden(t("Hanya pemilik usaha yang melihat kampanye untuk produknya."))
    merchants = select(MerchantFact.id).where(MerchantFact.owner_id == actor_id)
    product_ids = list(session.scalars(select(ProductFact.id).where(ProductFact.merchant_id.in_(merchants))
                                       .order_by(ProductFact.id)))
    items = []
    if not product_ids:
        return {"items": items}
    campaigns = session.scalars(select(Campaign).where(Campaign.status.in_(("scheduled", "active")))
                                .order_by(Campaign.starts_at, Campaign.id))
    for campaign in campaigns:
        facts = []
        for chunk in chunks(product_ids):
            facts += session.scalars(select(ProductFact).where(ProductFact.id.in_(chunk), *target_conditions(campaign)))
        if facts:
            items.append(_invitation(session, campaign, sorted(facts, key=lambda fact: fact.id)))
    return {"items": items}


def _invitation(session: Session, campaign: Campaign, facts: list[ProductFact]) -> dict:
    targeted = [fact.id for fact in facts]
    if campaign.status == "active":
        members = set(session.scalars(select(CampaignMember.product_id).where(
            CampaignMember.campaign_id == campaign.id, CampaignMember.left_at.is_(None),
            CampaignMember.product_id.in_(targeted))))
    else:
        members = set(session.scalars(eligible_query(campaign, targeted)))
    opted_out = set(session.scalars(select(CampaignOptOut.product_id).where(
        CampaignOptOut.campaign_id == campaign.id, CampaignOptOut.product_id.in_(targeted))))
    joined = set(session.scalars(select(CampaignSignup.product_id).where(
        CampaignSignup.campaign_id == campaign.id, CampaignSignup.product_id.in_(targeted))))
    needs_join = requires_join(campaign)
    discounting = bool(campaign.discount_type) and not campaign.budget_exhausted
    products = []
    for fact in facts:
        effective = (discounted_price(fact.price, campaign.discount_type, campaign.discount_value)
                     if discounting else fact.price)
        products.append({"product_id": fact.id, "name": fact.name, "merchant_id": fact.merchant_id,
                         "state": _state(fact.id, needs_join, joined, members, opted_out),
                         "member": fact.id in members, "opted_out": fact.id in opted_out,
                         "price": fact.price, "effective_price": effective})
    return lite(session, campaign) | {"funded_by": campaign.funded_by, "requires_join": needs_join,
                                      "my_products": products}


def active_campaigns(session: Session, limit=10) -> dict:
    """The running campaigns as anyone sees them, earliest start first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValidationFailed(t("Parameter tidak valid."), {"limit": t("Harus bilangan bulat 1 sampai 100.")})
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
        raise ValidationFailed(t("Parameter tidak valid."), {"slots": t("Harus bilangan bulat 1 sampai %(max)s.", max=MAX_SLOTS)})
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
    items = [product_view(facts[product_id], states.get(product_id), now) for product_id in chosen
             if product_id in facts]
    return {"slots": slots, "rotation_seconds": rotation_seconds, "items": items}


def pricing_for(session: Session, product_ids, now: datetime) -> dict:
    """The campaign pricing of the products that have one valid now (others are left out)."""
    if not isinstance(product_ids, list) or not all(isinstance(item, str) for item in product_ids):
        raise ValidationFailed(t("Parameter tidak valid."), {"product_ids": t("Harus berupa daftar id produk.")})
    if len(product_ids) > MAX_PRICING_IDS:
        raise ValidationFailed(t("Parameter tidak valid."), {"product_ids": t("Paling banyak %(max)s id.", max=MAX_PRICING_IDS)})
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
    """How many product facts and active campaigns there are (for the health check)."""
    return {
        "products": session.scalar(select(func.count()).select_from(ProductFact)) or 0,
        "campaigns": session.scalar(select(func.count()).select_from(Campaign).where(Campaign.status == "active")) or 0,
    }
