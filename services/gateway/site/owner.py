"""The owners' pages (pemilik usaha): dashboard, business profile, products, photos,
spreadsheet imports, campaign opt-in/opt-out and per-product statistics.

    GET      /pemilik                            dashboard: businesses, products (+ 30-day views and
                                                 WhatsApp contacts), campaigns with opt-in/opt-out
    GET/POST /pemilik/usaha/baru                 register a business
    GET/POST /pemilik/usaha/<id>                 profile + credentials (carries the version)
    POST     /pemilik/usaha/<id>/logo            logo upload (multipart ``photo``)
    GET/POST /pemilik/produk/baru?usaha=<id>     add a product (multipart: its first ``photo`` and ``alt`` too)
    GET/POST /pemilik/produk/<id>                edit a product (carries the version)
    POST     /pemilik/produk/<id>/foto           photo upload (multipart ``photo``, ``alt``)
    POST     /pemilik/produk/<id>/foto/<ph>/hapus  delete a photo
    GET/POST /pemilik/produk/<id>/hapus          confirm, then delete the product
    GET/POST /pemilik/impor                      spreadsheet upload (CSV/XLSX, multipart ``file``)
    GET      /pemilik/impor/<id>                 import progress: counts and row errors
    POST     /pemilik/kampanye/<id>/ikut|keluar  join or leave: form ``product_id``, or ``merchant_id`` + ``all``

The catalog and promotion check ownership again on every write; the pages check it on reads
(another owner's business or product is a 404). Validation errors of the catalog come back
as ``fields`` and are shown next to each input; the form keeps what the owner typed. Prices
("harga", "harga coret") are read as Indonesians type them (``present.parse_rupiah``); one
that cannot be read is refused beside its field before anything is sent to the catalog.
"""
from __future__ import annotations

import base64
import logging
import re
from urllib.parse import urlencode

from werkzeug.exceptions import RequestEntityTooLarge

from services.gateway.api_imports import IMPORT_RPC_TIMEOUT, MAX_IMPORT_BYTES, read_import_upload
from services.gateway.api_imports import MAX_FORM_OVERHEAD as IMPORT_OVERHEAD
from services.gateway.api_media import MAX_FORM_OVERHEAD as PHOTO_OVERHEAD
from services.gateway.api_media import MAX_PHOTO_BYTES, read_photo_upload
from services.gateway.idempotency import with_key
from services.gateway.site import present
from services.gateway.site.i18n import N_
from services.gateway.site.render import FORM_SENT_BEFORE, page, require_role, rupiah
from shared.errors import Conflict, EtalaseError, IdempotencyKeyReused, NotFound, PayloadTooLarge, ValidationFailed
from shared.regions import region_list

log = logging.getLogger(__name__)

OWNER = "owner"
PER_PAGE = 50
STAT_DAYS = 30
PHOTO_BODY = MAX_PHOTO_BYTES + PHOTO_OVERHEAD
IMPORT_BODY = MAX_IMPORT_BYTES + IMPORT_OVERHEAD
MERCHANT_PROFILE = ("name", "region", "whatsapp", "description", "address")
CREDENTIALS = ("nib", "pirt_number", "halal_number", "halal_expires_on")
KOPERASI_CREDENTIALS = ("legal_number", "member_count", "last_rat_year")
NUMBER_CREDENTIALS = ("member_count", "last_rat_year")
# changing one of these on a verified business sends it back to the Dinas for verification
REVERIFIED_FIELDS = ("name", "nib", "pirt_number", "halal_number", "legal_number")
PRODUCT_TEXT = ("name", "description", "unit", "tags", "sku", "member_business")
PRICE_FIELDS = ("price", "compare_at_price")
PRODUCT_STATUSES = ("published", "draft")
# ?ok=<key> after a redirect: only these known messages are shown (never text from the URL)
NOTICES = {
    "created": N_("Produk ditambahkan. Tambahkan fotonya di bawah."),
    "created_with_photo": N_("Produk dan fotonya ditambahkan."),
    # the product was created but its photo was not: the edit page says why
    "photo_too_large": N_("Produk ditambahkan, tetapi fotonya tidak tersimpan: berkas lebih dari 5 MB. "
                          "Unggah foto yang lebih kecil di bawah."),
    "photo_refused": N_("Produk ditambahkan, tetapi fotonya tidak tersimpan: berkas bukan foto JPEG, PNG atau "
                        "WebP yang dapat dibaca. Unggah foto lain di bawah."),
    "photo_failed": N_("Produk ditambahkan, tetapi fotonya gagal diunggah. Coba unggah lagi di bawah."),
    "saved": N_("Perubahan disimpan."),
    "reverify": N_("Perubahan disimpan. Usaha menunggu verifikasi ulang Dinas."),
    "deleted": N_("Produk dihapus."),
    "photo_added": N_("Foto ditambahkan."),
    "photo_deleted": N_("Foto dihapus."),
    "logo": N_("Logo diperbarui."),
    "registered": N_("Usaha didaftarkan dan menunggu verifikasi Dinas."),
    "opted_in": N_("Produk diikutkan dalam kampanye."),
    "opted_out": N_("Produk dikeluarkan dari kampanye."),
    "opted_in_all": N_("Semua produk yang diundang diikutkan dalam kampanye."),
}
PHOTO_PROBLEMS = ("photo_too_large", "photo_refused", "photo_failed")  # shown as a warning, not a success
MERCHANT_STATUSES = {
    "pending": N_("Menunggu verifikasi Dinas"),
    "verified": N_("Terverifikasi"),
    "rejected": N_("Ditolak"),
    "suspended": N_("Dibekukan"),
}
IMPORT_STATUSES = {
    "pending": N_("Menunggu diproses"),
    "running": N_("Sedang diproses"),
    "done": N_("Selesai"),
    "failed": N_("Gagal"),
}
INVALID = N_("Periksa kembali isian yang ditandai.")
REVERIFY_HINT = N_("Usaha sudah terverifikasi: mengubah isian ini mengirimnya kembali ke verifikasi Dinas.")
COMPARE_NOT_ABOVE = N_("Harga coret harus lebih besar dari harga.")
CONFLICT = N_("Data ini sudah diubah di tempat lain (mis. di perangkat lain) sejak halaman ini dibuka. "
              "Muat ulang halaman untuk melihat data terbaru, lalu ubah lagi.")


# --- helpers ---------------------------------------------------------------------------------


def merchant_url(merchant_id: str) -> str:
    return "/pemilik/usaha/" + present.url_path(merchant_id)


def product_url(product_id: str, suffix: str = "") -> str:
    return "/pemilik/produk/" + present.url_path(product_id) + suffix


def notice(web) -> str | None:
    key = web.request.args.get("ok")
    return web.gettext(NOTICES[key]) if key in NOTICES else None


def with_notice(url: str, key: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode({"ok": key})


def owner_merchants(web) -> list[dict]:
    merchants = web.gw.call("catalog", "list_owner_merchants", web.user["id"])
    return [m for m in merchants or [] if isinstance(m, dict) and m.get("id")]


def merchant_choices(merchants: list[dict]) -> list[dict]:
    """The owner's businesses as the options of a "which business" select."""
    return [{"id": m["id"], "name": m.get("name") or ""} for m in merchants]


def owned_merchant(web, merchant_id: str) -> dict:
    """The business when the signed-in owner owns it; anyone else's is a 404."""
    if not present.valid_id(merchant_id):
        raise NotFound("Usaha tidak ditemukan.")
    merchant = web.gw.call("catalog", "get_merchant", merchant_id)
    if not isinstance(merchant, dict) or merchant.get("owner_id") != web.user["id"]:
        raise NotFound("Usaha tidak ditemukan.")
    return merchant


def owned_product(web, product_id: str) -> tuple[dict, dict]:
    """(product, merchant) when the signed-in owner owns the product's business, else 404."""
    if not present.valid_id(product_id):
        raise NotFound("Produk tidak ditemukan.")
    product = web.gw.call("catalog", "get_product", product_id)
    if not isinstance(product, dict):
        raise NotFound("Produk tidak ditemukan.")
    return product, owned_merchant(web, product.get("merchant_id"))


def parse_whole(text: str):
    """"15.000" / "Rp 15.000" / "15000" -> 15000; "" -> None; anything else stays text (the
    catalog then names the problem next to the field)."""
    cleaned = re.sub(r"^rp\.?", "", text.strip(), flags=re.IGNORECASE).strip()
    cleaned = re.sub(r"[\s.]", "", cleaned)
    if not cleaned:
        return None
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 12 else text.strip()


def form_text(form, name: str, max_len: int = 5000) -> str:
    return (form.get(name) or "").strip()[:max_len]


def failure(web, exc: EtalaseError) -> tuple[str, dict]:
    """(message for the top of the form, {field: message}) of a refused change."""
    if isinstance(exc, Conflict):
        return web.gettext(CONFLICT), {}
    if isinstance(exc, IdempotencyKeyReused):
        web.renew_form_key()  # sent again, the form makes a new one
        return web.gettext(FORM_SENT_BEFORE), {}
    fields = web.field_messages(exc.fields)
    return (web.gettext(INVALID) if fields else web.message(exc.message) or web.gettext(INVALID)), fields


def _writing(call):
    """Run a catalog/promotion write; ValidationFailed, Conflict and other 4xx errors come
    back as the exception (to re-render the form); 5xx and NotFound/Forbidden propagate."""
    try:
        return call(), None
    except NotFound:
        raise
    except EtalaseError as exc:
        if exc.status >= 500 or exc.status in (401, 403):
            raise
        return None, exc


def owner_merchant(web, merchant: dict) -> dict:
    """The business as its owner sees it: its own edit page, the public page and the status."""
    shown = present.merchant(merchant)
    status = shown["status"]
    shown.update({
        "url": merchant_url(shown["id"]),
        "public_url": "/usaha/" + present.url_path(shown["id"]),
        "status_label": web.gettext(MERCHANT_STATUSES[status]) if status in MERCHANT_STATUSES else "",
    })
    return shown


def merchant_values(merchant: dict) -> dict:
    """The business as form values (strings)."""
    credentials = merchant.get("credentials") if isinstance(merchant.get("credentials"), dict) else {}
    values = {name: merchant.get(name) or "" for name in MERCHANT_PROFILE}
    values["kind"] = merchant.get("kind") or "umkm"
    for name in CREDENTIALS + KOPERASI_CREDENTIALS:
        value = credentials.get(name)
        values[name] = "" if value is None else str(value)
    values["version"] = str(merchant.get("version") or "")
    return values


# --- dashboard -------------------------------------------------------------------------------


def present_product(product: dict, stats: dict | None) -> dict:
    pid = product.get("id") or ""
    counts = (stats or {}).get(pid) if isinstance((stats or {}).get(pid), dict) else None
    return {
        "id": pid,
        "name": product.get("name") or "",
        "status": product.get("status") or "published",
        "price": present.whole(product.get("price")),
        "stock": present.whole(product.get("stock")),
        "unit": product.get("unit") or "",
        "edit_url": product_url(pid),
        "delete_url": product_url(pid, "/hapus"),
        "public_url": "/produk/" + present.url_path(pid),
        "views": present.whole((counts or {}).get("views")),
        "contacts": present.whole((counts or {}).get("contacts")),
    }


def invited_product(entry: dict, names: dict) -> dict:
    """One of the owner's products in an invitation: ``invited`` (waiting for the owner's
    join), ``joined`` or ``out``; the price it gets there when that differs."""
    state = entry.get("state")
    if state not in ("invited", "joined", "out"):  # an older promotion service
        state = "out" if entry.get("opted_out") is True else "joined" if entry.get("member") is True else "invited"
    price, effective = present.whole(entry.get("price")), present.whole(entry.get("effective_price"))
    return {
        "id": entry["product_id"],
        "name": entry.get("name") or names.get(entry["product_id"]) or entry["product_id"],
        "merchant_id": entry.get("merchant_id") if isinstance(entry.get("merchant_id"), str) else None,
        "state": state,
        "price": rupiah(price) if price is not None else "",
        "effective_price": rupiah(effective) if effective is not None and price is not None and effective < price else "",
        "can_opt_in": state != "joined",
        "can_opt_out": state == "joined",
    }


def present_campaigns(web, result, names: dict) -> list[dict]:
    campaigns = []
    for item in (result or {}).get("items") or [] if isinstance(result, dict) else []:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        discount = item.get("discount") if isinstance(item.get("discount"), dict) else None
        discount_text = ""
        if discount and present.whole(discount.get("value")) is not None:
            if discount.get("type") == "percent":
                discount_text = web.gettext("Diskon %(value)s%%", value=discount["value"])
            else:
                discount_text = web.gettext("Potongan %(value)s", value=rupiah(discount["value"]))
        products = [invited_product(entry, names) for entry in item.get("my_products") or []
                    if isinstance(entry, dict) and entry.get("product_id")]
        # "Ikut semua": one form per business that still has a product to join
        join_all = sorted({p["merchant_id"] for p in products if p["can_opt_in"] and p["merchant_id"]})
        campaigns.append({
            "id": item["id"],
            "name": item.get("name") or "",
            "description": item.get("description") or "",
            "status": item.get("status") or "",
            "starts": item.get("starts_at_wita") or item.get("starts_at"),
            "ends": item.get("ends_at_wita") or item.get("ends_at"),
            "discount": discount_text,
            "funded_by": item.get("funded_by") if item.get("funded_by") in ("promoter", "seller", "pemda") else None,
            "requires_join": item.get("requires_join") is True,
            "join_all": join_all,
            "opt_in_url": "/pemilik/kampanye/" + present.url_path(item["id"]) + "/ikut",
            "opt_out_url": "/pemilik/kampanye/" + present.url_path(item["id"]) + "/keluar",
            "products": products,
        })
    return campaigns


def dashboard_context(web) -> dict:
    gw = web.gw
    page_number = present.requested_page(web.request.args.get("page"), highest=10_000)
    merchants = owner_merchants(web)
    sections = []
    for merchant in merchants:
        listed = gw.call("catalog", "list_merchant_products", merchant["id"], page=page_number, per_page=PER_PAGE,
                         actor=web.actor)  # the owner sees drafts and archived products too
        items = [p for p in (listed or {}).get("items") or [] if isinstance(p, dict) and p.get("id")]
        sections.append({"merchant": owner_merchant(web, merchant), "items": items,
                         "total": int((listed or {}).get("total") or 0)})
    product_ids = [p["id"] for section in sections for p in section["items"]][:200]
    stats = present.optional(gw, "promotion", "product_statistics", web.actor, product_ids, days=STAT_DAYS) \
        if product_ids else {"items": {}}
    campaigns = present.optional(gw, "promotion", "campaigns_for_owner", web.actor) if merchants else {"items": []}
    stat_items = stats.get("items") if isinstance(stats, dict) and isinstance(stats.get("items"), dict) else None
    names = {}
    for section in sections:
        names.update({p["id"]: p.get("name") or "" for p in section["items"]})
        section["products"] = [present_product(p, stat_items) for p in section["items"]]
        pages = present.page_count(section["total"], PER_PAGE)
        section.update(present.page_links(page_number, pages, lambda number: f"/pemilik?page={number}"))
        section["pages"] = pages
    return {
        "sections": sections,
        "page": page_number,
        "stats_available": stat_items is not None,
        "stat_days": STAT_DAYS,
        "campaigns": present_campaigns(web, campaigns, names),
        "campaigns_available": isinstance(campaigns, dict),
    }


def render_dashboard(web, status: int = 200, error: str | None = None):
    return web.render("owner_home.html", status=status, error=error, notice=notice(web), **dashboard_context(web))


@page
@require_role(OWNER)
def home(web):
    """``GET /pemilik``."""
    return render_dashboard(web)


@page
@require_role(OWNER)
def campaign_membership(web, campaign_id: str, action: str):
    """``POST /pemilik/kampanye/<id>/ikut|keluar`` with ``product_id`` (one product) or
    ``merchant_id`` and ``all`` ("Ikut semua": every product of that business the campaign
    invites): join or leave. The promotion service checks the products are the owner's."""
    form = web.request.form
    product_id = form_text(form, "product_id", 64)
    merchant_id = form_text(form, "merchant_id", 64)
    if product_id:
        selection: dict = {"product_ids": [product_id]}
    elif merchant_id and form.get("all"):
        selection = {"merchant_id": merchant_id, "all": True}
    else:
        selection = {}
    if not present.valid_id(campaign_id) or not selection:
        raise NotFound("Kampanye tidak ditemukan.")
    method = "opt_in" if action == "ikut" else "opt_out"
    _, failed = _writing(lambda: web.gw.call("promotion", method, web.actor, campaign_id, selection))
    if failed is not None:
        details = present.field_messages(web, failed)
        message = web.message(failed.message)
        message += f" ({details})" if details and details not in message else ""
        return render_dashboard(web, status=failed.status, error=message)
    key = "opted_out" if method == "opt_out" else "opted_in" if product_id else "opted_in_all"
    return web.redirect(with_notice("/pemilik", key) + "#kampanye")


# --- business ----------------------------------------------------------------------------------


def merchant_data(form, kind: str, creating: bool) -> dict:
    """The form as the catalog's merchant fields."""
    data = {name: form_text(form, name, 2000) for name in MERCHANT_PROFILE}
    if creating:
        data["kind"] = form_text(form, "kind", 20)
    credentials = CREDENTIALS + (KOPERASI_CREDENTIALS if kind == "koperasi" else ())
    for name in credentials:
        text = form_text(form, name, 100)
        if name in NUMBER_CREDENTIALS:
            data[name] = parse_whole(text) if text else None
        else:
            data[name] = text or None
    if creating:
        data = {k: v for k, v in data.items() if v not in (None, "") or k in ("name", "region", "whatsapp")}
    return data


def render_business(web, merchant: dict | None, values: dict, errors: dict, error: str | None, status: int = 200,
                    conflict: bool = False):
    return web.render(
        "owner_business.html", status=status, merchant=owner_merchant(web, merchant) if merchant else None,
        values=values, errors=errors, error=error, regions=region_list(), notice=notice(web), conflict=conflict,
        reverify_hint=web.gettext(REVERIFY_HINT) if merchant and merchant.get("status") == "verified" else None,
    )


@page
@require_role(OWNER)
def business_new(web):
    """``GET/POST /pemilik/usaha/baru``: register a business."""
    if web.request.method == "GET":
        return render_business(web, None, {"kind": "umkm"}, {}, None)
    form = web.request.form
    kind = form_text(form, "kind", 20)
    values = {name: form_text(form, name, 2000) for name in
              ("kind",) + MERCHANT_PROFILE + CREDENTIALS + KOPERASI_CREDENTIALS}
    data = merchant_data(form, kind, creating=True)
    keyed = with_key(web.form_idempotency(data))
    created, failed = _writing(lambda: web.gw.call("catalog", "register_merchant", web.actor, data, **keyed))
    if failed is not None:
        error, errors = failure(web, failed)
        return render_business(web, None, values, errors, error, status=failed.status)
    return web.redirect(with_notice(merchant_url(created["id"]), "registered"))


@page
@require_role(OWNER)
def business_edit(web, merchant_id: str):
    """``GET/POST /pemilik/usaha/<id>``: profile and credentials."""
    merchant = owned_merchant(web, merchant_id)
    if web.request.method == "GET":
        return render_business(web, merchant, merchant_values(merchant), {}, None)
    form = web.request.form
    values = {name: form_text(form, name, 2000) for name in MERCHANT_PROFILE + CREDENTIALS + KOPERASI_CREDENTIALS}
    values["kind"] = merchant.get("kind") or "umkm"
    values["version"] = form_text(form, "version", 20)
    version = parse_whole(values["version"]) if values["version"] else None
    data = merchant_data(form, values["kind"], creating=False)
    saved, failed = _writing(lambda: web.gw.call("catalog", "update_merchant", web.actor, merchant["id"], data,
                                                 version if isinstance(version, int) else None))
    if failed is not None:
        error, errors = failure(web, failed)
        return render_business(web, merchant, values, errors, error, status=failed.status,
                               conflict=isinstance(failed, Conflict))
    return web.redirect(with_notice(merchant_url(merchant["id"]), saved_notice(merchant, saved)))


def saved_notice(before: dict, after) -> str:
    """"reverify" when the save sent the business back for verification (the catalog answers
    with status ``pending``), else "saved"."""
    status = after.get("status") if isinstance(after, dict) else None
    return "reverify" if status == "pending" and before.get("status") != "pending" else "saved"


def read_upload(web, reader):
    """(upload dict, None), or (None, the refusal) when it is missing, empty or too large."""
    try:
        return reader(web.request), None
    except (ValidationFailed, PayloadTooLarge) as exc:
        return None, exc
    except RequestEntityTooLarge:
        return None, PayloadTooLarge()


def upload_problem(web, exc: EtalaseError) -> str:
    return str(web.message(next(iter((exc.fields or {}).values()), None) or exc.message))


@page(max_body=PHOTO_BODY)
@require_role(OWNER)
def business_logo(web, merchant_id: str):
    """``POST /pemilik/usaha/<id>/logo`` (multipart ``photo``)."""
    merchant = owned_merchant(web, merchant_id)
    upload, failed = read_upload(web, read_photo_upload)
    if upload is not None:
        _, failed = _writing(lambda: web.gw.call("catalog", "set_merchant_logo", web.actor, merchant["id"], upload,
                                                 timeout=web.gw.settings.photo_rpc_timeout))
        if failed is None:
            return web.redirect(with_notice(merchant_url(merchant["id"]), "logo"))
    return render_business(web, merchant, merchant_values(merchant), {"photo": upload_problem(web, failed)},
                           web.gettext(INVALID), status=failed.status)


# --- products ----------------------------------------------------------------------------------


def product_values(product: dict) -> dict:
    tags = product.get("tags") if isinstance(product.get("tags"), list) else []
    return {
        "name": product.get("name") or "",
        "description": product.get("description") or "",
        "price": str(product["price"]) if present.whole(product.get("price")) is not None else "",
        "stock": str(product["stock"]) if present.whole(product.get("stock")) is not None else "",
        "unit": product.get("unit") or "",
        "sku": product.get("sku") or "",
        "compare_at_price": (str(product["compare_at_price"])
                             if present.whole(product.get("compare_at_price")) is not None else ""),
        "member_business": product.get("member_business") or "",
        "category": product.get("category") if isinstance(product.get("category"), str) else "",
        "halal": bool(product.get("halal_claimed", product.get("halal"))),
        "status": product.get("status") or "published",
        "tags": ", ".join(str(tag) for tag in tags),
        "version": str(product.get("version") or ""),
        "merchant_id": product.get("merchant_id") or "",
    }


def product_form(web, form, koperasi: bool) -> tuple[dict, dict, dict]:
    """(values to show again, data for the catalog, {field: message} of prices that cannot be
    read). Prices are read as Indonesians type them (``present.parse_rupiah``); the member
    business is sent only for a koperasi."""
    values = {name: form_text(form, name) for name in PRODUCT_TEXT + PRICE_FIELDS + (
        "stock", "category", "status", "merchant_id", "version")}
    values["halal"] = form.get("halal") in ("1", "on", "true")
    prices, errors = {}, {}
    for name in PRICE_FIELDS:
        try:
            prices[name] = present.parse_rupiah(values[name])
        except ValueError as exc:
            errors[name] = web.gettext(str(exc))
    if not errors and prices["compare_at_price"] is not None and prices["price"] is not None \
            and prices["compare_at_price"] <= prices["price"]:
        errors["compare_at_price"] = web.gettext(COMPARE_NOT_ABOVE)
    data = {
        "name": values["name"],
        "description": values["description"],
        "price": prices.get("price"),
        "compare_at_price": prices.get("compare_at_price"),
        "sku": values["sku"] or None,
        "stock": parse_whole(values["stock"]),
        "unit": values["unit"] or None,
        "category": values["category"] or None,
        "halal": values["halal"],
        "status": values["status"] or None,
        "tags": [tag.strip() for tag in values["tags"].split(",") if tag.strip()],
    }
    if koperasi:
        data["member_business"] = values["member_business"] or None
    return values, data, errors


def present_photos(web, product: dict) -> list[dict]:
    photos = []
    for photo in product.get("photos") or []:
        if not isinstance(photo, dict) or not photo.get("id"):
            continue
        urls = photo.get("urls") if isinstance(photo.get("urls"), dict) else {}
        photos.append({"id": photo["id"], "src": urls.get("thumb") or urls.get("medium"),
                       "alt": photo.get("alt") or web.gettext("Foto %(name)s", name=product.get("name") or ""),
                       "delete_url": product_url(product.get("id") or "",
                                                 "/foto/" + present.url_path(photo["id"]) + "/hapus")})
    return photos


def render_product(web, *, product: dict | None, merchants: list[dict], values: dict, errors: dict,
                   error: str | None, status: int = 200, conflict: bool = False, koperasi: bool = False):
    """``koperasi``: the form offers the member business (a koperasi sells for its members)."""
    categories = present.optional(web.gw, "catalog", "list_categories")
    options = present.category_options(categories, web.lang)
    if values.get("category") and all(o["slug"] != values["category"] for o in options):
        options.append({"slug": values["category"], "name": values["category"], "parent": ""})
    return web.render(
        "owner_product.html", status=status, product=product, merchants=merchants, values=values, errors=errors,
        error=error, conflict=conflict, notice=notice(web), category_groups=present.category_groups(options),
        photos=present_photos(web, product) if product else [], koperasi=koperasi,
        notice_warning=web.request.args.get("ok") in PHOTO_PROBLEMS,
        rupiah_hint=web.gettext(present.RUPIAH_HINT),
        action=product_url(product["id"]) if product else "/pemilik/produk/baru",
    )


def is_koperasi(merchant: dict | None) -> bool:
    return isinstance(merchant, dict) and merchant.get("kind") == "koperasi"


def chosen_photo(web) -> bool:
    photo = web.request.files.get("photo")
    return photo is not None and bool(photo.filename)


def first_photo(web, product_id: str) -> str:
    """Upload the photo chosen on the "add a product" form to the new product; the notice key
    of the outcome. The product stays whatever happens to its photo."""
    upload, failed = read_upload(web, read_photo_upload)
    if upload is not None:
        try:
            # Keyed like the product: the form sent twice adds the photo once.
            web.gw.call("catalog", "add_product_photo", web.actor, product_id, upload,
                        timeout=web.gw.settings.photo_rpc_timeout,
                        **with_key(web.form_idempotency({"photo": upload}, purpose="photo")))
            return "created_with_photo"
        except EtalaseError as exc:
            log.warning("the new product %s kept no photo: %s", product_id, exc.message)
            failed = exc
    if isinstance(failed, PayloadTooLarge):
        return "photo_too_large"
    return "photo_refused" if isinstance(failed, ValidationFailed) else "photo_failed"


@page(max_body=PHOTO_BODY)
@require_role(OWNER)
def product_new(web):
    """``GET/POST /pemilik/produk/baru``: add a product to one of the owner's businesses, with
    its first photo when one is chosen (created first, then the photo through the catalog's
    ``add_product_photo``; a refused photo leaves the product, and its edit page says why)."""
    merchants = owner_merchants(web)
    if not merchants:
        return web.redirect("/pemilik/usaha/baru")
    choices = merchant_choices(merchants)
    any_koperasi = any(is_koperasi(m) for m in merchants)
    if web.request.method == "GET":
        wanted = web.request.args.get("usaha")
        merchant_id = wanted if any(m["id"] == wanted for m in merchants) else merchants[0]["id"]
        values = {"merchant_id": merchant_id, "status": "published", "unit": "pcs", "halal": False}
        return render_product(web, product=None, merchants=choices, values=values, errors={}, error=None,
                              koperasi=any_koperasi)
    chosen = next((m for m in merchants if m["id"] == web.request.form.get("merchant_id")), None)
    values, data, errors = product_form(web, web.request.form, is_koperasi(chosen))
    if chosen is None:
        errors["merchant_id"] = web.gettext(INVALID)
    if errors:
        return render_product(web, product=None, merchants=choices, values=values, status=422, errors=errors,
                              error=web.gettext(INVALID), koperasi=any_koperasi)
    data = {"merchant_id": values["merchant_id"], **{k: v for k, v in data.items() if v is not None
                                                     or k in ("price", "stock", "category")}}
    keyed = with_key(web.form_idempotency(data))
    created, failed = _writing(lambda: web.gw.call("catalog", "create_product", web.actor, data, **keyed))
    if failed is not None:
        error, errors = failure(web, failed)
        return render_product(web, product=None, merchants=choices, values=values, errors=errors, error=error,
                              status=failed.status, koperasi=any_koperasi)
    outcome = first_photo(web, created["id"]) if chosen_photo(web) else "created"
    return web.redirect(with_notice(product_url(created["id"]), outcome))


@page
@require_role(OWNER)
def product_edit(web, product_id: str):
    """``GET/POST /pemilik/produk/<id>``: edit; the form carries the version (a change made
    elsewhere in between is a conflict, shown as such). A blank SKU, "harga coret" or member
    business clears it."""
    product, merchant = owned_product(web, product_id)
    koperasi = is_koperasi(merchant)
    if web.request.method == "GET":
        return render_product(web, product=product, merchants=[], values=product_values(product), errors={},
                              error=None, koperasi=koperasi)
    values, data, errors = product_form(web, web.request.form, koperasi)
    if errors:
        return render_product(web, product=product, merchants=[], values=values, errors=errors, status=422,
                              error=web.gettext(INVALID), koperasi=koperasi)
    version = parse_whole(values["version"]) if values["version"] else None
    data = {k: v for k, v in data.items() if v is not None
            or k in ("price", "stock", "category", "sku", "compare_at_price", "member_business")}
    _, failed = _writing(lambda: web.gw.call("catalog", "update_product", web.actor, product["id"], data,
                                             version if isinstance(version, int) else None))
    if failed is not None:
        error, errors = failure(web, failed)
        return render_product(web, product=product, merchants=[], values=values, errors=errors, error=error,
                              status=failed.status, conflict=isinstance(failed, Conflict), koperasi=koperasi)
    return web.redirect(with_notice(product_url(product["id"]), "saved"))


@page(max_body=PHOTO_BODY)
@require_role(OWNER)
def product_photo_add(web, product_id: str):
    """``POST /pemilik/produk/<id>/foto`` (multipart ``photo`` and ``alt``): the catalog
    checks the image and makes the web sizes."""
    product, _merchant = owned_product(web, product_id)
    upload, failed = read_upload(web, read_photo_upload)
    if upload is not None:
        _, failed = _writing(lambda: web.gw.call("catalog", "add_product_photo", web.actor, product["id"], upload,
                                                 timeout=web.gw.settings.photo_rpc_timeout))
        if failed is None:
            return web.redirect(with_notice(product_url(product["id"]), "photo_added") + "#foto")
    return render_product(web, product=product, merchants=[], values=product_values(product),
                          errors={"photo": upload_problem(web, failed)}, error=web.gettext(INVALID),
                          status=failed.status, koperasi=is_koperasi(_merchant))


@page
@require_role(OWNER)
def product_photo_delete(web, product_id: str, photo_id: str):
    """``POST /pemilik/produk/<id>/foto/<photo_id>/hapus``."""
    product, _merchant = owned_product(web, product_id)
    web.gw.call("catalog", "delete_product_photo", web.actor, product["id"], photo_id)
    return web.redirect(with_notice(product_url(product["id"]), "photo_deleted") + "#foto")


@page
@require_role(OWNER)
def product_delete(web, product_id: str):
    """``GET /pemilik/produk/<id>/hapus`` asks; ``POST`` deletes (with the version)."""
    product, _merchant = owned_product(web, product_id)
    error, status = None, 200
    if web.request.method == "POST":
        text = form_text(web.request.form, "version", 20)
        version = parse_whole(text) if text else None
        _, failed = _writing(lambda: web.gw.call("catalog", "delete_product", web.actor, product["id"],
                                                 version if isinstance(version, int) else None))
        if failed is None:
            return web.redirect(with_notice("/pemilik", "deleted"))
        error, status = failure(web, failed)[0], failed.status
    return web.render("owner_delete.html", status=status, product=product, error=error,
                      action=product_url(product["id"], "/hapus"), back=product_url(product["id"]))


# --- spreadsheet imports -----------------------------------------------------------------------


@page(max_body=IMPORT_BODY)
@require_role(OWNER)
def import_page(web):
    """``GET/POST /pemilik/impor``: upload, then 303 to the import's status page."""
    merchants = owner_merchants(web)
    if not merchants:
        return web.redirect("/pemilik/usaha/baru")
    choices = merchant_choices(merchants)
    selected = web.request.args.get("usaha") or merchants[0]["id"]
    errors, error, status = {}, None, 200
    if web.request.method == "POST":
        selected = form_text(web.request.form, "merchant_id", 64)
        try:
            merchant_id, filename, data = read_import_upload(web.request)
            job = web.gw.call("catalog", "start_import", web.actor, merchant_id, filename,
                              base64.b64encode(data).decode("ascii"),
                              timeout=max(web.gw.settings.rpc_timeout, IMPORT_RPC_TIMEOUT))
            return web.redirect("/pemilik/impor/" + present.url_path(job["id"]))
        except RequestEntityTooLarge:
            errors, error, status = {"file": web.message(PayloadTooLarge().message)}, web.gettext(INVALID), 413
        except (ValidationFailed, PayloadTooLarge, Conflict) as exc:
            error, errors = failure(web, exc)
            status = exc.status
    return web.render("owner_import.html", status=status, merchants=choices, selected=selected, errors=errors,
                      error=error)


def import_problems(web, problems) -> list[dict]:
    """An import's row errors or warnings (``{"row", "column", "message"}``), messages translated."""
    return [{**problem, "message": web.message(problem.get("message"))}
            for problem in problems or [] if isinstance(problem, dict)]


@page
@require_role(OWNER)
def import_status(web, import_id: str):
    """``GET /pemilik/impor/<id>``: progress, counts and each failed row."""
    if not present.valid_id(import_id):
        raise NotFound("Impor tidak ditemukan.")
    job = web.gw.call("catalog", "get_import", web.actor, import_id)
    # the catalog stores its messages in Indonesian; the page shows them in the visitor's language
    job = {**job, "error": web.message(job.get("error")), "warnings": import_problems(web, job.get("warnings"))}
    counts = job.get("counts") if isinstance(job.get("counts"), dict) else {}
    status = job.get("status") or "pending"
    return web.render(
        "owner_import_status.html", job=job, counts=counts, state=status,
        status_label=web.gettext(IMPORT_STATUSES[status]) if status in IMPORT_STATUSES else status,
        running=status in ("pending", "running"),
        errors=import_problems(web, job.get("errors")),
        self_url="/pemilik/impor/" + present.url_path(import_id),
    )
