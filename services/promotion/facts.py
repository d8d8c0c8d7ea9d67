"""Keeps the promotion service's product and merchant facts in step with catalog events,
and campaigns in step with the facts: after a product's fact changes it joins or leaves the
active campaigns it now matches or no longer matches, and is repriced (a deleted or
unlisted product, or one of a rejected or suspended merchant, leaves every campaign and the
featured slots and, if it had a campaign pricing, gets a revert event)."""
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.promotion.campaigns.fanout import refresh_products
from services.promotion.interactions import apply_interactions
from services.promotion.models import AggregateState, Inbox, MerchantFact, ProductFact
from shared.consumer import accept_event, accept_version, record_in_inbox
from shared.contracts import MerchantSnapshot, ProductDeleted, ProductsImported, ProductSnapshot
from shared.events import (
    INTERACTIONS_RECORDED,
    MERCHANT_EVENTS,
    PRODUCT_DELETED,
    PRODUCT_UPSERTS,
    PRODUCTS_IMPORTED,
    Event,
    utcnow,
)

# A product not listed (``ProductSnapshot.listed``: a draft, archived, or of a rejected or
# suspended merchant) is not on sale, so it has no fact; search hides the same ones.


def apply_event(session: Session, event: Event, now: datetime | None = None) -> bool:
    """Apply one catalog event; returns whether it changed anything.

    Payloads are validated before anything is recorded, so a bad payload raises and is
    retried, then dead-lettered, instead of being marked processed.
    """
    now = now or utcnow()
    if event.type == INTERACTIONS_RECORDED:  # campaign statistics (and budget) from search
        return apply_interactions(session, event, now)
    if event.type in PRODUCT_UPSERTS:
        snapshot = ProductSnapshot.model_validate(event.payload)
        if not accept_event(session, event, Inbox, AggregateState):
            return False
        upsert_fact(session, snapshot, event.aggregate_version)
        refresh_products(session, [snapshot.id], now)
        return True
    if event.type == PRODUCT_DELETED:
        deleted = ProductDeleted.model_validate(event.payload)
        if not accept_event(session, event, Inbox, AggregateState):
            return False
        session.execute(delete(ProductFact).where(ProductFact.id == deleted.id))
        refresh_products(session, [deleted.id], now)
        return True
    if event.type == PRODUCTS_IMPORTED:
        return apply_import_batch(session, event, now)
    if event.type in MERCHANT_EVENTS:
        snapshot = MerchantSnapshot.model_validate(event.payload)
        if not accept_event(session, event, Inbox, AggregateState):
            return False
        apply_merchant(session, snapshot, event.aggregate_version, now)
        return True
    return accept_event(session, event, Inbox, AggregateState)


def apply_import_batch(session: Session, event: Event, now: datetime | None = None) -> bool:
    """A batch of an import: recorded once, each snapshot ordered by its own version."""
    batch = ProductsImported.model_validate(event.payload)
    if not record_in_inbox(session, event, Inbox):
        return False
    changed = []
    for snapshot in batch.products:
        if accept_version(session, AggregateState, "product", snapshot.id, snapshot.version):
            upsert_fact(session, snapshot, snapshot.version)
            changed.append(snapshot.id)
    if changed:
        session.flush()
        refresh_products(session, changed, now or utcnow())
    return bool(changed)


def apply_merchant(session: Session, snapshot: MerchantSnapshot, version: int, now: datetime) -> None:
    """Keep the merchant's fact (who owns it: opt-out and opt-in) and bring its products'
    merchant fields along; a rejected or suspended merchant's products leave (the catalog
    republishes them too, this just does not wait for it)."""
    merchant = session.get(MerchantFact, snapshot.id) or MerchantFact(id=snapshot.id)
    merchant.owner_id = snapshot.owner_id
    merchant.name = snapshot.name
    merchant.kind = snapshot.kind
    merchant.status = snapshot.status
    merchant.verified = snapshot.verified
    merchant.version = version
    session.add(merchant)
    products = list(session.scalars(select(ProductFact).where(ProductFact.merchant_id == snapshot.id)))
    if not products:
        return
    if not snapshot.listed:
        session.execute(delete(ProductFact).where(ProductFact.merchant_id == snapshot.id))
    else:
        for fact in products:
            fact.merchant_name = snapshot.name
            fact.merchant_kind = snapshot.kind
            fact.merchant_verified = snapshot.verified
    session.flush()
    refresh_products(session, [fact.id for fact in products], now)


def upsert_fact(session: Session, snapshot: ProductSnapshot, version: int) -> None:
    """Keep the fact of a product on sale; drop it otherwise (no tombstone: it may return)."""
    if not snapshot.listed:
        # Not on sale: a draft or archived product, or one of a rejected or suspended merchant.
        session.execute(delete(ProductFact).where(ProductFact.id == snapshot.id))
        return
    fact = session.get(ProductFact, snapshot.id) or ProductFact(id=snapshot.id)
    fact.merchant_id = snapshot.merchant_id
    fact.name = snapshot.name
    fact.price = snapshot.price
    fact.category = snapshot.category.slug
    fact.parent_category = snapshot.category.parent_slug
    fact.region = snapshot.region
    fact.merchant_kind = snapshot.merchant.kind
    fact.merchant_verified = snapshot.merchant.verified
    fact.halal = snapshot.halal
    fact.slug = snapshot.slug
    fact.merchant_name = snapshot.merchant.name
    fact.photo_url = next((photo.thumb_url() for photo in snapshot.photos if photo.urls), None)
    fact.version = version
    session.add(fact)


def product_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProductFact)) or 0
