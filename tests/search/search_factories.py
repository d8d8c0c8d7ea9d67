"""Builders of catalog events and search documents for the search tests, and what the
indexer made of them (in memory and in the search database)."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from services.search.engine import document_from_snapshot
from services.search.indexer import process_event
from services.search.models import SearchDocument
from shared.contracts import ProductSnapshot
from shared.db import UnitOfWork
from shared.events import PRICING_CHANGED, PRODUCT_DELETED, PRODUCT_PUBLISHED, PRODUCT_UPDATED, Event
from shared.regions import REGIONS


def snapshot(product_id: str, version: int = 1, *, name: str = "Kopi Bubuk", description: str = "",
             region: str = "7402", status: str = "published", category=("lainnya", "Lainnya"),
             merchant_name: str = "UMKM Sejahtera", price: int = 25000,
             updated_at: str | None = None, halal: bool = True, kind: str = "umkm", verified: bool = True,
             stock: int = 10, parent=("makanan-minuman", "Makanan & Minuman"), merchant_status: str | None = None) -> dict:
    return {
        "id": product_id,
        "merchant_id": f"m-{product_id}",
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "description": description,
        "price": price,
        "stock": stock,
        "unit": "bungkus",
        "category": {"slug": category[0], "name": category[1], "parent_slug": parent[0],
                     "parent_name": parent[1]},
        "halal": halal,
        "status": status,
        "region": region,
        "region_name": REGIONS[region],
        "merchant": {"id": f"m-{product_id}", "name": merchant_name, "kind": kind, "region": region,
                     "verified": verified, "status": merchant_status or ("verified" if verified else "pending")},
        "version": version,
        "created_at": "2025-01-01T00:00:00+00:00",
        "updated_at": updated_at or f"2025-01-01T00:00:{version:02d}+00:00",
    }


def published(product_id: str, version: int = 1, **fields) -> Event:
    return Event(type=PRODUCT_PUBLISHED, aggregate_id=product_id, aggregate_version=version,
                 payload=snapshot(product_id, version, **fields))


def updated(product_id: str, version: int, **fields) -> Event:
    return Event(type=PRODUCT_UPDATED, aggregate_id=product_id, aggregate_version=version,
                 payload=snapshot(product_id, version, **fields))


def deleted(product_id: str, version: int) -> Event:
    return Event(type=PRODUCT_DELETED, aggregate_id=product_id, aggregate_version=version,
                 payload={"id": product_id, "merchant_id": f"m-{product_id}", "version": version})


def document(product_id: str, version: int = 1, **fields) -> dict:
    return document_from_snapshot(ProductSnapshot.model_validate(snapshot(product_id, version, **fields)))


def pricing(product_id: str, version: int = 1, *, normal_price: int = 25000, effective_price: int | None = None,
            discount_percent: int = 0, promoted: bool = False, badge: str | None = None, boost: float = 0.0,
            valid_until: str | None = None) -> dict:
    return {"product_id": product_id, "version": version, "normal_price": normal_price,
            "effective_price": normal_price if effective_price is None else effective_price,
            "discount_percent": discount_percent, "promoted": promoted, "badge": badge, "boost": boost,
            "valid_until": valid_until}


def pricing_changed(product_id: str, version: int = 1, **fields) -> Event:
    return Event(type=PRICING_CHANGED, aggregate_id=product_id, aggregate_version=version,
                 payload=pricing(product_id, version, **fields))


def index_events(search_db, engine, events: Iterable[Event]) -> None:
    """Process ``events`` one by one, each in its own unit of work, as the consumer does."""
    for event in events:
        process_event(UnitOfWork(search_db, []), engine, event)


def indexed(engine) -> dict[str, tuple[int, str]]:
    """id -> (version, name) of every document in the embedded engine's memory index."""
    return {doc["id"]: (doc["version"], doc["name"]) for doc in engine.index.documents()}


def stored(search_db) -> dict[str, int]:
    """id -> version of every row of ``search_documents``."""
    with search_db() as session:
        return dict(session.execute(select(SearchDocument.id, SearchDocument.version)).all())
