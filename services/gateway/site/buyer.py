"""The buyers' pages: home, search results, product, WhatsApp contact, merchant, region.

    GET /                      home (no query) or search results (?q= and/or filters)
    GET /wilayah/<code>        the region's products (search filtered by region)
    GET /produk/<id>           product page (counts a view)
    GET /produk/<id>/hubungi   counts a contact click, 303 to https://wa.me/<digits>?text=...
    GET /usaha/<id>            merchant page with its published products

Other services are reached with ``gw.call`` (always a deadline). Optional sections
(featured products, campaigns, categories, the promoted price, the merchant card) are
fetched with ``present.optional(...)``: when that service is down, slow or lacks the RPC, the
section is hidden and a warning logged; the page still answers 200.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import quote, urlencode

import eventlet
from markupsafe import Markup

from services.gateway.api_search_analytics import report_interactions
from services.gateway.formatting import format_rupiah
from services.gateway.site import present
from services.gateway.site.i18n import N_
from services.gateway.site.render import page
from services.gateway.site.session import is_https
from shared.contracts import merchant_listed, product_listed
from shared.errors import EtalaseError, NotFound
from shared.regions import REGIONS, region_list, region_name

log = logging.getLogger(__name__)

PER_PAGE = 20
MERCHANT_PER_PAGE = 20
HOME_SECTION_SIZE = 8  # cards in each of the home page's product sections
POPULAR_DAYS = 30  # "Paling dicari": the most viewed and contacted products of these last days
MORE_FROM_SELLER = 6  # "Lainnya dari penjual ini" on the product page
PRICE_FILTERS = ("min_price", "max_price")
FILTERS = ("region", "category", "min_price", "max_price", "halal", "kind", "verified", "on_promo", "in_stock",
           "sort")
FLAGS = ("halal", "verified", "on_promo", "in_stock")
SORTS = ("relevance", "price_asc", "price_desc", "newest", "discount")
KINDS = ("umkm", "koperasi")
# The message a buyer's WhatsApp contact starts with. Always Indonesian, whatever the buyer's
# language: the seller reads it.
CONTACT_MESSAGE = 'Halo, saya tertarik dengan produk "{name}" di Etalase Sultra: {url}'
MERCHANT_CONTACT_MESSAGE = 'Halo, saya melihat usaha "{name}" di Etalase Sultra: {url}'


# --- presenting search hits and products ----------------------------------------------------


def first_photo(item: dict, size: str = "thumb") -> dict | None:
    """{"src", "alt"} of the item's first photo in ``size`` (falls back to any size), or None."""
    photos = item.get("photos")
    if isinstance(photos, list) and photos and isinstance(photos[0], dict):
        urls = photos[0].get("urls") or {}
        src = urls.get(size) or urls.get("thumb") or urls.get("medium") or next(iter(urls.values()), None)
        if isinstance(src, str) and src:
            return {"src": src, "alt": photos[0].get("alt") or item.get("name") or ""}
    photo = item.get("photo")  # a search hit: {"url", "alt"}
    if isinstance(photo, dict) and isinstance(photo.get("url"), str) and photo["url"]:
        return {"src": photo["url"], "alt": photo.get("alt") or item.get("name") or ""}
    for key in ("photo_url", "thumb_url", "photo"):
        src = item.get(key)
        if isinstance(src, str) and src:
            return {"src": src, "alt": item.get("name") or ""}
    return None


def sold_out(item: dict) -> bool:
    """Whether the item says it has no stock (``in_stock`` false or ``stock`` 0); unknown: False."""
    if item.get("in_stock") is False:
        return True
    stock = present.whole(item.get("stock"))
    return stock is not None and stock <= 0


def present_item(item: dict) -> dict:
    """A search hit (or featured product) in the shape the templates show. Tolerates a
    merchant given as a dict or as ``merchant_name``, a region as a code or {"code", "name"}."""
    merchant = item.get("merchant")
    merchant_name = merchant.get("name") if isinstance(merchant, dict) else item.get("merchant_name")
    merchant_id = merchant.get("id") if isinstance(merchant, dict) else item.get("merchant_id")
    region = item.get("region")
    if isinstance(region, dict):
        region_label = region.get("name") or region_name(region.get("code", "")) or ""
    else:
        region_label = region_name(str(region or "")) or item.get("region_name") or ""
    price = present.whole(item.get("price"))
    effective = present.whole(item.get("effective_price"))
    highlight = item.get("highlight")
    product_id = item.get("id")
    return {
        "id": product_id if isinstance(product_id, str) else None,
        "url": "/produk/" + quote(product_id, safe="") if isinstance(product_id, str) and product_id else None,
        "name": item.get("name") or "",
        "price": price,
        "effective_price": effective if effective is not None and price is not None and effective < price else None,
        "badge": item.get("badge") or None,
        # The search service HTML-escapes the snippet itself and adds only <mark> tags
        # (services.search.engine.highlight), so it is rendered as markup here.
        "highlight": Markup(highlight) if isinstance(highlight, str) and highlight else None,
        "region": region_label,
        "merchant": merchant_name or "",
        "merchant_id": merchant_id if isinstance(merchant_id, str) else None,
        "verified": bool(merchant.get("verified")) if isinstance(merchant, dict) else False,
        "halal": item.get("halal") is True,
        "unit": item.get("unit") if isinstance(item.get("unit"), str) else "",
        "sold_out": sold_out(item),
        "photo": first_photo(item) or present.placeholder_photo(item.get("category")),
    }


def search_link(base: str, params: dict, **changes) -> str:
    """``base`` + the current search parameters with ``changes`` (None removes one)."""
    merged = {**params, **changes}
    ordered = [(name, merged.get(name)) for name in ("q",) + FILTERS + ("page",)]
    return base + "?" + urlencode([(name, value) for name, value in ordered if value not in (None, "")])


def read_search_params(args, fixed_region: str | None = None) -> tuple[dict, int]:
    """The query string as search parameters (strings, stripped, empty ones dropped) and the page."""
    params: dict = {}
    q = (args.get("q") or "").strip()
    if q:
        params["q"] = q[:200]
    for name in FILTERS:
        value = (args.get(name) or "").strip()
        if value:
            params[name] = value[:100]
    if fixed_region:
        params["region"] = fixed_region
    return params, present.requested_page(args.get("page"))


TRUTHY = ("ya", "true", "1")
FLAG_LABELS = {"halal": N_("Halal"), "verified": N_("Usaha terverifikasi"), "on_promo": N_("Sedang promo"),
               "in_stock": N_("Stok tersedia")}
KIND_LABELS = {"umkm": N_("UMKM"), "koperasi": N_("Koperasi")}


def normalize_prices(params: dict) -> list[str]:
    """The price filters as people type them (``Rp 100.000``) rewritten as digits in ``params``;
    returns the names of those that cannot be read (left as typed, to show them again)."""
    unreadable = []
    for name in PRICE_FILTERS:
        if name in params:
            try:
                params[name] = str(present.parse_rupiah(params[name]))
            except ValueError:
                unreadable.append(name)
    return unreadable


def active_filters(web, base: str, params: dict, category_options: list[dict],
                   fixed_region: str | None = None) -> list[dict]:
    """The filters in force, each ``{"label", "href"}`` with the link that removes it (sort
    and the query are not filters; a region page's own region is not either)."""
    def removing(*names):
        return search_link(base, params, page=None, **{name: None for name in names})

    chips = []
    if params.get("region") and not fixed_region:
        chips.append({"label": region_name(params["region"]) or params["region"], "href": removing("region")})
    if params.get("category"):
        names = {option["slug"]: option["name"] for option in category_options}
        chips.append({"label": names.get(params["category"], params["category"]), "href": removing("category")})
    for name, text in (("min_price", N_("Mulai %(price)s")), ("max_price", N_("Sampai %(price)s"))):
        if params.get(name, "").isdigit():
            chips.append({"label": web.gettext(text, price=format_rupiah(int(params[name]))), "href": removing(name)})
    if params.get("kind") in KIND_LABELS:
        chips.append({"label": web.gettext(KIND_LABELS[params["kind"]]), "href": removing("kind")})
    for flag in FLAGS:
        if params.get(flag) in TRUTHY:
            chips.append({"label": web.gettext(FLAG_LABELS[flag]), "href": removing(flag)})
    return chips


FACET_TITLES = {"region": N_("Kabupaten/kota"), "category": N_("Kategori"), "price": N_("Harga"),
                "halal": N_("Halal"), "kind": N_("Jenis usaha")}


def facet_groups(facets: dict, base: str, params: dict, fixed_region: str | None = None, lang: str = "id") -> list[dict]:
    """Facets as links that add (or, when already chosen, show) the filter."""
    groups = []
    for name in ("region", "category", "price", "halal", "kind"):
        if name == "region" and fixed_region:
            continue
        links = []
        for entry in (facets or {}).get(name) or []:
            if not isinstance(entry, dict) or not entry.get("count"):
                continue
            if name == "price":
                low, high = present.whole(entry.get("min")), present.whole(entry.get("max"))
                change = {"min_price": str(low) if low else None,
                          "max_price": str(high - 1) if high else None}
                selected = (params.get("min_price") == change["min_price"]
                            and params.get("max_price") == change["max_price"])
            elif name == "halal":
                if entry.get("value") is not True:
                    continue  # "not halal" is no filter a buyer asks for
                change = {"halal": "ya"}
                selected = params.get("halal") in ("ya", "true", "1")
            else:
                change = {name: str(entry.get("value"))}
                selected = params.get(name) == change[name]
            label = present.category_label(lang, entry.get("value"), entry.get("label")) if name == "category" \
                else entry.get("label")
            links.append({"label": f'{label} ({entry.get("count")})', "selected": selected,
                          "href": search_link(base, params, page=1, **change)})
        if links:
            groups.append({"title": FACET_TITLES[name], "links": links})
    return groups


def page_numbers(page_number: int, pages: int, width: int = 2) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20 (None marks a gap)."""
    shown = sorted({1, pages, *range(max(1, page_number - width), min(pages, page_number + width) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and out[-1] is not None and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out


def present_result(result: dict, base: str, params: dict, fixed_region: str | None = None, lang: str = "id") -> dict:
    total = int(result.get("total") or 0)
    page_number = int(result.get("page") or 1)
    per_page = int(result.get("per_page") or PER_PAGE)
    pages = present.page_count(total, per_page)
    suggestion = result.get("suggestion") or None
    return {
        "total": total,
        "page": page_number,
        "pages": pages,
        "hits": [present_item(item) for item in result.get("items") or [] if isinstance(item, dict)],
        **present.page_links(page_number, pages, lambda number: search_link(base, params, page=number)),
        "numbers": [{"n": n, "href": search_link(base, params, page=n) if n else None}
                    for n in page_numbers(page_number, pages)] if pages > 1 else [],
        "facets": facet_groups(result.get("facets") or {}, base, params, fixed_region, lang),
        "suggestion": suggestion,
        "suggestion_href": search_link(base, params, q=suggestion, page=1) if suggestion else None,
    }


# --- home and search --------------------------------------------------------------------------


@page
def home_or_search(web):
    """``GET /``: the home page, or the search results when a query or a filter is given."""
    params, page_number = read_search_params(web.request.args)
    if params:
        return _search(web, "/", params, page_number)
    return _home(web)


def section_items(answer) -> list[dict]:
    """``{"items": [...]}`` from an optional section's RPC as cards ([] when it failed)."""
    items = answer.get("items") if isinstance(answer, dict) else None
    return [present_item(item) for item in items or [] if isinstance(item, dict) and item.get("id")]


def _home(web):
    """Always products: "Produk terbaru" (search, newest first), "Paling dicari" (promotion's
    interaction statistics, hidden while nobody has looked at anything) and "Produk Unggulan"
    while a featured campaign runs."""
    gw = web.gw
    pool = eventlet.GreenPool(5)
    featured = pool.spawn(present.optional, gw, "promotion", "featured_products", slots=HOME_SECTION_SIZE)
    popular = pool.spawn(present.optional, gw, "promotion", "popular_products", limit=HOME_SECTION_SIZE,
                         days=POPULAR_DAYS)
    newest = pool.spawn(present.optional, gw, "search", "search", sort="newest", page=1, per_page=HOME_SECTION_SIZE)
    campaigns = pool.spawn(present.optional, gw, "promotion", "active_campaigns", limit=5)
    categories = pool.spawn(present.optional, gw, "catalog", "list_categories")
    featured_items, popular_items, newest_items = (section_items(featured.wait()), section_items(popular.wait()),
                                                   section_items(newest.wait()))
    campaigns, categories = campaigns.wait(), categories.wait()
    shown = [item["id"] for item in featured_items + popular_items + newest_items]
    if shown:
        report_interactions(gw, list(dict.fromkeys(shown)), "impression")
    campaign_items = [c for c in (campaigns or {}).get("items") or [] if isinstance(c, dict)] \
        if isinstance(campaigns, dict) else []
    options = present.category_options(categories, web.lang)
    return web.render("home.html", q="", params={}, regions=region_list(), category_options=options,
                      featured=featured_items, popular=popular_items, newest=newest_items, campaigns=campaign_items,
                      category_groups=present.category_groups(options))


def _search(web, base: str, params: dict, page_number: int, region_title: str | None = None):
    gw = web.gw
    fixed_region = params.get("region") if region_title else None
    categories = eventlet.spawn(present.optional, gw, "catalog", "list_categories")
    status, error, result = 200, None, None
    unreadable = normalize_prices(params)
    if unreadable:
        status, error = 422, web.gettext(present.RUPIAH_HINT)
    else:
        try:
            found = gw.call("search", "search", page=page_number, per_page=PER_PAGE, **params)
            result = present_result(found, base, params, fixed_region, web.lang)
            report_interactions(gw, [item.get("id") for item in found.get("items") or [] if isinstance(item, dict)],
                                "impression")
        except EtalaseError as exc:
            status, error = _friendly_error(web, exc, params.get("region", ""))
    category_options = present.category_options(categories.wait(), web.lang)
    chips = active_filters(web, base, params, category_options, fixed_region) if not unreadable else []
    return web.render(
        "search.html", status=status, q=params.get("q", ""), params=params, base=base, result=result, error=error,
        regions=region_list(), category_options=category_options, unreadable=unreadable,
        active_filters=chips, filter_count=len(chips) + len(unreadable),
        region_title=region_title, fixed_region=fixed_region,
        reset_href=base + (("?" + urlencode({"q": params["q"]})) if params.get("q") else ""),
    )


def _friendly_error(web, exc: EtalaseError, region: str) -> tuple[int, str]:
    if exc.status >= 500:
        return 503, web.gettext("Pencarian sedang tidak tersedia. Silakan coba lagi beberapa saat lagi.")
    if region and region not in REGIONS:
        return exc.status, web.gettext("Kabupaten/kota yang dipilih tidak dikenal. Silakan pilih dari daftar.")
    details = " ".join(web.field_messages(exc.fields).values())
    return exc.status, details or web.message(exc.message) or web.gettext("Pencarian tidak dapat diproses. Periksa kata kunci Anda.")


@page
def region_page(web, region_code: str):
    """``GET /wilayah/<code>``: the region's products, with the same filters as search."""
    name = region_name(region_code)
    if name is None:
        raise NotFound("Kabupaten/kota tidak ditemukan.")
    params, page_number = read_search_params(web.request.args, fixed_region=region_code)
    return _search(web, "/wilayah/" + quote(region_code, safe=""), params, page_number, region_title=name)


# --- product --------------------------------------------------------------------------------


def load_public_product(gw, product_id: str) -> dict:
    """The product when the public may see it (published, merchant not suspended), else NotFound."""
    if not present.valid_id(product_id):
        raise NotFound("Produk tidak ditemukan.")
    product = gw.call("catalog", "get_product", product_id)
    if not isinstance(product, dict):
        raise NotFound("Produk tidak ditemukan.")
    merchant = product.get("merchant") if isinstance(product.get("merchant"), dict) else {}
    if not product_listed(product.get("status", "published"), merchant.get("status")):
        raise NotFound("Produk tidak ditemukan.")
    return product


def _pricing(gw, product_id: str) -> dict | None:
    prices = present.optional(gw, "promotion", "pricing_for", [product_id], timeout=gw.settings.pricing_timeout)
    entry = prices.get(product_id) if isinstance(prices, dict) else None
    return entry if isinstance(entry, dict) else None


def merchant_card(merchant: dict) -> dict:
    """The merchant card buyers see: a halal certificate only while it is valid, and whether
    the seller can be contacted on WhatsApp."""
    card = present.merchant(merchant)
    card["halal_number"] = card["halal_number"] if card["halal_valid"] else ""
    card["has_whatsapp"] = bool(whatsapp_digits(merchant.get("whatsapp")))
    return card


def whatsapp_digits(number) -> str:
    """"+62 812-3456-789" -> "628123456789"; a local "0812..." becomes "62812..."."""
    digits = re.sub(r"\D", "", number) if isinstance(number, str) else ""
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits if 8 <= len(digits) <= 15 else ""


def product_url(web, product_id: str) -> str:
    scheme = "https" if is_https(web.request) else "http"
    return f"{scheme}://{web.request.host}/produk/{quote(product_id, safe='')}"


def merchant_url(web, merchant_id: str) -> str:
    scheme = "https" if is_https(web.request) else "http"
    return f"{scheme}://{web.request.host}/usaha/{quote(merchant_id, safe='')}"


@page
def product_page(web, product_id: str):
    """``GET /produk/<id>``: photos, price (promoted: normal price struck through and the
    badge), the merchant's card, WhatsApp contact and share links. Counts a view."""
    gw = web.gw
    pricing = eventlet.spawn(_pricing, gw, product_id) if present.valid_id(product_id) else None
    try:
        product = load_public_product(gw, product_id)
    except BaseException:
        if pricing is not None:
            pricing.kill()
        raise
    more = eventlet.spawn(present.optional, gw, "catalog", "list_merchant_products", product.get("merchant_id"),
                          page=1, per_page=MORE_FROM_SELLER + 1)
    merchant = present.optional(gw, "catalog", "get_merchant", product.get("merchant_id"))
    price_info = pricing.wait() if pricing is not None else None
    more_items = more_from_seller(more.wait(), product_id, merchant)
    report_interactions(gw, [product_id], "view")
    if more_items:
        report_interactions(gw, [item["id"] for item in more_items], "impression")

    price = present.whole(product.get("price"))
    effective = present.whole((price_info or {}).get("effective_price"))
    promoted = bool(price_info) and effective is not None and price is not None and effective < price
    photos = []
    for photo in product.get("photos") or []:
        urls = photo.get("urls") if isinstance(photo, dict) else None
        if isinstance(urls, dict) and urls:
            photos.append({"src": urls.get("medium") or urls.get("large") or urls.get("thumb"),
                           "large": urls.get("large") or urls.get("medium"),
                           "alt": photo.get("alt") or web.gettext("Foto %(name)s", name=product.get("name") or ""),
                           "width": present.whole(photo.get("width")), "height": present.whole(photo.get("height"))})
    card = merchant_card(merchant) if isinstance(merchant, dict) else None
    share_url = product_url(web, product_id)
    placeholder = None if photos else present.placeholder_photo(product.get("category"), product.get("category_name")
                                                                 or "")
    return web.render(
        "product.html",
        product=product,
        title=product.get("name") or "",
        price=price,
        effective_price=effective if promoted else None,
        badge=(price_info or {}).get("badge") if promoted else None,
        valid_until=(price_info or {}).get("valid_until") if promoted else None,
        photos=photos,
        placeholder=placeholder,
        more=more_items,
        merchant=card,
        contact_href="/produk/" + quote(product_id, safe="") + "/hubungi" if card and card["has_whatsapp"] else None,
        share_url=share_url,
        share_whatsapp="https://wa.me/?" + urlencode({"text": f'{product.get("name") or ""} {share_url}'},
                                                     quote_via=quote),
        halal=product.get("halal") is True,
        stock=present.whole(product.get("stock")),
        category_name=product.get("category_name") or "",
        category=product.get("category") if isinstance(product.get("category"), str) else "",
        region_code=product.get("region") or "",
        region_name=product.get("region_name") or region_name(str(product.get("region") or "")) or "",
        q="",
    )


def more_from_seller(listed, product_id: str, merchant) -> list[dict]:
    """The seller's other published products (a few) as cards, for "Lainnya dari penjual ini"."""
    name = merchant.get("name") if isinstance(merchant, dict) else None
    items = listed.get("items") if isinstance(listed, dict) else None
    others = [item for item in items or [] if isinstance(item, dict) and item.get("id") != product_id
              and item.get("status", "published") == "published"]
    return [present_item({**item, "merchant": None, "merchant_name": name}) for item in others[:MORE_FROM_SELLER]]


@page
def contact(web, product_id: str):
    """``GET /produk/<id>/hubungi``: count the contact click, then 303 to the merchant's
    WhatsApp with a message naming the product."""
    gw = web.gw
    product = load_public_product(gw, product_id)
    merchant = gw.call("catalog", "get_merchant", product.get("merchant_id"))
    digits = whatsapp_digits((merchant or {}).get("whatsapp"))
    if not digits:
        raise NotFound("Penjual belum mencantumkan nomor WhatsApp.")
    report_interactions(gw, [product_id], "contact")
    message = CONTACT_MESSAGE.format(name=product.get("name") or "", url=product_url(web, product_id))
    return web.redirect(f"https://wa.me/{digits}?" + urlencode({"text": message}, quote_via=quote))


# --- merchant -------------------------------------------------------------------------------


@page
def merchant_page(web, merchant_id: str):
    """``GET /usaha/<id>``: profile, credentials and the published products, paginated."""
    gw = web.gw
    if not present.valid_id(merchant_id):
        raise NotFound("Usaha tidak ditemukan.")
    page_number = present.requested_page(web.request.args.get("page"))
    products = eventlet.spawn(gw.call, "catalog", "list_merchant_products", merchant_id, page=page_number,
                              per_page=MERCHANT_PER_PAGE)
    try:
        merchant = gw.call("catalog", "get_merchant", merchant_id)
    except BaseException:
        products.kill()
        raise
    if not isinstance(merchant, dict) or not merchant_listed(merchant.get("status")):
        products.kill()
        raise NotFound("Usaha tidak ditemukan.")
    try:
        listed = products.wait()
    except EtalaseError as exc:
        log.warning("merchant %s shown without products: %s", merchant_id, exc)
        listed = None
    items = [present_item({**item, "merchant": None, "merchant_name": merchant.get("name")})
             for item in (listed or {}).get("items") or []
             if isinstance(item, dict) and item.get("status", "published") == "published"]
    total = int((listed or {}).get("total") or 0)
    pages = present.page_count(total, MERCHANT_PER_PAGE)
    base = "/usaha/" + present.url_path(merchant_id)
    if items:
        report_interactions(gw, [item["id"] for item in items], "impression")
    digits = whatsapp_digits(merchant.get("whatsapp"))
    message = MERCHANT_CONTACT_MESSAGE.format(name=merchant.get("name") or "", url=merchant_url(web, merchant_id))
    whatsapp_href = f"https://wa.me/{digits}?" + urlencode({"text": message}, quote_via=quote) if digits else None
    return web.render(
        "merchant.html", merchant=merchant_card(merchant), products=items, listed=listed is not None,
        whatsapp_href=whatsapp_href,
        page=page_number, pages=pages, q="",
        **present.page_links(page_number, pages, lambda number: f"{base}?page={number}"),
    )
