"""Keeps the promotion service's product facts in step with catalog events."""
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.promotion.interactions import INTERACTIONS_RECORDED, apply_interactions
from services.promotion.models import AggregateState, Inbox, ProductFact
from shared.consumer import accept_event, accept_version, record_in_inbox
from shared.contracts import ProductDeleted, ProductsImported, ProductSnapshot
from shared.events import Event

PRODUCT_UPSERTS = {"catalog.product_published", "catalog.product_updated", "catalog.product_unpublished"}


def apply_event(session: Session, event: Event) -> bool:
    """Apply one catalog event; returns whether it changed anything.

    Payloads are validated before anything is recorded, so a bad payload raises and is
    retried, then dead-lettered, instead of being marked processed.
    """
    if event.type == INTERACTIONS_RECORDED:  # campaign statistics from search
        return apply_interactions(session, event)
    if event.type in PRODUCT_UPSERTS:
        snapshot = ProductSnapshot.model_validate(event.payload)
        if not accept_event(session, event, Inbox, AggregateState):
            return False
        upsert_fact(session, snapshot, event.aggregate_version)
        return True
    if event.type == "catalog.product_deleted":
        deleted = ProductDeleted.model_validate(event.payload)
        if not accept_event(session, event, Inbox, AggregateState):
            return False
        session.execute(delete(ProductFact).where(ProductFact.id == deleted.id))
        return True
    if event.type == "catalog.products_imported":
        return apply_import_batch(session, event)
    # Other catalog events (merchants) matter to campaigns later; record them as seen.
    return accept_event(session, event, Inbox, AggregateState)


def apply_import_batch(session: Session, event: Event) -> bool:
    """A batch of an import: recorded once, each snapshot ordered by its own version."""
    batch = ProductsImported.model_validate(event.payload)
    if not record_in_inbox(session, event, Inbox):
        return False
    changed = False
    for snapshot in batch.products:
        if accept_version(session, AggregateState, "product", snapshot.id, snapshot.version):
            upsert_fact(session, snapshot, snapshot.version)
            changed = True
    return changed


def upsert_fact(session: Session, snapshot: ProductSnapshot, version: int) -> None:
    """Keep the fact of a product on sale; drop it otherwise (no tombstone: it may return)."""
    if snapshot.status != "published" or snapshot.merchant.status == "suspended":
        # Not on sale: a draft or archived product, or one of a suspended merchant.
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
    fact.version = version
    session.add(fact)


def product_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProductFact)) or 0
