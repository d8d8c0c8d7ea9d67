"""Validation of the search RPC's arguments (they often come straight from a query string)."""
from __future__ import annotations

from services.search.engine import DEFAULT_PER_PAGE, SearchQuery
from shared.errors import ValidationFailed
from shared.regions import REGIONS

MAX_QUERY_LENGTH = 200
MAX_PER_PAGE = 50
MAX_DEPTH = 1000  # page * per_page: deep pages cost a lot and nobody reads them


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("Parameter pencarian tidak valid.", fields={field: message})


def _as_int(value, field: str, default: int, message: str) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _invalid(field, message)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())  # "2" from a query string
    raise _invalid(field, message)


def parse_search_query(q=None, region=None, page=None, per_page=None) -> SearchQuery:
    if q is None:
        q = ""
    if not isinstance(q, str):
        raise _invalid("q", "Kata kunci harus berupa teks.")
    q = q.strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise _invalid("q", f"Kata kunci paling panjang {MAX_QUERY_LENGTH} karakter.")

    if region in (None, ""):
        region = None
    elif not isinstance(region, str) or region.strip() not in REGIONS:
        raise _invalid("region", "Kabupaten/kota tidak dikenal.")
    else:
        region = region.strip()

    page_message = "Halaman harus bilangan bulat mulai dari 1."
    page = _as_int(page, "page", 1, page_message)
    if page < 1:
        raise _invalid("page", page_message)
    per_page_message = f"Jumlah per halaman harus antara 1 dan {MAX_PER_PAGE}."
    per_page = _as_int(per_page, "per_page", DEFAULT_PER_PAGE, per_page_message)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise _invalid("per_page", per_page_message)
    if page * per_page > MAX_DEPTH:
        raise _invalid("page", f"Halaman terlalu jauh: hanya {MAX_DEPTH} hasil teratas yang dapat dibuka. Perjelas kata kunci.")
    return SearchQuery(q=q, region=region, page=page, per_page=per_page)
