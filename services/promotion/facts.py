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
from shared.consumer import VersionedWrite, accepted_writes
from shared.contracts import MerchantSnapshot, ProductDeleted, ProductsImported, ProductSnapshot
from shared.db import chunks, execute_driver_sql, insert_rows, parameter_style, placeholders
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


def plan_event(event: Event) -> list[tuple[VersionedWrite, object]] | None:
    """Validate ``event``'s payload (raises on one that does not fit its contract, before
    anything is recorded: it is retried, then dead-lettered) and list its writes, each with
    what to do if it is accepted: a ``ProductSnapshot`` to keep, a product id to drop, a
    ``MerchantSnapshot`` to apply, or None (only recorded). None for interaction batches,
    which keep their own inbox rows (``apply_interactions``)."""
    if event.type == INTERACTIONS_RECORDED:
        return None
    own = VersionedWrite(event.aggregate_type, event.aggregate_id, event.aggregate_version, event.is_delete)
    if event.type in PRODUCT_UPSERTS:
        return [(own, ProductSnapshot.model_validate(event.payload))]
    if event.type == PRODUCT_DELETED:
        return [(own, ProductDeleted.model_validate(event.payload).id)]
    if event.type == PRODUCTS_IMPORTED:
        # One batch of an import: recorded once, each snapshot ordered by its own version.
        batch = ProductsImported.model_validate(event.payload)
        return [(VersionedWrite("product", snapshot.id, snapshot.version), snapshot) for snapshot in batch.products]
    if event.type in MERCHANT_EVENTS:
        return [(own, MerchantSnapshot.model_validate(event.payload))]
    return [(own, None)]


def apply_events(session: Session, events: list[Event], now: datetime | None = None) -> list[bool | Exception]:
    """Apply a batch of catalog (and interaction) events in the caller's transaction; per
    event whether it changed anything, or the exception of an invalid payload (nothing of
    that event is recorded). Set-based: the inbox and the versions are decided for the whole
    batch at once (``accepted_writes``), product facts are written in multi-row upserts, and
    the products the batch touched are refreshed against the campaigns once, at the end."""
    now = now or utcnow()
    results: list[bool | Exception] = []
    facts = FactWriter(session)
    for outcome in accepted_writes(session, events, plan_event, Inbox, AggregateState):
        if outcome is None or isinstance(outcome, Exception):
            results.append(outcome or False)
            continue
        for write, action in outcome:
            if isinstance(action, ProductSnapshot):
                facts.keep(action, write.version)
            elif isinstance(action, str):
                facts.drop(action)
            elif isinstance(action, MerchantSnapshot):
                facts.write()  # the merchant's products as the earlier events left them
                apply_merchant(session, action, write.version, now)
        results.append(bool(outcome))
    facts.write()
    if facts.touched:
        refresh_products(session, facts.touched, now)
    for n, event in enumerate(events):
        if event.type == INTERACTIONS_RECORDED:
            results[n] = apply_interactions(session, event, now)  # raises: the batch is redone one by one
    return results


def apply_batch(session: Session, events: list[Event]) -> tuple[list[bool | Exception], None]:
    """``apply_events`` as the service's event batcher calls it (shared.batching): nothing
    to do after the commit (the outbox relay is woken by the commit itself)."""
    return apply_events(session, events), None


def apply_event(session: Session, event: Event, now: datetime | None = None) -> bool:
    """Apply one catalog event (a batch of one); returns whether it changed anything."""
    result = apply_events(session, [event], now)[0]
    if isinstance(result, Exception):
        raise result
    return result


class FactWriter:
    """Product facts a batch keeps or drops, written together (the last action per product
    wins); ``touched`` are the products to refresh against the campaigns."""

    def __init__(self, session: Session):
        self.session = session
        self.pending: dict[str, tuple | None] = {}  # product id -> fact row, or None to drop
        self.touched: set[str] = set()

    def keep(self, snapshot: ProductSnapshot, version: int) -> None:
        # Not on sale (a draft or archived product, or one of a rejected or suspended
        # merchant): no fact, and no tombstone either, it may return.
        self.pending.pop(snapshot.id, None)
        self.pending[snapshot.id] = fact_row(snapshot, version) if snapshot.listed else None
        self.touched.add(snapshot.id)

    def drop(self, product_id: str) -> None:
        self.pending.pop(product_id, None)
        self.pending[product_id] = None
        self.touched.add(product_id)

    def write(self) -> None:
        if not self.pending:
            return
        dropped = [product_id for product_id, row in self.pending.items() if row is None]
        kept = [row for row in self.pending.values() if row is not None]
        self.pending = {}
        self.session.flush()  # ORM work of the batch so far goes first
        # Straight to the driver (one round trip each on pg8000, no statement compiled per
        # call): the fact statements were most of a batch's SQL cost.
        connection = self.session.connection()
        style = parameter_style(connection.dialect)
        for chunk in chunks(dropped):
            execute_driver_sql(connection, f"DELETE FROM {FACTS_TABLE.name} WHERE id IN "
                                           f"({', '.join(placeholders(style, len(chunk)))})", chunk)
        insert_rows(self.session, FACTS_TABLE, FACT_COLUMNS, kept, tail=FACT_UPSERT)
        self.session.expire_all()  # facts loaded earlier in the session are stale now


FACTS_TABLE = ProductFact.__table__
FACT_COLUMNS = ("id", "merchant_id", "name", "price", "category", "parent_category", "region", "merchant_kind",
                "merchant_verified", "halal", "slug", "merchant_name", "photo_url", "version", "updated_at")
# The aggregate's version was accepted before (``accepted_writes``): the fact simply follows.
FACT_UPSERT = "ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{column} = excluded.{column}"
                                                            for column in FACT_COLUMNS[1:])


def fact_row(snapshot: ProductSnapshot, version: int) -> tuple:
    """The ``product_facts`` row of a product on sale, in ``FACT_COLUMNS`` order."""
    merchant = snapshot.merchant
    category = snapshot.category
    return (
        snapshot.id, snapshot.merchant_id, snapshot.name, snapshot.price, category.slug, category.parent_slug,
        snapshot.region, merchant.kind, merchant.verified, snapshot.halal, snapshot.slug, merchant.name,
        next((photo.thumb_url() for photo in snapshot.photos if photo.urls), None), version, utcnow(),
    )


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


def product_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProductFact)) or 0
