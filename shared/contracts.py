"""Payload contracts of the catalog events (schema version 1).

Producers build payloads with these models; consumers validate incoming payloads with
them, so a payload that does not fit is refused (and dead-lettered) instead of half-applied.
Payloads are full snapshots of the aggregate after the change.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Contract(BaseModel):
    # Unknown fields are tolerated so producers can add fields without breaking consumers.
    model_config = ConfigDict(extra="ignore", frozen=True)


class MerchantRef(_Contract):
    id: str
    name: str
    kind: str  # "umkm" | "koperasi"
    region: str  # BPS code, e.g. "7402"
    verified: bool = False


class CategoryRef(_Contract):
    slug: str
    name: str
    parent_slug: str
    parent_name: str


class ProductSnapshot(_Contract):
    """Payload of catalog.product_published and catalog.product_updated."""

    id: str
    merchant_id: str
    name: str
    slug: str
    description: str
    price: int  # whole rupiah
    stock: int
    unit: str
    category: CategoryRef
    halal: bool
    status: str  # "published" (later: "draft" | "archived")
    region: str  # the merchant's region, BPS code
    region_name: str
    merchant: MerchantRef
    version: int
    created_at: str  # ISO 8601, UTC
    updated_at: str


class ProductDeleted(_Contract):
    """Payload of catalog.product_deleted."""

    id: str
    merchant_id: str
    version: int


class MerchantSnapshot(_Contract):
    """Payload of catalog.merchant_registered and catalog.merchant_updated."""

    id: str
    owner_id: str
    name: str
    kind: str
    region: str
    region_name: str
    whatsapp: str  # +62...
    description: str
    verified: bool
    version: int
    created_at: str
    updated_at: str
