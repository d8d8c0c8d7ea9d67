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

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Protocol

from sqlalchemy.orm import Session

from shared.contracts import ProductSnapshot

DEFAULT_PER_PAGE = 20
SORTS = ("relevance", "price_asc", "price_desc", "newest", "discount")
KINDS = {"umkm": "UMKM", "koperasi": "Koperasi"}
HALAL_LABELS = {True: "Halal", False: "Tidak halal"}
# Price buckets on the effective price, in rupiah: (min inclusive, max exclusive or None).
PRICE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 25_000), (25_000, 50_000), (50_000, 100_000), (100_000, 250_000), (250_000, 500_000), (500_000, None),
)
# A promoted product's relevance is multiplied by at most 1 + MAX_PROMOTION_BOOST: it can pass
# a product that matches about as well, never one that matches much better.
MAX_PROMOTION_BOOST = 0.2
REGION_HINT_BOOST = 0.1  # "khas Muna": products of Muna first among equals (not a filter)
# When fewer documents than this cover the query's minimum of concepts ("sirup jeruk" finds one
# orange syrup), the documents that cover any of them follow, fewer concepts later (coverage
# ranks): a page with one result is a dead end, the other syrups are what the buyer looks at next.
FEW_MATCHES = 10


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    region: str | None = None  # BPS code
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    category: str | None = None  # a leaf slug, or a parent slug (includes its children)
    min_price: int | None = None  # on the effective price, inclusive
    max_price: int | None = None
    halal: bool | None = None  # None: both
    kind: str | None = None  # umkm | koperasi
    verified: bool = False  # True: verified merchants only
    on_promo: bool = False  # True: only products with an active discount or promotion
    in_stock: bool = False  # True: only products with stock > 0
    sort: str = "relevance"

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class SearchResult:
    total: int
    items: list[dict]  # documents, each with its pricing view and "highlight" added
    facets: dict = field(default_factory=dict)
    suggestion: str | None = None


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
    # ProductPricing payloads (dicts); pricing["version"] orders them, per product_id
    pricings: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upserts or self.removals or self.pricings)


# "Did you mean": a query whose words as typed find this many results needs no suggestion.
GOOD_RESULTS = 3


def did_you_mean(typed: str, corrected: str | None, typed_total: int, corrected_total: int,
                 known: Callable[[str], bool]) -> str | None:
    """The corrected query to propose, or None. Only when the words as typed find few results
    (under ``GOOD_RESULTS``), every word of the correction is a word the index holds
    (``known``: no clipped or invented word is proposed), and the correction finds clearly
    more: at least twice as many as the typed words, plus one."""
    if not corrected or corrected.strip().lower() == typed.strip().lower():
        return None
    if typed_total >= GOOD_RESULTS or corrected_total < 2 * typed_total + 1:
        return None
    if not all(known(word) for word in corrected.split()):
        return None
    return corrected


def _newer_or_equal(later: int | None, earlier: int | None) -> bool:
    """Whether a later change may replace an earlier one of the same id (None: unversioned)."""
    return later is None or earlier is None or int(later) >= int(earlier)


def merge_changes(changes: Iterable[Change]) -> Change:
    """One change doing what ``changes`` do in order (a batch of events committed at once).

    Per document id only the last upsert or removal is kept, per product the last pricing:
    a later change to the same id wins, unless it carries a lower version (the engines
    would drop it anyway). The consumer accepts only increasing versions per aggregate,
    so in practice "later" and "newer" agree.
    """
    documents: dict[str, dict | Removal] = {}
    pricings: dict[str, dict] = {}
    for change in changes:
        if not change:
            continue
        for item in (*change.upserts, *change.removals):
            doc_id, version = (str(item["id"]), item.get("version")) if isinstance(item, dict) \
                else (str(item.id), item.version)
            known = documents.get(doc_id)
            if known is not None:
                known_version = known.get("version") if isinstance(known, dict) else known.version
                if not _newer_or_equal(version, known_version):
                    continue
                del documents[doc_id]  # keep the order of the last change
            documents[doc_id] = item
        for pricing in change.pricings:
            product_id = str(pricing["product_id"])
            known = pricings.pop(product_id, None)
            if known is not None and not _newer_or_equal(pricing.get("version"), known.get("version")):
                pricing = known
            pricings[product_id] = pricing
    return Change(
        upserts=[item for item in documents.values() if isinstance(item, dict)],
        removals=[item for item in documents.values() if isinstance(item, Removal)],
        pricings=list(pricings.values()),
    )


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
        # The first photo's thumbnail, so a results page can show it without asking the catalog.
        "photo": thumbnail(product),
    }


def thumbnail(product: ProductSnapshot) -> dict | None:
    """{"url", "alt"} of the product's first photo in its smallest web size, or None."""
    if not product.photos:
        return None
    first = product.photos[0]
    url = first.thumb_url()
    return {"url": url, "alt": first.alt or product.name} if url else None


def parse_time(value: str | None) -> float | None:
    """An ISO 8601 timestamp as epoch seconds (naive means UTC); None when absent or bad."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def pricing_view(doc: dict, pricing: dict | None, now: float) -> dict:
    """The price fields buyers see for ``doc`` given its pricing (None, or expired: normal)."""
    active = pricing is not None and not pricing_expired(pricing, now)
    if not active:
        return {"effective_price": doc["price"], "discount_percent": 0, "promoted": False, "badge": None}
    return {
        "effective_price": int(pricing["effective_price"]),
        "discount_percent": int(pricing.get("discount_percent") or 0),
        "promoted": bool(pricing.get("promoted")),
        "badge": pricing.get("badge") or None,
    }


def pricing_expired(pricing: dict, now: float) -> bool:
    until = parse_time(pricing.get("valid_until"))
    return until is not None and until <= now


def price_bucket_label(low: int, high: int | None) -> str:
    def rp(value: int) -> str:
        return f"{value:,}".replace(",", ".")
    if low == 0 and high is not None:
        return f"< Rp {rp(high)}"
    if high is None:
        return f"≥ Rp {rp(low)}"
    return f"Rp {rp(low)} – {rp(high)}"


_WORD = re.compile(r"\w+(?:[-']\w+)*", re.UNICODE)
SNIPPET_WORDS = 12


def highlight(doc: dict, terms: set[str], analyze) -> str:
    """A short snippet of the name (and of the description around its first match) with the
    matched words wrapped in ``<mark>…</mark>``.

    SAFETY: the result is HTML. Every piece of product text in it goes through
    ``html.escape``; the only raw markup is our own ``<mark>``/``</mark>``. The gateway page
    renders it as safe HTML on the strength of this function, so keep it that way.
    """
    def marked(text: str, words_limit: int | None = None) -> tuple[str, bool]:
        parts: list[str] = []
        found = False
        last = 0
        matches = list(_WORD.finditer(text))
        first_hit = None
        hits = []
        for index, match in enumerate(matches):
            hit = bool(terms) and any(term in terms for term in analyze(match.group(0)))
            hits.append(hit)
            if hit and first_hit is None:
                first_hit = index
        if words_limit is not None:
            if first_hit is None:
                return "", False
            start_word = max(0, first_hit - words_limit // 3)
            end_word = min(len(matches), start_word + words_limit)
            window = matches[start_word:end_word]
            hits = hits[start_word:end_word]
            begin = window[0].start()
            last = begin
            if start_word > 0:
                parts.append("…")
        else:
            window = matches
            end_word = len(matches)
        for match, hit in zip(window, hits):
            parts.append(html.escape(text[last:match.start()]))
            word = html.escape(match.group(0))
            if hit:
                parts.append(f"<mark>{word}</mark>")
                found = True
            else:
                parts.append(word)
            last = match.end()
        if words_limit is None or end_word == len(matches):
            parts.append(html.escape(text[last:]))
        else:
            parts.append(" …")
        return "".join(parts), found

    name_html, _ = marked(doc.get("name") or "")
    description_html, found = marked(doc.get("description") or "", SNIPPET_WORDS)
    if found:
        return f"{name_html} — {description_html}"
    return name_html


def result_item(doc: dict) -> dict:
    """The public shape of one hit (what the search RPC returns)."""
    merchant = doc.get("merchant") or {}
    return {
        "id": doc["id"],
        "name": doc["name"],
        "price": doc["price"],
        "effective_price": doc.get("effective_price", doc["price"]),
        "discount_percent": doc.get("discount_percent", 0),
        "promoted": bool(doc.get("promoted")),
        "badge": doc.get("badge"),
        "unit": doc["unit"],
        "in_stock": (doc.get("stock") or 0) > 0,  # cards say "Stok habis" (the count stays private)
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
        "highlight": doc.get("highlight") or "",
        "photo": doc.get("photo"),  # {"url", "alt"} or None (documents indexed before it: None)
    }


def search_response(query: SearchQuery, result: SearchResult) -> dict:
    """What the search RPC returns for ``query`` and the engine's ``result``."""
    return {
        "total": result.total,
        "page": query.page,
        "per_page": query.per_page,
        "items": [result_item(doc) for doc in result.items],
        "facets": result.facets,
        "suggestion": result.suggestion,
    }
