"""Campaign statistics of the promotion service: how often each product was shown in search
(impressions), opened (views) and contacted over WhatsApp (contacts), per day.

Fed by ``search.interactions_recorded`` events that the search service publishes in batches
(aggregate_id = a batch uuid, aggregate_version = 1). Payload shape (schema version 1):

    {"batch_id": "<uuid>",                      # = aggregate_id
     "counts": [{"product_id": "p-1", "day": "2025-03-10",
                 "kind": "impression" | "view" | "contact", "count": 12}, ...]}

A batch is applied once (the inbox drops a redelivery) and only adds to the counters of
``product_interactions_daily``; one row per (product, day).

Contacts also feed the campaigns' budget estimate (``campaigns.budget.record_contacts``: each
WhatsApp contact on a product priced by a discount campaign counts as one sale at that
discount).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.promotion.campaigns.access import caller
from services.promotion.campaigns.budget import record_contacts
from services.promotion.campaigns.views import product_view
from services.promotion.models import Inbox, MerchantFact, ProductFact, ProductInteractionDay, ProductPricingState
from shared.actor import ADMIN, OWNER, Actor
from shared.consumer import dialect_insert, record_in_inbox
from shared.contracts import InteractionsRecorded
from shared.db import chunks
from shared.errors import Forbidden, ValidationFailed
from shared.events import Event, utcnow
from shared.messages import t

COLUMNS = {"impression": "impressions", "view": "views", "contact": "contacts"}


def apply_interactions(session: Session, event: Event, now: datetime | None = None) -> bool:
    """Add one batch to the daily counters; False when the batch was applied before.
    Raises (pydantic ``ValidationError``/``ValueError``) on a payload that breaks the shape."""
    batch = InteractionsRecorded.model_validate(event.payload)
    if batch.batch_id != event.aggregate_id:
        raise ValueError(f"batch id {batch.batch_id!r} does not match aggregate_id {event.aggregate_id!r}")
    if not record_in_inbox(session, event, Inbox):
        return False
    totals: dict[tuple[str, date], dict[str, int]] = {}
    for item in batch.counts:
        row = totals.setdefault((item.product_id, item.day), dict.fromkeys(COLUMNS.values(), 0))
        row[COLUMNS[item.kind]] += item.count
    add_to_counters(session, totals)
    contacts: dict[str, int] = {}
    for (product_id, _day), added in totals.items():
        if added["contacts"]:
            contacts[product_id] = contacts.get(product_id, 0) + added["contacts"]
    if contacts:
        record_contacts(session, contacts, now or utcnow())
    return True


def add_to_counters(session: Session, totals: dict[tuple[str, date], dict[str, int]]) -> None:
    """Add to the daily counters with one upsert per chunk: two batches that both count a
    product's first interactions of a day cannot race to insert its row. Rows go in key
    order, so two batches lock the rows they share in the same order (no deadlock)."""
    table = ProductInteractionDay.__table__
    rows = [{"product_id": product_id, "day": day, **added} for (product_id, day), added in sorted(totals.items())]
    for chunk in chunks(rows):
        insert = dialect_insert(session)(table).values(chunk)
        session.execute(insert.on_conflict_do_update(
            index_elements=["product_id", "day"],
            set_={column: table.c[column] + insert.excluded[column] for column in COLUMNS.values()}))


def product_interactions(session: Session, product_id: str) -> list[dict]:
    """The daily counters of one product, oldest day first."""
    rows = session.scalars(select(ProductInteractionDay).where(ProductInteractionDay.product_id == product_id)
                           .order_by(ProductInteractionDay.day))
    return [{"day": r.day.isoformat(), "impressions": r.impressions, "views": r.views, "contacts": r.contacts}
            for r in rows]


MAX_STATISTICS_PRODUCTS = 200
MAX_STATISTICS_DAYS = 365


def product_statistics(session: Session, actor: Actor, product_ids, days=30, now: datetime | None = None) -> dict:
    """Views, WhatsApp contacts and search impressions of some products over the last
    ``days`` days (UTC days, today included), for their owner (or an admin).

    ``{"days": 30, "since": "2026-11-03", "items": {product_id: {"impressions", "views", "contacts"}}}``.
    Products the actor does not own (or that promotion does not know yet) are left out;
    owned products without interactions get zeros."""
    actor_id, role = caller(actor)
    if role not in (OWNER, ADMIN):
        raise Forbidden(t("Hanya pemilik usaha yang melihat statistik produknya."))
    errors = {}
    if not isinstance(product_ids, list) or not all(isinstance(p, str) and 0 < len(p) <= 64 for p in product_ids) \
            or len(product_ids) > MAX_STATISTICS_PRODUCTS:
        errors["product_ids"] = t("Harus daftar id produk (paling banyak %(max)s).", max=MAX_STATISTICS_PRODUCTS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_STATISTICS_DAYS:
        errors["days"] = t("Harus bilangan bulat 1 sampai %(max)s.", max=MAX_STATISTICS_DAYS)
    if errors:
        raise ValidationFailed(t("Parameter tidak valid."), errors)
    since = (now or utcnow()).astimezone(timezone.utc).date() - timedelta(days=days - 1)
    wanted = sorted(set(product_ids))
    query = select(ProductFact.id).where(ProductFact.id.in_(wanted))
    if role != ADMIN:
        query = query.join(MerchantFact, MerchantFact.id == ProductFact.merchant_id).where(
            MerchantFact.owner_id == actor_id)
    owned = list(session.scalars(query)) if wanted else []
    items = {pid: dict.fromkeys(COLUMNS.values(), 0) for pid in owned}
    if owned:
        rows = session.execute(
            select(ProductInteractionDay.product_id, func.sum(ProductInteractionDay.impressions),
                   func.sum(ProductInteractionDay.views), func.sum(ProductInteractionDay.contacts))
            .where(ProductInteractionDay.product_id.in_(owned), ProductInteractionDay.day >= since)
            .group_by(ProductInteractionDay.product_id))
        for product_id, impressions, views, contacts in rows:
            items[product_id] = {"impressions": int(impressions or 0), "views": int(views or 0),
                                 "contacts": int(contacts or 0)}
    return {"days": days, "since": since.isoformat(), "items": items}


MAX_POPULAR = 50
CONTACT_WEIGHT = 3  # a WhatsApp contact says more about what buyers seek than a page view


def popular_products(session: Session, limit=8, days=30, now: datetime | None = None) -> dict:
    """The home page's "Paling dicari": the products buyers sought most over the last ``days``
    UTC days (views + 3 x WhatsApp contacts), most first, ties by id; only products on sale
    (promotion keeps facts of those alone) and that someone looked at. Each with the price
    buyers pay now. ``{"days", "items": [product view]}``."""
    errors = {}
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_POPULAR:
        errors["limit"] = t("Harus bilangan bulat 1 sampai %(max)s.", max=MAX_POPULAR)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_STATISTICS_DAYS:
        errors["days"] = t("Harus bilangan bulat 1 sampai %(max)s.", max=MAX_STATISTICS_DAYS)
    if errors:
        raise ValidationFailed(t("Parameter tidak valid."), errors)
    now = (now or utcnow()).astimezone(timezone.utc)
    since = now.date() - timedelta(days=days - 1)
    score = func.sum(ProductInteractionDay.views) + CONTACT_WEIGHT * func.sum(ProductInteractionDay.contacts)
    ids = list(session.scalars(
        select(ProductInteractionDay.product_id)
        .join(ProductFact, ProductFact.id == ProductInteractionDay.product_id)
        .where(ProductInteractionDay.day >= since)
        .group_by(ProductInteractionDay.product_id).having(score > 0)
        .order_by(score.desc(), ProductInteractionDay.product_id).limit(limit)))
    facts = {fact.id: fact for fact in session.scalars(select(ProductFact).where(ProductFact.id.in_(ids)))} if ids else {}
    states = {state.product_id: state for state in session.scalars(
        select(ProductPricingState).where(ProductPricingState.product_id.in_(ids)))} if ids else {}
    return {"days": days, "items": [product_view(facts[pid], states.get(pid), now) for pid in ids if pid in facts]}
