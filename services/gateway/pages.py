"""Server-rendered HTML pages (buyers on phones: small, no JavaScript needed).

Templates are rendered with autoescaping on, so user input and product data are always
text, never markup.
"""
from __future__ import annotations

import functools
import logging
import math
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from services.gateway.formatting import format_rupiah
from shared.errors import EtalaseError
from shared.regions import REGIONS, region_list, region_name

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PER_PAGE = 20

HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
}


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True)
    env.filters["rupiah"] = format_rupiah
    return env


def render(template: str, status: int = 200, **context) -> tuple[int, dict, str]:
    return status, dict(HTML_HEADERS), environment().get_template(template).render(**context)


def present_item(item: dict) -> dict:
    """A search hit in the shape the template shows. Tolerates a merchant given as a dict
    or as ``merchant_name``, and a region given as a code or as {"code", "name"}."""
    merchant = item.get("merchant")
    merchant_name = merchant.get("name") if isinstance(merchant, dict) else item.get("merchant_name")
    region = item.get("region")
    if isinstance(region, dict):
        region_label = region.get("name") or region_name(region.get("code", "")) or ""
    else:
        region_label = region_name(str(region or "")) or item.get("region_name") or ""
    price = item.get("price")
    effective = item.get("effective_price")
    highlight = item.get("highlight")
    return {
        "name": item.get("name") or "",
        "price": price if isinstance(price, int) else None,
        "effective_price": effective if isinstance(effective, int) and isinstance(price, int) and effective < price else None,
        "badge": item.get("badge") or None,
        # The search service HTML-escapes the snippet itself and adds only <mark> tags
        # (services.search.engine.highlight), so it is rendered as markup here.
        "highlight": Markup(highlight) if isinstance(highlight, str) and highlight else None,
        "region": region_label,
        "merchant": merchant_name or "",
    }


def page_link(q: str, region: str, page: int, **filters) -> str:
    params = {"q": q}
    if region:
        params["region"] = region
    params.update((name, value) for name, value in filters.items() if value)
    params["page"] = page
    return "/?" + urlencode(params)


FACET_TITLES = {"region": "Kabupaten/kota", "category": "Kategori", "price": "Harga", "halal": "Halal",
                "kind": "Jenis usaha"}


def facet_links(facets: dict, q: str, region: str, category: str) -> list[dict]:
    """Region and category facets as links that add the filter to the current search."""
    groups = []
    for name in ("region", "category"):
        links = []
        for entry in (facets or {}).get(name) or []:
            target_region = entry["value"] if name == "region" else region
            target_category = entry["value"] if name == "category" else category
            links.append({"label": f'{entry["label"]} ({entry["count"]})',
                          "href": page_link(q, target_region, 1, category=target_category)})
        if links:
            groups.append({"title": FACET_TITLES[name], "links": links})
    return groups


SERVER_ERROR_PAGE = (
    '<!doctype html><html lang="id"><meta charset="utf-8"><title>Etalase Sultra</title>'
    "<p>Terjadi kesalahan pada server. Silakan coba lagi.</p></html>"
)


def search_page(gw, request):
    """``GET /``: the search form, and results when a query or region is given."""
    try:
        return _search_page(gw, request)
    except Exception:  # noqa: BLE001 - a broken page is still a page, not a JSON error
        log.exception("search page failed")
        return 500, dict(HTML_HEADERS), SERVER_ERROR_PAGE


def _search_page(gw, request):
    q = (request.args.get("q") or "").strip()
    region = (request.args.get("region") or "").strip()
    category = (request.args.get("category") or "").strip()
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1  # a hand-edited URL should not break the page

    context = {
        "q": q,
        "region": region,
        "regions": region_list(),
        "searched": bool(q or region or category),
        "result": None,
        "error": None,
    }
    status = 200
    if context["searched"]:
        try:
            result = gw.call("search", "search", q=q, region=region or None, category=category or None,
                             page=page, per_page=PER_PAGE)
            context["result"] = _present_result(result, q, region, category)
            from services.gateway.api_search_analytics import report_interactions

            report_interactions(gw, [item.get("id") for item in result.get("items") or []], "impression")
        except EtalaseError as exc:
            status, context["error"] = _friendly_error(exc, region)
    return render("search.html", status=status, **context)


def _present_result(result: dict, q: str, region: str, category: str = "") -> dict:
    total = int(result.get("total") or 0)
    page = int(result.get("page") or 1)
    per_page = int(result.get("per_page") or PER_PAGE)
    pages = max(1, math.ceil(total / per_page)) if per_page > 0 else 1
    return {
        "total": total,
        "page": page,
        "pages": pages,
        "hits": [present_item(item) for item in result.get("items") or []],  # not "items": Jinja would see dict.items
        "prev": page_link(q, region, page - 1, category=category) if page > 1 else None,
        "next": page_link(q, region, page + 1, category=category) if page < pages else None,
        "facets": facet_links(result.get("facets") or {}, q, region, category),
        "suggestion": result.get("suggestion") or None,
    }


def _friendly_error(exc: EtalaseError, region: str) -> tuple[int, str]:
    if exc.status >= 500:
        return 503, "Pencarian sedang tidak tersedia. Silakan coba lagi beberapa saat lagi."
    if region and region not in REGIONS:
        return exc.status, "Kabupaten/kota yang dipilih tidak dikenal. Silakan pilih dari daftar."
    return exc.status, exc.message or "Pencarian tidak dapat diproses. Periksa kata kunci Anda."
