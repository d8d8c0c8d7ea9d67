"""The search engine interface, shared by the embedded engine and Elasticsearch.

A search document is the product snapshot flattened to what search needs. The consumer
changes an engine in two steps around its database commit:

- ``stage(session, change)`` inside the consumer's transaction (embedded: write the
  ``search_documents`` rows; Elasticsearch: the versioned bulk write, idempotent on replay);
- ``apply(change)`` after the commit (embedded: the in-memory index), so memory never
  shows a change the database rolled back.

``upsert``/``delete`` do both at once, for tools and tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol

from sqlalchemy.orm import Session

from shared.contracts import ProductSnapshot

DEFAULT_PER_PAGE = 20


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    region: str | None = None  # BPS code
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class SearchResult:
    total: int
    items: list[dict]


@dataclass(frozen=True)
class Removal:
    id: str
    version: int | None  # None: remove whatever version is there (explicit delete)


@dataclass
class Change:
    """What one event does to the index. Versions are the aggregate versions, which
    order changes that reach the index out of order."""

    upserts: list[dict] = field(default_factory=list)  # documents; doc["version"] orders them
    removals: list[Removal] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upserts or self.removals)


class SearchEngine(Protocol):
    def start(self) -> None:
        """Get ready to answer (load the index, check the server)."""

    def stage(self, session: Session, change: Change) -> None:
        """Write ``change`` durably as part of the caller's transaction."""

    def apply(self, change: Change) -> None:
        """Make a committed ``change`` visible to searches."""

    def upsert(self, docs: Iterable[dict]) -> None:
        """Store and show ``docs`` (replacing older versions of the same ids)."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id; unknown ids are ignored."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def count(self) -> int: ...


def is_listed(product: ProductSnapshot) -> bool:
    """Whether a product belongs in search: published, and its merchant not suspended.
    (Products of unverified merchants are listed, marked ``merchant.verified`` false.)"""
    return product.status == "published" and product.merchant.status != "suspended"


def document_from_snapshot(product: ProductSnapshot, version: int | None = None) -> dict:
    """The search document of a product; ``version`` defaults to the snapshot's."""
    return {
        "id": product.id,
        "name": product.name,
        "description": product.description,
        "price": product.price,
        "stock": product.stock,
        "unit": product.unit,
        "category": product.category.slug,
        "category_name": product.category.name,
        "category_parent": product.category.parent_slug,
        "category_parent_name": product.category.parent_name,
        "halal": product.halal,
        "region": product.region,
        "region_name": product.region_name,
        "merchant": {
            "id": product.merchant.id,
            "name": product.merchant.name,
            "kind": product.merchant.kind,
            "verified": product.merchant.verified,
            "status": product.merchant.status,
        },
        "version": product.version if version is None else version,
        "updated_at": product.updated_at,
    }


def result_item(doc: dict) -> dict:
    """The public shape of one hit (what the search RPC returns)."""
    merchant = doc.get("merchant") or {}
    return {
        "id": doc["id"],
        "name": doc["name"],
        "price": doc["price"],
        "unit": doc["unit"],
        "region": doc["region"],
        "region_name": doc["region_name"],
        "category": doc["category"],
        "category_name": doc["category_name"],
        "halal": doc["halal"],
        "merchant": {
            "id": merchant.get("id"),
            "name": merchant.get("name"),
            "kind": merchant.get("kind"),
            "verified": bool(merchant.get("verified")),
        },
    }
