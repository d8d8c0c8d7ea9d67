"""Turning catalog events into index changes.

``apply_event`` runs inside the consumer's transaction: it records the event in the inbox
(a duplicate is a no-op), drops stale versions and anything after a delete (tombstone),
validates the payload and returns the ``Change`` to make. ``process_event`` is the whole
consumer step for one event: apply, stage the change in the same transaction, commit, then
show it. The service applies bursts in batches, one transaction each (``batching.py``), and
falls back to ``process_event`` per event when a batch cannot commit.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from services.search.engine import Change, Removal, SearchEngine, document_from_snapshot
from services.search.models import AggregateState, Inbox
from shared.consumer import accept_event, accept_version, record_in_inbox
from shared.contracts import ProductDeleted, ProductPricing, ProductsImported, ProductSnapshot
from shared.db import UnitOfWork
from shared.events import PRICING_CHANGED, PRODUCT_DELETED, PRODUCT_UPSERTS, PRODUCTS_IMPORTED, Event

log = logging.getLogger(__name__)

# product_unpublished carries the full snapshot (status draft or archived): the upsert path
# sees it is not listed and removes it from the index, without a tombstone.
HANDLED = PRODUCT_UPSERTS | {PRODUCT_DELETED}


def _check_id(event: Event, payload_id: str) -> None:
    if payload_id != event.aggregate_id:
        raise ValueError(f"payload id {payload_id!r} does not match aggregate_id {event.aggregate_id!r}")


def apply_event(session: Session, event: Event) -> Change | None:
    """The index change ``event`` asks for, or None when there is nothing to do.

    Raises (pydantic ``ValidationError``/``ValueError``) on a payload that does not fit its
    contract, so the consumer retries and then dead-letters it.
    """
    if event.type == PRODUCTS_IMPORTED:
        return apply_import_batch(session, event)
    if event.type == PRICING_CHANGED:
        return apply_pricing(session, event)
    if event.type not in HANDLED:
        # Merchant and promotion events are not used yet. They are left out of the inbox
        # and aggregate state on purpose: once search uses them, a replay must apply them.
        return None
    # Validate before recording: a bad payload must not be marked as processed.
    if event.type in PRODUCT_UPSERTS:
        product = ProductSnapshot.model_validate(event.payload)
        _check_id(event, product.id)
    else:
        deleted = ProductDeleted.model_validate(event.payload)
        _check_id(event, deleted.id)
    if not accept_event(session, event, Inbox, AggregateState):
        log.debug("skipping %s %s v%s (duplicate, stale or deleted)", event.type, event.aggregate_id, event.aggregate_version)
        return None
    if event.type == PRODUCT_DELETED:
        return Change(removals=[Removal(id=event.aggregate_id, version=event.aggregate_version)])
    if not product.listed:
        # A draft or archived product, or one of a rejected or suspended merchant, leaves the
        # index but may come back (the catalog re-publishes the products of a merchant verified
        # or reinstated): no tombstone.
        return Change(removals=[Removal(id=product.id, version=event.aggregate_version)])
    return Change(upserts=[document_from_snapshot(product, version=event.aggregate_version)])


def apply_import_batch(session: Session, event: Event) -> Change | None:
    """One batch of an import: the event is recorded once, then each snapshot is ordered
    by its own product version (a stale one or one after a delete tombstone is dropped)."""
    batch = ProductsImported.model_validate(event.payload)
    if batch.import_id != event.aggregate_id:
        raise ValueError(f"import id {batch.import_id!r} does not match aggregate_id {event.aggregate_id!r}")
    if not record_in_inbox(session, event, Inbox):
        return None
    change = Change()
    for product in batch.products:
        if not accept_version(session, AggregateState, "product", product.id, product.version):
            continue
        if product.listed:
            change.upserts.append(document_from_snapshot(product))
        else:
            change.removals.append(Removal(id=product.id, version=product.version))
    return change or None


def apply_pricing(session: Session, event: Event) -> Change | None:
    """A product's pricing, ordered by its own version (aggregate type "pricing"). It is kept
    apart from the product document (``search_pricing``), so it applies whether the product
    is indexed before or after it, and survives a re-index of the product."""
    pricing = ProductPricing.model_validate(event.payload)
    _check_id(event, pricing.product_id)
    if not record_in_inbox(session, event, Inbox):
        return None
    if not accept_version(session, AggregateState, "pricing", pricing.product_id, pricing.version):
        return None
    return Change(pricings=[pricing.model_dump(mode="json")])


def process_event(uow: UnitOfWork, engine: SearchEngine, event: Event) -> Change | None:
    """Apply ``event`` and stage its change in one transaction; show it once committed."""
    change = apply_event(uow.session, event)
    commit_change(uow, engine, change)
    return change


def commit_change(uow: UnitOfWork, engine: SearchEngine, change: Change | None) -> None:
    """Stage ``change`` in the unit of work, commit, then show it: memory never shows what
    the database rolled back (see engine.py)."""
    if change:
        engine.stage(uow.session, change)
    uow.commit()
    if change:
        engine.apply(change)
