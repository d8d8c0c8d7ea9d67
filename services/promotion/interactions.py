"""Campaign statistics of the promotion service: how often each product was shown in search
(impressions), opened (views) and contacted over WhatsApp (contacts), per day.

Fed by ``search.interactions_recorded`` events that the search service publishes in batches
(aggregate_id = a batch uuid, aggregate_version = 1). Payload shape (schema version 1):

    {"batch_id": "<uuid>",                      # = aggregate_id
     "counts": [{"product_id": "p-1", "day": "2025-03-10",
                 "kind": "impression" | "view" | "contact", "count": 12}, ...]}

A batch is applied once (the inbox drops a redelivery) and only adds to the counters of
``product_interactions_daily``; one row per (product, day).

Contacts also feed the campaigns' budget estimate (``campaigns.record_contacts``: each
WhatsApp contact on a product priced by a discount campaign counts as one sale at that
discount).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.promotion.campaigns import record_contacts
from services.promotion.models import Inbox, ProductInteractionDay
from shared.consumer import record_in_inbox
from shared.events import Event, utcnow

INTERACTIONS_RECORDED = "search.interactions_recorded"
COLUMNS = {"impression": "impressions", "view": "views", "contact": "contacts"}


class InteractionCount(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    product_id: str = Field(min_length=1, max_length=64)
    day: date
    kind: Literal["impression", "view", "contact"]
    count: int = Field(ge=1)


class InteractionsRecorded(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    batch_id: str
    counts: list[InteractionCount]


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
    for (product_id, day), added in totals.items():
        row = session.scalar(select(ProductInteractionDay).where(
            ProductInteractionDay.product_id == product_id, ProductInteractionDay.day == day))
        if row is None:
            session.add(ProductInteractionDay(product_id=product_id, day=day, **added))
            session.flush()
        else:
            for column, value in added.items():
                setattr(row, column, getattr(row, column) + value)
    contacts: dict[str, int] = {}
    for (product_id, _day), added in totals.items():
        if added["contacts"]:
            contacts[product_id] = contacts.get(product_id, 0) + added["contacts"]
    if contacts:
        record_contacts(session, contacts, now or utcnow())
    return True


def product_interactions(session: Session, product_id: str) -> list[dict]:
    """The daily counters of one product, oldest day first."""
    rows = session.scalars(select(ProductInteractionDay).where(ProductInteractionDay.product_id == product_id)
                           .order_by(ProductInteractionDay.day))
    return [{"day": r.day.isoformat(), "impressions": r.impressions, "views": r.views, "contacts": r.contacts}
            for r in rows]
