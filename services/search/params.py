"""Validation of the search RPC's arguments (they often come straight from a query string)."""
from __future__ import annotations

from services.search.engine import DEFAULT_PER_PAGE, KINDS, SORTS, SearchQuery
from shared.errors import ValidationFailed
from shared.messages import t
from shared.regions import REGIONS
from shared.taxonomy import ALL_SLUGS
from shared.text import UnsafeText, clean_text

MAX_QUERY_LENGTH = 200
MAX_PREFIX_LENGTH = 50  # autocomplete
MAX_PER_PAGE = 50
MAX_DEPTH = 1000  # page * per_page: deep pages cost a lot and nobody reads them
MAX_PRICE = 1_000_000_000_000

# A search filters by a parent or a leaf category (shared.taxonomy).
CATEGORIES: frozenset[str] = ALL_SLUGS
TRUE_WORDS = {"true", "1", "ya", "yes"}
FALSE_WORDS = {"false", "0", "tidak", "no"}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(t("Parameter pencarian tidak valid."), fields={field: message})


def _query_text(q: str) -> str:
    """The query NFC-normalised; a control character (tab and newline included) is refused
    with 422 rather than stripped: a search box cannot type one, so it comes from a broken
    client, and a query that is searched and kept in the analytics must be the one sent
    (docs/decisions/text-hygiene.md)."""
    try:
        return clean_text(q)
    except UnsafeText as problem:
        raise _invalid("q", problem.message) from None


def _as_int(value, field: str, default, message: str):
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _invalid(field, message)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())  # "2" from a query string
    raise _invalid(field, message)


def _as_bool(value, field: str) -> bool | None:
    """true/false/1/0/ya/tidak (any case); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise _invalid(field, t("Harus salah satu dari: ya, tidak, true, false, 1, 0."))


def _as_choice(value, field: str, choices, message: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise _invalid(field, message)
    return value.strip().lower()


def _as_price(value, field: str) -> int | None:
    message = t("Harga harus bilangan bulat rupiah, 0 atau lebih.")
    if isinstance(value, str) and value.strip().startswith("-"):
        raise _invalid(field, message)
    price = _as_int(value, field, None, message)
    if price is not None and not 0 <= price <= MAX_PRICE:
        raise _invalid(field, message)
    return price


def parse_search_query(q=None, region=None, page=None, per_page=None, category=None, min_price=None,
                       max_price=None, halal=None, kind=None, verified=None, on_promo=None, in_stock=None,
                       sort=None) -> SearchQuery:
    if q is None:
        q = ""
    if not isinstance(q, str):
        raise _invalid("q", t("Kata kunci harus berupa teks."))
    q = _query_text(q).strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise _invalid("q", t("Kata kunci paling panjang %(max)s karakter.", max=MAX_QUERY_LENGTH))

    if region in (None, ""):
        region = None
    elif not isinstance(region, str) or region.strip() not in REGIONS:
        raise _invalid("region", t("Kabupaten/kota tidak dikenal."))
    else:
        region = region.strip()

    category = _as_choice(category, "category", CATEGORIES, t("Kategori tidak dikenal."))
    min_price = _as_price(min_price, "min_price")
    max_price = _as_price(max_price, "max_price")
    if min_price is not None and max_price is not None and min_price > max_price:
        raise _invalid("min_price", t("Harga minimum tidak boleh lebih besar dari harga maksimum."))
    halal_value = _as_bool(halal, "halal")
    kind = _as_choice(kind, "kind", KINDS, t("Jenis usaha harus umkm atau koperasi."))
    verified_value = _as_bool(verified, "verified")
    on_promo_value = _as_bool(on_promo, "on_promo")
    in_stock_value = _as_bool(in_stock, "in_stock")
    sort_message = t("Urutan harus salah satu dari: %(choices)s.", choices=", ".join(SORTS))
    sort = _as_choice(sort, "sort", SORTS, sort_message) or "relevance"

    page_message = t("Halaman harus bilangan bulat mulai dari 1.")
    page = _as_int(page, "page", 1, page_message)
    if page < 1:
        raise _invalid("page", page_message)
    per_page_message = t("Jumlah per halaman harus antara 1 dan %(max)s.", max=MAX_PER_PAGE)
    per_page = _as_int(per_page, "per_page", DEFAULT_PER_PAGE, per_page_message)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise _invalid("per_page", per_page_message)
    if page * per_page > MAX_DEPTH:
        raise _invalid("page", t("Halaman terlalu jauh: hanya %(max)s hasil teratas yang dapat dibuka. Perjelas kata kunci.",
                                  max=MAX_DEPTH))
    return SearchQuery(
        q=q, region=region, page=page, per_page=per_page, category=category, min_price=min_price,
        max_price=max_price, halal=halal_value, kind=kind, verified=bool(verified_value),
        on_promo=bool(on_promo_value), in_stock=bool(in_stock_value), sort=sort,
    )


def parse_suggest_prefix(q) -> str:
    """The autocomplete prefix: ``q`` stripped, 1 to ``MAX_PREFIX_LENGTH`` characters."""
    text = _query_text(q or "").strip() if isinstance(q, str) else ""
    if not 1 <= len(text) <= MAX_PREFIX_LENGTH:
        raise ValidationFailed(t("Parameter tidak valid."), {"q": t("Harus berisi 1 sampai %(max)s karakter.", max=MAX_PREFIX_LENGTH)})
    return text
