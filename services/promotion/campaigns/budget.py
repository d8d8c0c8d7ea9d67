"""A campaign's budget and statistics.

Budget: the discount a campaign gives is not known (buyers pay the seller over WhatsApp, off
the platform), so it is *estimated*: every WhatsApp contact click on a product whose current
pricing comes from a discount campaign counts as one sale at that discount, adding
(normal - effective price) to the campaign's ``budget_spent`` (``record_contacts``, called
from the interactions path). Once spent >= budget the campaign is ``budget_exhausted``: it
stops discounting (its members are repriced; a featured badge stays) and the detail says so.
Campaigns without a budget keep the same estimate as ``discount_given``.

Statistics: impressions, clicks and contacts of the campaign's products per WITA day, from
the daily counters that search's interaction batches fill (``interactions.py``).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from services.promotion.campaigns.fanout import reprice
from services.promotion.campaigns.targeting import member_ids
from services.promotion.campaigns.times import aware, wita_day
from services.promotion.models import Campaign, CampaignMember, ProductInteractionDay, ProductPricingState
from shared.db import chunks


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
