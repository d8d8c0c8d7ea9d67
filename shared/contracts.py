"""Payload contracts of every event (schema version 1); ``shared.events.EVENT_TYPES`` names
the contract of each type.

Producers build payloads with these models; consumers validate incoming payloads with
them, so a payload that does not fit is refused (and dead-lettered) instead of half-applied.
Payloads are full snapshots of the aggregate after the change.
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# A merchant in one of these statuses is hidden from buyers everywhere: its pages answer 404,
# and search, region pages and featured slots drop its products. The one place this rule is
# written: catalog, search, promotion and the gateway's pages all read it from here.
HIDDEN_MERCHANT_STATUSES: frozenset[str] = frozenset({"rejected", "suspended"})


def merchant_listed(status: object) -> bool:
    """Whether buyers may see a merchant (and its published products) with this status.
    Pending merchants are listed, without the verified badge."""
    return status not in HIDDEN_MERCHANT_STATUSES


def product_listed(product_status: object, merchant_status: object) -> bool:
    """Whether a product belongs in front of buyers: published, and its merchant listed."""
    return product_status == "published" and merchant_listed(merchant_status)


class _Contract(BaseModel):
    # Unknown fields are tolerated so producers can add fields without breaking consumers.
    model_config = ConfigDict(extra="ignore", frozen=True)


class MerchantRef(_Contract):
    id: str
    name: str
    kind: str  # "umkm" | "koperasi"
    region: str  # BPS code, e.g. "7402"
    verified: bool = False
    # pending | verified | rejected | suspended; see HIDDEN_MERCHANT_STATUSES.
    status: str = "pending"

    @property
    def listed(self) -> bool:
        return merchant_listed(self.status)


class PhotoRef(_Contract):
    """A stored image: ``urls`` maps a size name (thumb, medium, large) to a path the
    gateway serves, e.g. "/media/products/ab/<id>-320.webp"."""

    id: str
    urls: dict[str, str]
    width: int
    height: int
    alt: str = ""

    def thumb_url(self) -> str | None:
        """The smallest web size (``thumb``), or any size the photo has."""
        return self.urls.get("thumb") or next(iter(self.urls.values()), None)


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
    halal: bool  # effective: the product is marked halal AND its merchant's certificate is valid
    status: str  # "draft" | "published" | "archived"
    region: str  # the merchant's region, BPS code
    region_name: str
    merchant: MerchantRef
    version: int
    created_at: str  # ISO 8601, UTC
    updated_at: str
    # Added in the catalog issue; defaults keep older snapshots valid.
    sku: str | None = None
    compare_at_price: int | None = None
    tags: list[str] = []
    photos: list[PhotoRef] = []
    member_business: str | None = None  # a koperasi member the product is listed for

    @property
    def listed(self) -> bool:
        """Published, and its merchant listed: exactly what the product page opens."""
        return product_listed(self.status, self.merchant.status)


class ProductDeleted(_Contract):
    """Payload of catalog.product_deleted."""

    id: str
    merchant_id: str
    version: int


class MerchantCredentials(_Contract):
    nib: str | None = None  # 13 digits
    pirt_number: str | None = None
    halal_number: str | None = None
    halal_expires_on: str | None = None  # ISO date
    halal_valid: bool = False  # a certificate that has not expired (in WITA)
    legal_number: str | None = None  # koperasi: badan hukum
    member_count: int | None = None  # koperasi
    last_rat_year: int | None = None  # koperasi: year of the last annual member meeting


class MerchantSnapshot(_Contract):
    """Payload of every catalog.merchant_* event: registered, updated, verified, rejected,
    suspended, reinstated, credentials_changed."""

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
    address: str = ""
    status: str = "pending"  # pending | verified | rejected | suspended
    status_reason: str | None = None
    logo: PhotoRef | None = None
    credentials: MerchantCredentials = MerchantCredentials()

    @property
    def listed(self) -> bool:
        return merchant_listed(self.status)


class ProductsImported(_Contract):
    """Payload of catalog.products_imported: one batch of an import (up to a few hundred
    products). Each snapshot carries its own version; consumers order by it per product."""

    import_id: str
    merchant_id: str
    batch: int  # 1, 2, ... within the import
    products: list[ProductSnapshot]


class ProductPricing(_Contract):
    """Payload of promotion.pricing_changed: what buyers should see for one product now.

    Aggregate = the product's pricing as the promotion service decides it (its own version
    sequence, separate from the catalog's product version). When no campaign applies,
    ``effective_price == normal_price``, ``promoted`` is false and the rest is empty.
    """

    product_id: str
    version: int
    normal_price: int
    effective_price: int
    discount_percent: int = 0  # rounded, 0..90
    promoted: bool = False  # a featured campaign puts it forward (bounded boost + label)
    badge: str | None = None  # e.g. "Diskon 20%", "Produk Unggulan"
    boost: float = 0.0  # 0..1, the share of the bounded relevance boost
    campaign_id: str | None = None
    campaign_name: str | None = None
    valid_until: str | None = None  # ISO 8601 UTC: when this pricing ends


class InteractionCount(_Contract):
    product_id: str = Field(min_length=1, max_length=64)
    day: date
    kind: Literal["impression", "view", "contact"]
    count: int = Field(ge=1)


class InteractionsRecorded(_Contract):
    """Payload of search.interactions_recorded: counts per product, day and kind, batched by
    search (aggregate_id = ``batch_id``, aggregate_version = 1). No buyer data."""

    batch_id: str
    counts: list[InteractionCount]
