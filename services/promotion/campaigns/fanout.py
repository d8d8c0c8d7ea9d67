"""Pricing fan-out: what each product costs now, and one ``promotion.pricing_changed`` event
per product whose pricing changed, for search (and the pages) to follow.

``reprice`` is the one place pricing is computed from memberships; every change that moves
products in or out of a campaign, or changes a campaign's terms, ends by repricing the
products it touched. ``refresh_products`` is that for catalog changes. Ties between
campaigns that give the same price are broken by ``pricing.best_pricing``: the earlier
start, then the smaller campaign id.

Bulk throughout: a campaign start or end reprices thousands of products with a handful of
statements per 500 products (multi-row inserts of states and outbox rows).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.promotion.campaigns.bulk import bulk_insert
from services.promotion.campaigns.targeting import eligible_query, join, member_count
from services.promotion.campaigns.times import aware
from services.promotion.models import Campaign, CampaignMember, Outbox, ProductPricingState
from services.promotion.pricing import Offer, Pricing, best_pricing
from shared.db import chunks, execute_driver_sql, parameter_style, placeholders
from shared.events import PRICING_CHANGED, Event
from shared.outbox import add_events


def offer_of(campaign: Campaign) -> Offer:
    """The campaign's terms as ``pricing`` weighs them against other campaigns."""
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
    session.flush()  # the statements below go straight to the driver, past the ORM's autoflush
    connection = session.connection()
    style = parameter_style(connection.dialect)
    lock = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""
    for chunk in chunks(ids):
        marks = ", ".join(placeholders(style, len(chunk)))
        # Each product's price and its memberships of active campaigns, in one statement
        # (memberships only matter for a product that has a fact, hence the outer join).
        prices: dict[str, int] = {}
        memberships: list[tuple[str, str]] = []
        for product_id, price, campaign_id in execute_driver_sql(connection, (
                "SELECT f.id, f.price, m.campaign_id FROM product_facts f "
                "LEFT JOIN campaign_members m ON m.product_id = f.id AND m.left_at IS NULL "
                "AND m.campaign_id IN (SELECT id FROM campaigns WHERE status = 'active') "
                f"WHERE f.id IN ({marks})"), chunk):
            prices[product_id] = price
            if campaign_id is not None:
                memberships.append((product_id, campaign_id))
        missing = {campaign_id for _, campaign_id in memberships} - offers_by_campaign.keys()
        if missing:
            for campaign in session.scalars(select(Campaign).where(Campaign.id.in_(list(missing)))
                                            .execution_options(populate_existing=True)):
                offers_by_campaign[campaign.id] = offer_of(campaign)
        offers: dict[str, list[Offer]] = {}
        for product_id, campaign_id in memberships:
            offers.setdefault(product_id, []).append(offers_by_campaign[campaign_id])
        # Row locks (PostgreSQL) in id order: two workers repricing one product take turns.
        states = {row.product_id: row for row in map(PublishedPricing._make, execute_driver_sql(connection, (
            'SELECT product_id, version, "key", normal_price, campaign_id FROM product_pricing '
            f"WHERE product_id IN ({marks}) ORDER BY product_id{lock}"), chunk))}
        state_rows, replaced, events = [], [], []
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
                state_rows.append(state_row(product_id, pricing, key, state.version, now))
                continue
            version = (state.version if state else 0) + 1
            state_rows.append(state_row(product_id, pricing, key, version, now))
            events.append(Event(type=PRICING_CHANGED, aggregate_id=product_id, aggregate_version=version,
                                payload=pricing.payload(product_id, version)))
        if replaced:
            session.execute(delete(ProductPricingState).where(ProductPricingState.product_id.in_(replaced))
                            .execution_options(synchronize_session="fetch"))
        bulk_insert(session, ProductPricingState, state_rows)
        add_events(session, Outbox, events)
        staged += len(events)
    return staged


class PublishedPricing(NamedTuple):
    """What ``reprice`` reads of a product's ``product_pricing`` row."""

    product_id: str
    version: int
    key: str
    normal_price: int
    campaign_id: str | None


def state_row(product_id: str, pricing: Pricing, key: str, version: int, now: datetime) -> dict:
    """The ``product_pricing_state`` row of a product's pricing: what was last published."""
    return {
        "product_id": product_id, "version": version, "key": key, "normal_price": pricing.normal_price,
        "effective_price": pricing.effective_price, "discount_amount": pricing.discount_amount,
        "discount_percent": pricing.discount_percent, "promoted": pricing.promoted, "badge": pricing.badge,
        "boost": pricing.boost, "campaign_id": pricing.campaign_id, "campaign_name": pricing.campaign_name,
        "valid_until": pricing.valid_until, "updated_at": now,
    }


ACTIVE_CAMPAIGN_CHECK = "SELECT 1 FROM campaigns WHERE status = 'active' LIMIT 1"


def refresh_products(session: Session, product_ids: Iterable[str], now: datetime) -> int:
    """After catalog changes to ``product_ids``: join the active campaigns they now match
    (room permitting), leave the ones they no longer match (or whose fact is gone), then
    reprice them. Returns the number of pricing events staged."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    session.flush()  # the check below goes straight to the driver, past the ORM's autoflush
    # Most batches of catalog events come when no campaign runs: a plain check first (one
    # round trip, nothing compiled), the campaigns themselves only when there are some.
    any_active = execute_driver_sql(session.connection(), ACTIVE_CAMPAIGN_CHECK, ()).first() is not None
    active = list(session.scalars(select(Campaign).where(Campaign.status == "active").order_by(Campaign.id))) \
        if any_active else []
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
                room = max(0, campaign.max_products - member_count(session, campaign.id))
                joining = joining[:room]
            join(session, campaign, joining, now, rows)
    session.flush()
    return reprice(session, ids, now)
