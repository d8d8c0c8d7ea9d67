"""Turning catalog events into index changes.

``apply_events`` runs inside the consumer's transaction: it validates each event's payload
(``plan_event``), records the batch in the inbox (a duplicate is a no-op), drops stale
versions and anything after a delete (tombstone), and returns each event's ``Change``. The
service applies bursts in batches, one transaction each (``batching.py``).
``process_event`` is the whole step for one event (apply, stage, commit, show), for tools
and tests; ``commit_change`` stages and shows a change (verify's repairs).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.search.engine import Change, Removal, SearchEngine, document_from_snapshot, merge_changes
from services.search.models import AggregateState, Inbox
from shared.consumer import VersionedWrite, accepted_writes
from shared.contracts import ProductDeleted, ProductPricing, ProductsImported, ProductSnapshot
from shared.db import UnitOfWork
from shared.events import PRICING_CHANGED, PRODUCT_DELETED, PRODUCT_UPSERTS, PRODUCTS_IMPORTED, Event


def _check_id(event: Event, payload_id: str) -> None:
    if payload_id != event.aggregate_id:
        raise ValueError(f"payload id {payload_id!r} does not match aggregate_id {event.aggregate_id!r}")


def plan_event(event: Event) -> list[tuple[VersionedWrite, Change]] | None:
    """The writes ``event`` asks for, or None for an event search does not use.

    Raises (pydantic ``ValidationError``/``ValueError``) on a payload that does not fit its
    contract, before anything is recorded: a bad payload is retried, then dead-lettered,
    never marked as processed.
    """
    if event.type == PRODUCTS_IMPORTED:
        # One batch of an import: recorded once, each snapshot ordered by its own version.
        batch = ProductsImported.model_validate(event.payload)
        if batch.import_id != event.aggregate_id:
            raise ValueError(f"import id {batch.import_id!r} does not match aggregate_id {event.aggregate_id!r}")
        return [(VersionedWrite("product", product.id, product.version), snapshot_change(product, product.version))
                for product in batch.products]
    if event.type == PRICING_CHANGED:
        # Kept apart from the product document (``search_pricing``) with its own version
        # sequence, so it applies whether the product is indexed before or after it.
        pricing = ProductPricing.model_validate(event.payload)
        _check_id(event, pricing.product_id)
        return [(VersionedWrite("pricing", pricing.product_id, pricing.version),
                 Change(pricings=[pricing.model_dump(mode="json")]))]
    if event.type in PRODUCT_UPSERTS:
        product = ProductSnapshot.model_validate(event.payload)
        _check_id(event, product.id)
        return [(VersionedWrite(event.aggregate_type, event.aggregate_id, event.aggregate_version),
                 snapshot_change(product, event.aggregate_version))]
    if event.type == PRODUCT_DELETED:
        deleted = ProductDeleted.model_validate(event.payload)
        _check_id(event, deleted.id)
        return [(VersionedWrite(event.aggregate_type, event.aggregate_id, event.aggregate_version, deleted=True),
                 Change(removals=[Removal(id=event.aggregate_id, version=event.aggregate_version)]))]
    # Merchant and promotion events are not used yet. They are left out of the inbox and
    # aggregate state on purpose: once search uses them, a replay must apply them.
    return None


def snapshot_change(product: ProductSnapshot, version: int) -> Change:
    if not product.listed:
        # A draft or archived product, or one of a rejected or suspended merchant, leaves the
        # index but may come back (the catalog re-publishes the products of a merchant verified
        # or reinstated): no tombstone.
        return Change(removals=[Removal(id=product.id, version=version)])
    return Change(upserts=[document_from_snapshot(product, version=version)])


def apply_events(session: Session, events: list[Event]) -> list[Change | None | Exception]:
    """The index change of each of ``events`` (None: a duplicate, stale, after a tombstone
    or not for search; an exception: its payload is invalid), deciding for the whole batch
    at once (``accepted_writes``: one inbox insert, one version read, one version upsert)."""
    results: list[Change | None | Exception] = []
    for outcome in accepted_writes(session, events, plan_event, Inbox, AggregateState):
        if outcome is None or isinstance(outcome, Exception):
            results.append(outcome)
        elif len(outcome) == 1:
            results.append(outcome[0][1] or None)  # one event, one write (all but imports): nothing to merge
        else:
            results.append(merge_changes(change for _, change in outcome) or None)
    return results


def apply_event(session: Session, event: Event) -> Change | None:
    """The index change ``event`` asks for, or None when there is nothing to do (a batch of
    one; raises the event's own error)."""
    result = apply_events(session, [event])[0]
    if isinstance(result, Exception):
        raise result
    return result


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
