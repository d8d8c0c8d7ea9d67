"""The event envelope every Etalase event travels in.

Events are immutable, past-tense facts. ``aggregate_version`` grows by one with every
change of the aggregate, so consumers can drop stale or duplicate deliveries. Payloads
are full snapshots: a consumer can upsert without calling back.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from shared.contracts import (
    InteractionsRecorded,
    MerchantSnapshot,
    ProductDeleted,
    ProductPricing,
    ProductsImported,
    ProductSnapshot,
)

# Event type names: the only place they are spelled. "<context>.<aggregate>_<change>".
MERCHANT_REGISTERED = "catalog.merchant_registered"
MERCHANT_UPDATED = "catalog.merchant_updated"
MERCHANT_VERIFIED = "catalog.merchant_verified"
MERCHANT_REJECTED = "catalog.merchant_rejected"
MERCHANT_SUSPENDED = "catalog.merchant_suspended"
MERCHANT_REINSTATED = "catalog.merchant_reinstated"
MERCHANT_CREDENTIALS_CHANGED = "catalog.merchant_credentials_changed"
PRODUCT_PUBLISHED = "catalog.product_published"
PRODUCT_UPDATED = "catalog.product_updated"
PRODUCT_UNPUBLISHED = "catalog.product_unpublished"
PRODUCT_DELETED = "catalog.product_deleted"
# A batch of product snapshots from one import; aggregate = the import.
PRODUCTS_IMPORTED = "catalog.products_imported"
# Effective price, discount and badge of one product; aggregate = its pricing.
PRICING_CHANGED = "promotion.pricing_changed"
# Impressions, views and contact clicks per product and day, batched by search.
INTERACTIONS_RECORDED = "search.interactions_recorded"


@dataclass(frozen=True)
class EventType:
    """One event type: the schema version producers write today (a consumer accepts versions
    up to it; bump it when a payload changes shape) and the payload's contract."""

    name: str
    schema_version: int
    contract: type[BaseModel]


EVENT_TYPES: dict[str, EventType] = {
    event_type.name: event_type
    for event_type in (
        EventType(MERCHANT_REGISTERED, 1, MerchantSnapshot),
        EventType(MERCHANT_UPDATED, 1, MerchantSnapshot),
        EventType(MERCHANT_VERIFIED, 1, MerchantSnapshot),
        EventType(MERCHANT_REJECTED, 1, MerchantSnapshot),
        EventType(MERCHANT_SUSPENDED, 1, MerchantSnapshot),
        EventType(MERCHANT_REINSTATED, 1, MerchantSnapshot),
        EventType(MERCHANT_CREDENTIALS_CHANGED, 1, MerchantSnapshot),
        EventType(PRODUCT_PUBLISHED, 1, ProductSnapshot),
        EventType(PRODUCT_UPDATED, 1, ProductSnapshot),
        EventType(PRODUCT_UNPUBLISHED, 1, ProductSnapshot),
        EventType(PRODUCT_DELETED, 1, ProductDeleted),
        EventType(PRODUCTS_IMPORTED, 1, ProductsImported),
        EventType(PRICING_CHANGED, 1, ProductPricing),
        EventType(INTERACTIONS_RECORDED, 1, InteractionsRecorded),
    )
}
# type -> schema version, for the envelope.
EVENT_SCHEMAS: dict[str, int] = {name: event_type.schema_version for name, event_type in EVENT_TYPES.items()}

# Snapshots of a product that is (still) in the catalog; a consumer upserts them.
PRODUCT_UPSERTS = frozenset({PRODUCT_PUBLISHED, PRODUCT_UPDATED, PRODUCT_UNPUBLISHED})
MERCHANT_EVENTS = frozenset({
    MERCHANT_REGISTERED, MERCHANT_UPDATED, MERCHANT_VERIFIED, MERCHANT_REJECTED, MERCHANT_SUSPENDED,
    MERCHANT_REINSTATED, MERCHANT_CREDENTIALS_CHANGED,
})
DELETE_EVENTS = frozenset({PRODUCT_DELETED})

# "catalog.product_updated": the context, then the aggregate and what happened to it.
TYPE_PATTERN = re.compile(r"^[a-z]+\.[a-z]+_[a-z_]+$")


class InvalidEvent(ValueError):
    """A message that is not a well-formed event envelope (a poison message)."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Event:
    type: str
    aggregate_id: str
    aggregate_version: int
    payload: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=lambda: utcnow().isoformat())
    schema_version: int = 0

    def __post_init__(self) -> None:
        if not self.schema_version:
            object.__setattr__(self, "schema_version", EVENT_SCHEMAS.get(self.type, 1))

    @property
    def is_delete(self) -> bool:
        return self.type in DELETE_EVENTS

    @property
    def aggregate_type(self) -> str:
        # "catalog.product_updated" -> "product"
        return self.type.split(".", 1)[1].split("_", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> "Event":
        if not isinstance(data, dict):
            raise InvalidEvent("event body is not an object")
        try:
            event = cls(
                id=str(data["id"]),
                type=str(data["type"]),
                schema_version=int(data["schema_version"]),
                occurred_at=str(data["occurred_at"]),
                aggregate_id=str(data["aggregate_id"]),
                aggregate_version=int(data["aggregate_version"]),
                payload=data["payload"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidEvent(f"malformed envelope: {exc!r}") from exc
        if not TYPE_PATTERN.match(event.type):
            raise InvalidEvent(f"event type {event.type!r} is not '<context>.<aggregate>_<change>'")
        if not isinstance(event.payload, dict):
            raise InvalidEvent("payload is not an object")
        if event.aggregate_version < 1:
            raise InvalidEvent("aggregate_version must be >= 1")
        known = EVENT_SCHEMAS.get(event.type)
        if known is not None and event.schema_version > known:
            raise InvalidEvent(f"{event.type} schema {event.schema_version} is newer than {known}")
        return event
