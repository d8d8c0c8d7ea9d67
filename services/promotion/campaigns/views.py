"""Read models of one campaign and of a promoted product: the shapes the RPC answers carry
(times as ISO 8601 UTC strings plus their WITA display text)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.promotion.campaigns.budget import statistics
from services.promotion.campaigns.targeting import member_count, selection
from services.promotion.campaigns.times import aware
from services.promotion.campaigns.validation import discount_of, target_of
from services.promotion.models import Campaign, ProductFact, ProductPricingState
from shared.formatting import format_wita, iso_utc


def product_count(session: Session, campaign: Campaign) -> int:
    """Members once started; before that, what the targeting selects now."""
    if campaign.status in ("draft", "scheduled"):
        return len(selection(session, campaign))
    return member_count(session, campaign.id)


def times_of(campaign: Campaign) -> dict:
    """The campaign's window in ISO 8601 UTC and as people in Sultra read it (WITA)."""
    return {"starts_at": iso_utc(aware(campaign.starts_at)), "ends_at": iso_utc(aware(campaign.ends_at)),
            "starts_at_wita": format_wita(aware(campaign.starts_at)), "ends_at_wita": format_wita(aware(campaign.ends_at))}


def detail(session: Session, campaign: Campaign, now: datetime, with_days: bool = True) -> dict:
    """The campaign as its promoter (or an admin) sees it: every field, budget, product count
    and statistics (per day unless ``with_days`` is False)."""
    budget = None
    if campaign.budget is not None:
        spent = campaign.budget_spent or 0
        budget = {"amount": campaign.budget, "spent": spent, "remaining": max(0, campaign.budget - spent),
                  "funded_by": campaign.funded_by, "exhausted": bool(campaign.budget_exhausted)}
    return {
        "id": campaign.id, "name": campaign.name, "description": campaign.description or "",
        "status": campaign.status, **times_of(campaign),
        "discount": discount_of(campaign), "featured": bool(campaign.featured), "target": target_of(campaign),
        "max_products": campaign.max_products, "open_for_signup": bool(campaign.open_for_signup),
        "budget": budget, "discounting": bool(campaign.discount_type) and not campaign.budget_exhausted,
        "product_count": product_count(session, campaign), "owner_id": campaign.owner_id,
        "created_at": iso_utc(aware(campaign.created_at)), "updated_at": iso_utc(aware(campaign.updated_at)), "version": campaign.version,
        "statistics": statistics(session, campaign, now, with_days),
    }


def lite(session: Session, campaign: Campaign) -> dict:
    """The campaign as owners and buyers see it: no targeting, budget or statistics."""
    return {"id": campaign.id, "name": campaign.name, "description": campaign.description or "",
            "status": campaign.status, **times_of(campaign), "discount": discount_of(campaign),
            "featured": bool(campaign.featured), "open_for_signup": bool(campaign.open_for_signup),
            "product_count": product_count(session, campaign)}


def product_view(fact: ProductFact, state: ProductPricingState | None, now: datetime) -> dict:
    """A product with the price buyers pay now (its campaign pricing while that is valid)."""
    live = state is not None and state.campaign_id is not None and (
        state.valid_until is None or aware(state.valid_until) > now)
    return {"id": fact.id, "name": fact.name, "slug": fact.slug, "price": fact.price,
            "effective_price": state.effective_price if live else fact.price,
            "discount_percent": state.discount_percent if live else 0, "badge": state.badge if live else None,
            "region": fact.region, "category": fact.category, "merchant_id": fact.merchant_id,
            "merchant_name": fact.merchant_name, "photo_url": fact.photo_url}
