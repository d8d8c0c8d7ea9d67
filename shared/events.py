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

# Every event type the platform knows, with the schema version producers write today.
# A consumer accepts versions up to this one; bump it when a payload changes shape.
EVENT_SCHEMAS: dict[str, int] = {
    "catalog.merchant_registered": 1,
    "catalog.merchant_updated": 1,
    "catalog.merchant_verified": 1,
    "catalog.merchant_rejected": 1,
    "catalog.merchant_suspended": 1,
    "catalog.merchant_reinstated": 1,
    "catalog.merchant_credentials_changed": 1,
    "catalog.product_published": 1,
    "catalog.product_updated": 1,
    "catalog.product_unpublished": 1,
    "catalog.product_deleted": 1,
    # A batch of product snapshots from one import; aggregate = the import.
    "catalog.products_imported": 1,
    # Effective price, discount and badge of one product; aggregate = its pricing.
    "promotion.pricing_changed": 1,
    # Impressions, views and contact clicks per product and day, batched by search.
    "search.interactions_recorded": 1,
}

DELETE_EVENTS = frozenset({"catalog.product_deleted"})

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
    payload: dict
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=lambda: utcnow().isoformat())
    schema_version: int = 0

    def __post_init__(self):
        if not self.schema_version:
            object.__setattr__(self, "schema_version", EVENT_SCHEMAS.get(self.type, 1))

    @property
    def is_delete(self) -> bool:
        return self.type in DELETE_EVENTS

    @property
    def aggregate_type(self) -> str:
        # "catalog.product_updated" -> "product"
        return self.type.split(".", 1)[1].split("_", 1)[0]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> "Event":
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
