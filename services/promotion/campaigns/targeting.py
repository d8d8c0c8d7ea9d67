"""Which products a campaign includes: its targeting over the product facts, and its
membership.

The targeting selects products on which all criteria hold (a parent category includes its
children). A seller's price changes only with the seller's consent: a campaign that
discounts (or is ``open_for_signup``) only *invites* the products its targeting selects,
and takes the ones their owners joined (``CampaignSignup`` rows, see ``requires_join``); a
featured-only campaign takes every selected product without a join. Membership is
materialised when a campaign activates: the products the targeting selects, minus the
products their owners opted out, only the joined ones when the campaign requires a join,
and at most ``max_products`` of them in product-id order. While it is active, catalog changes move products in and out
(``fanout.refresh_products``). A product that leaves keeps its member row with ``left_at``
set, so statistics still count it.

Nothing here reprices: the callers reprice the products that joined or left.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import Session

from services.promotion.campaigns.bulk import bulk_insert
from services.promotion.models import Campaign, CampaignMember, CampaignOptOut, CampaignSignup, ProductFact
from shared.db import analyze_when_outgrown, chunks


def target_conditions(campaign: Campaign) -> list:
    """The WHERE conditions on ``ProductFact`` of the campaign's targeting: every criterion
    must hold; a parent category includes its children; without any criterion it selects nothing."""
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


def requires_join(campaign: Campaign) -> bool:
    """Whether a product is in only once its owner joined: a campaign that changes prices
    (a discount), or one that invites sign-ups. A featured-only one needs no join."""
    return bool(campaign.discount_type) or bool(campaign.open_for_signup)


def eligible_query(campaign: Campaign, restrict: list[str] | None = None, joined_only: bool = True):
    """Product ids the campaign may include now, in the deterministic order (product id):
    targeting, minus opt-outs, only the joined ones when the campaign requires a join (with
    ``joined_only`` False: every product it invites)."""
    query = select(ProductFact.id).where(*target_conditions(campaign))
    if restrict is not None:
        query = query.where(ProductFact.id.in_(restrict))
    query = query.where(~exists().where(CampaignOptOut.campaign_id == campaign.id,
                                        CampaignOptOut.product_id == ProductFact.id))
    if joined_only and requires_join(campaign):
        query = query.where(exists().where(CampaignSignup.campaign_id == campaign.id,
                                           CampaignSignup.product_id == ProductFact.id))
    return query.order_by(ProductFact.id)


def selection(session: Session, campaign: Campaign) -> list[str]:
    """What the campaign would include if it started now (``max_products`` applied)."""
    ids = list(session.scalars(eligible_query(campaign)))
    return ids[:campaign.max_products] if campaign.max_products else ids


def invited(session: Session, campaign: Campaign) -> list[str]:
    """What the campaign invites now: the targeting minus opt-outs (joined or not); for a
    featured-only campaign, what it would include (``max_products`` applied)."""
    if not requires_join(campaign):
        return selection(session, campaign)
    return list(session.scalars(eligible_query(campaign, joined_only=False)))


def member_count(session: Session, campaign_id: str) -> int:
    """How many products are in the campaign now (members that left are not counted)."""
    return session.scalar(select(func.count()).select_from(CampaignMember).where(
        CampaignMember.campaign_id == campaign_id, CampaignMember.left_at.is_(None))) or 0


def member_ids(session: Session, campaign_id: str) -> list[str]:
    """The products in the campaign now, by id."""
    return list(session.scalars(select(CampaignMember.product_id).where(
        CampaignMember.campaign_id == campaign_id, CampaignMember.left_at.is_(None))
        .order_by(CampaignMember.product_id)))


def join(session: Session, campaign: Campaign, product_ids: list[str], now: datetime,
         rows: dict[str, CampaignMember] | None = None) -> None:
    """Make ``product_ids`` members (new rows in bulk, former members back in)."""
    if not product_ids:
        return
    if rows is None:
        rows = {}
        for chunk in chunks(product_ids):
            rows.update({row.product_id: row for row in session.scalars(select(CampaignMember).where(
                CampaignMember.campaign_id == campaign.id, CampaignMember.product_id.in_(chunk)))})
    source = "signup" if requires_join(campaign) else "target"
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
    # The repricing that follows joins the members: plan it on statistics that include them.
    analyze_when_outgrown(session, CampaignMember.__table__, len(new))


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
    join(session, campaign, joining, now, current)
    session.flush()
    return joining
