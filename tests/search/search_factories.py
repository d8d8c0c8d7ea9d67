"""Builders of catalog events and search documents for the search tests."""
from __future__ import annotations

from shared.events import Event
from shared.regions import REGIONS


def snapshot(product_id: str, version: int = 1, *, name: str = "Kopi Bubuk", description: str = "",
             region: str = "7402", status: str = "published", category=("lainnya", "Lainnya"),
             merchant_name: str = "UMKM Sejahtera", price: int = 25000,
             updated_at: str | None = None) -> dict:
    return {
        "id": product_id,
        "merchant_id": f"m-{product_id}",
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "description": description,
        "price": price,
        "stock": 10,
        "unit": "bungkus",
        "category": {"slug": category[0], "name": category[1], "parent_slug": "makanan-minuman",
                     "parent_name": "Makanan & Minuman"},
        "halal": True,
        "status": status,
        "region": region,
        "region_name": REGIONS[region],
        "merchant": {"id": f"m-{product_id}", "name": merchant_name, "kind": "umkm", "region": region,
                     "verified": True},
        "version": version,
        "created_at": "2025-01-01T00:00:00+00:00",
        "updated_at": updated_at or f"2025-01-01T00:00:{version:02d}+00:00",
    }


def published(product_id: str, version: int = 1, **fields) -> Event:
    return Event(type="catalog.product_published", aggregate_id=product_id, aggregate_version=version,
                 payload=snapshot(product_id, version, **fields))


def updated(product_id: str, version: int, **fields) -> Event:
    return Event(type="catalog.product_updated", aggregate_id=product_id, aggregate_version=version,
                 payload=snapshot(product_id, version, **fields))


def deleted(product_id: str, version: int) -> Event:
    return Event(type="catalog.product_deleted", aggregate_id=product_id, aggregate_version=version,
                 payload={"id": product_id, "merchant_id": f"m-{product_id}", "version": version})


def document(product_id: str, version: int = 1, **fields) -> dict:
    from services.search.engine import document_from_snapshot
    from shared.contracts import ProductSnapshot

    return document_from_snapshot(ProductSnapshot.model_validate(snapshot(product_id, version, **fields)))
