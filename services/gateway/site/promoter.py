"""The promoters' pages: their campaigns, creating one (as a draft, previewed before it is
scheduled), cancelling, and the statistics with charts.

    GET      /promotor                          campaign list (?status=&page=)
    GET/POST /promotor/kampanye/baru            create form -> a DRAFT -> 303 to its page
    GET      /promotor/kampanye/<id>            detail: preview of the products, statistics
    POST     /promotor/kampanye/<id>/jadwalkan  draft -> scheduled (promotion.schedule_campaign); only
                                                once an admin approved the promoter
    GET/POST /promotor/kampanye/<id>/ubah       edit a draft, scheduled or active campaign
                                                (promotion.update_campaign, only the changed fields)
    GET      /promotor/kampanye/<id>/batal      what cancelling will do, and a confirm button
    POST     /promotor/kampanye/<id>/batal      -> cancelled (promotion.cancel_campaign), then the
                                                campaign page says what it did (?dibatalkan=<n>)

Promoters see their own campaigns, admins every campaign (the promotion service decides;
another promoter's campaign is a 404). Times are typed in WITA (``datetime-local`` inputs)
and sent as ISO 8601 with ``+08:00``; the contract is docs/contracts/promotion-rpc.md.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from services.gateway import accounts
from services.gateway.idempotency import with_key
from services.gateway.site import charts, present
from services.gateway.site.i18n import N_
from services.gateway.site.render import FORM_SENT_BEFORE, page, require_role
from shared.errors import (
    Conflict,
    EtalaseError,
    IdempotencyKeyReused,
    NotFound,
    PromoterNotApproved,
    ValidationFailed,
)
from shared.formatting import MONTHS_ID, WITA
from shared.regions import region_list, region_name

ROLES = ("promoter", "admin")
PER_PAGE = 20
PREVIEW_LIMIT = 50
STATUSES = ("draft", "scheduled", "active", "ended", "cancelled")
CANCELLABLE = ("draft", "scheduled", "active")
EDITABLE = ("draft", "scheduled", "active")
DISCOUNT_TYPES = ("percent", "fixed")
FUNDERS = ("promoter", "seller", "pemda")
KINDS = ("umkm", "koperasi")
MAX_PRODUCT_IDS = 500
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")

# The promotion service's error keys -> the form field the message goes next to.
FIELD_OF_ERROR = {
    "name": "name", "description": "description", "starts_at": "starts_at", "ends_at": "ends_at",
    "discount": "discount_type", "discount.type": "discount_type", "discount.value": "discount_value",
    "featured": "featured", "target": "target", "target.categories": "categories", "target.regions": "regions",
    "target.merchant_kind": "merchant_kind", "target.verified_only": "verified_only",
    "target.product_ids": "product_ids", "max_products": "max_products", "budget": "budget",
    "funded_by": "funded_by", "open_for_signup": "open_for_signup",
}


def _campaign_id(campaign_id: str) -> str:
    if not _UUID.match(campaign_id or ""):
        raise NotFound("Kampanye tidak ditemukan.")
    return campaign_id.lower()


def campaign_url(campaign_id: str) -> str:
    return f"/promotor/kampanye/{campaign_id}"


# --- list -------------------------------------------------------------------------------------


def present_campaign(campaign: dict) -> dict:
    budget = campaign.get("budget") if isinstance(campaign.get("budget"), dict) else None
    return {
        "id": campaign.get("id") or "",
        "url": campaign_url(campaign.get("id") or ""),
        "name": campaign.get("name") or "",
        "status": campaign.get("status") or "",
        "starts_at": campaign.get("starts_at"),
        "ends_at": campaign.get("ends_at"),
        "product_count": present.count(campaign.get("product_count")),
        "budget": {"amount": present.count(budget.get("amount")), "spent": present.count(budget.get("spent")),
                   "remaining": present.count(budget.get("remaining")), "funded_by": budget.get("funded_by") or "",
                   "exhausted": budget.get("exhausted") is True} if budget else None,
    }


@page
@require_role(*ROLES)
def campaign_list(web):
    """``GET /promotor``: the promoter's campaigns, newest first (the promotion service's order)."""
    status = web.request.args.get("status") or None
    if status not in STATUSES:
        status = None
    page_number = present.requested_page(web.request.args.get("page"))
    result = web.gw.call("promotion", "list_campaigns", web.actor, status=status, page=page_number,
                         per_page=PER_PAGE)
    items = [present_campaign(c) for c in (result or {}).get("items") or [] if isinstance(c, dict)]
    total = present.count((result or {}).get("total"))
    pages = present.page_count(total, PER_PAGE)

    def link(number: int) -> str:
        return "/promotor?" + urlencode([(k, v) for k, v in (("status", status), ("page", number)) if v])

    return web.render("promoter_list.html", campaigns=items, current_status=status or "", statuses=STATUSES,
                      total=total, page=page_number, pages=pages,
                      **present.page_links(page_number, pages, link))


# --- create -----------------------------------------------------------------------------------

FORM_TEXT = ("name", "description", "starts_at", "ends_at", "discount_type", "discount_value", "merchant_kind",
             "max_products", "budget", "funded_by", "product_q")
FORM_FLAGS = ("featured", "verified_only", "open_for_signup")


def read_form(form) -> dict:
    """The submitted form as strings, lists and booleans (what the template shows back)."""
    values: dict = {name: (form.get(name) or "").strip() for name in FORM_TEXT}
    values["name"] = values["name"][:200]
    values["description"] = values["description"][:2000]
    values["product_q"] = values["product_q"][:100]
    values["product_ids"] = list(dict.fromkeys(v.strip() for v in form.getlist("product_ids") if v.strip()))[
        :MAX_PRODUCT_IDS + 1]
    values["product_labels"] = product_labels(form.getlist("product_label"))
    for name in FORM_FLAGS:
        values[name] = form.get(name) in ("1", "on", "ya", "true")
    values["categories"] = [v for v in form.getlist("categories") if v][:100]
    values["regions"] = [v for v in form.getlist("regions") if v][:100]
    return values


def product_labels(entries) -> dict[str, str]:
    """The names of the picked products, carried in the form as ``<id>\t<name>``."""
    labels = {}
    for entry in entries[:MAX_PRODUCT_IDS * 2]:
        product_id, _, name = str(entry).partition("\t")
        if product_id and name:
            labels[product_id[:100]] = name[:200]
    return labels


def wita_to_iso(value: str) -> str | None:
    """``2026-12-03T08:00`` typed in WITA -> ``2026-12-03T08:00:00+08:00``; None if not a time."""
    if not _LOCAL_TIME.match(value or ""):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=WITA).isoformat()


def _whole(value: str, field: str, errors: dict, message: str):
    if not value:
        return None
    digits = value.replace(".", "").replace(" ", "")  # "1.500.000" as people type rupiah
    if not re.fullmatch(r"-?\d{1,15}", digits):
        errors[field] = message
        return None
    return int(digits)


def build_campaign(web, values: dict) -> tuple[dict, dict]:
    """The create_campaign data from the form, and the errors the gateway can tell alone
    (the promotion service checks the rest: ranges, windows, known categories...)."""
    errors: dict[str, str] = {}
    whole = web.gettext("Harus bilangan bulat.")
    starts_at = wita_to_iso(values["starts_at"])
    if starts_at is None:
        errors["starts_at"] = web.gettext("Isi tanggal dan jam dengan benar.")
    ends_at = wita_to_iso(values["ends_at"])
    if ends_at is None:
        errors["ends_at"] = web.gettext("Isi tanggal dan jam dengan benar.")
    discount = None
    if values["discount_type"] in DISCOUNT_TYPES:
        amount = _whole(values["discount_value"], "discount_value", errors, whole)
        if amount is None and "discount_value" not in errors:
            errors["discount_value"] = web.gettext("Isi besar diskon.")
        discount = {"type": values["discount_type"], "value": amount}
    product_ids = values["product_ids"]
    if len(product_ids) > MAX_PRODUCT_IDS:
        errors["product_ids"] = web.gettext("Paling banyak %(n)s id produk.", n=MAX_PRODUCT_IDS)
    max_products = _whole(values["max_products"], "max_products", errors, whole)
    budget = _whole(values["budget"], "budget", errors, whole)
    data = {
        "name": values["name"],
        "description": values["description"] or None,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "discount": discount,
        "featured": values["featured"],
        "target": {
            "product_ids": product_ids,
            "categories": values["categories"],
            "regions": values["regions"],
            "merchant_kind": values["merchant_kind"] if values["merchant_kind"] in KINDS else None,
            "verified_only": values["verified_only"],
        },
        "max_products": max_products,
        "budget": budget,
        "funded_by": (values["funded_by"] if values["funded_by"] in FUNDERS else None) if budget is not None else None,
        "open_for_signup": values["open_for_signup"],
        "draft": True,
    }
    return data, errors


def form_errors(web, fields: dict) -> tuple[dict, list[str]]:
    """The service's field errors by form field, and the ones no field shows, in the visitor's language."""
    by_field: dict[str, str] = {}
    other: list[str] = []
    for key, message in web.field_messages(fields).items():
        field = FIELD_OF_ERROR.get(str(key))
        if field is None:
            other.append(f"{key}: {message}")
        else:
            by_field[field] = f"{by_field[field]} {message}" if field in by_field else str(message)
    return by_field, other


def default_values() -> dict:
    start = (datetime.now(WITA) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=7)
    return {**dict.fromkeys(FORM_TEXT, ""), **dict.fromkeys(FORM_FLAGS, False), "categories": [], "regions": [],
            "product_ids": [], "product_labels": {},
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
            "discount_type": "percent", "funded_by": "promoter"}


PRODUCT_SEARCH = "cari_produk"  # the form's "Cari" button: search products to pick, save nothing
PRODUCT_RESULTS = 20


def product_results(web, query: str, picked: list[str]) -> list[dict] | None:
    """What the search service finds for ``query`` (as the buyers' search), the picked ones
    left out; None when it did not answer."""
    found = present.optional(web.gw, "search", "search", q=query, page=1, per_page=PRODUCT_RESULTS)
    if not isinstance(found, dict):
        return None
    results = []
    for item in found.get("items") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"] not in picked:
            results.append({"id": item["id"], "name": str(item.get("name") or item["id"]),
                            "price": present.whole(item.get("price")),
                            "region": region_name(str(item.get("region") or "")) or ""})
    return results


def _form_page(web, values: dict, errors: dict, other_errors: list[str], status: int = 200, campaign=None,
               results=None, searched: bool = False):
    """The campaign form: a new campaign, or (``campaign``: its detail) the edit of one;
    ``results``: the products found to pick from."""
    categories = present.optional(web.gw, "catalog", "list_categories")
    edited = present_campaign(campaign) if campaign else None
    picked = [{"id": p, "name": values["product_labels"].get(p) or p} for p in values["product_ids"]]
    return web.render("promoter_form.html", status=status, values=values, errors=errors, other_errors=other_errors,
                      picked=picked, results=results, searched=searched, search_action=PRODUCT_SEARCH,
                      edited=edited, action=f"{edited['url']}/ubah" if edited else "/promotor/kampanye/baru",
                      category_groups=present.category_groups(present.category_options(categories, web.lang)),
                      regions=region_list(), kinds=KINDS, funders=FUNDERS, invalid=bool(errors or other_errors))


def _search_page(web, values: dict, campaign=None):
    """The form again, as typed, with the products the search found to pick from (the "Cari"
    button with an empty search field saves: it is the button Enter presses)."""
    results = product_results(web, values["product_q"], values["product_ids"])
    errors = {} if results is not None else {"product_q": web.gettext("Pencarian produk sedang tidak tersedia.")}
    return _form_page(web, values, errors, [], campaign=campaign, results=results, searched=True)


@page
@require_role(*ROLES)
def new_campaign(web):
    """``GET/POST /promotor/kampanye/baru``: the form; a valid one becomes a draft campaign."""
    if web.request.method == "GET":
        return _form_page(web, default_values(), {}, [])
    values = read_form(web.request.form)
    if web.request.form.get("action") == PRODUCT_SEARCH and values["product_q"]:
        return _search_page(web, values)
    data, errors = build_campaign(web, values)
    if errors:
        return _form_page(web, values, errors, [], status=422)
    try:
        detail = web.gw.call("promotion", "create_campaign", web.actor, data, **with_key(web.form_idempotency(data)))
    except IdempotencyKeyReused:
        web.renew_form_key()  # sent again, the form makes a new campaign
        return _form_page(web, values, {}, [web.gettext(FORM_SENT_BEFORE)], status=422)
    except ValidationFailed as exc:
        by_field, other = form_errors(web, exc.fields)
        if not by_field and not other:
            other = [web.message(exc.message)]
        return _form_page(web, values, by_field, other, status=422)
    return web.redirect(campaign_url(detail["id"]))


# --- edit -------------------------------------------------------------------------------------


def utc_to_wita_input(value) -> str:
    """``2026-12-01T00:00:00Z`` -> ``2026-12-01T08:00`` (what a WITA datetime-local shows)."""
    try:
        moment = datetime.fromisoformat(str(value or "").replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        return ""
    return moment.astimezone(WITA).strftime("%Y-%m-%dT%H:%M")


def _text(value) -> str:
    return "" if value is None else str(value)


def values_of(campaign: dict) -> dict:
    """The form values showing a campaign as it is."""
    discount = campaign.get("discount") if isinstance(campaign.get("discount"), dict) else None
    budget = campaign.get("budget") if isinstance(campaign.get("budget"), dict) else None
    target = campaign.get("target") if isinstance(campaign.get("target"), dict) else {}
    return {
        "name": _text(campaign.get("name")), "description": _text(campaign.get("description")),
        "starts_at": utc_to_wita_input(campaign.get("starts_at")), "ends_at": utc_to_wita_input(campaign.get("ends_at")),
        "discount_type": discount.get("type") if discount else "none",
        "discount_value": _text(discount.get("value")) if discount else "",
        "featured": campaign.get("featured") is True,
        "merchant_kind": _text(target.get("merchant_kind")),
        "verified_only": target.get("verified_only") is True,
        "product_ids": [p for p in target.get("product_ids") or [] if isinstance(p, str)], "product_labels": {},
        "product_q": "",
        "categories": [c for c in target.get("categories") or [] if isinstance(c, str)],
        "regions": [r for r in target.get("regions") or [] if isinstance(r, str)],
        "max_products": _text(campaign.get("max_products")),
        "budget": _text(budget.get("amount")) if budget else "",
        "funded_by": (budget.get("funded_by") if budget else None) or "promoter",
        "open_for_signup": campaign.get("open_for_signup") is True,
    }


def _same_time(a, b) -> bool:
    try:
        return datetime.fromisoformat(str(a).replace("Z", "+00:00")) == datetime.fromisoformat(
            str(b).replace("Z", "+00:00"))
    except ValueError:
        return False


def changed_fields(campaign: dict, data: dict) -> dict:
    """The update_campaign changes: only the fields the form changed (an active campaign
    refuses a change to the fields it fixes, so unchanged ones are not sent)."""
    budget = campaign.get("budget") if isinstance(campaign.get("budget"), dict) else None
    current = {
        "name": campaign.get("name"), "description": campaign.get("description") or None,
        "discount": campaign.get("discount"), "featured": campaign.get("featured") is True,
        "target": campaign.get("target"), "max_products": campaign.get("max_products"),
        "budget": budget.get("amount") if budget else None,
        "funded_by": budget.get("funded_by") if budget else None,
        "open_for_signup": campaign.get("open_for_signup") is True,
    }
    changes = {}
    for name in ("starts_at", "ends_at"):
        if not _same_time(campaign.get(name), data[name]):
            changes[name] = data[name]
    for name, value in current.items():
        if name == "target":
            if {**dict.fromkeys(data["target"]), **(value or {})} != data["target"]:
                changes["target"] = data["target"]
        elif name == "funded_by":
            if data["budget"] is not None and data["funded_by"] != value:
                changes["funded_by"] = data["funded_by"]
        elif data[name] != value:
            changes[name] = data[name]
    if "budget" in changes and data["budget"] is not None:
        changes["funded_by"] = data["funded_by"]
    return changes


def _editable(web, campaign_id: str) -> dict:
    campaign = web.gw.call("promotion", "get_campaign", web.actor, campaign_id)
    if not isinstance(campaign, dict):
        raise NotFound("Kampanye tidak ditemukan.")
    return campaign


def _version(value) -> int | None:
    return int(value) if re.fullmatch(r"\d{1,9}", value or "") else None


@page
@require_role(*ROLES)
def edit_campaign(web, campaign_id: str):
    """``GET/POST /promotor/kampanye/<id>/ubah``: the campaign form filled in; the changed
    fields go to update_campaign (with the version shown, so a concurrent change is refused)."""
    campaign_id = _campaign_id(campaign_id)
    campaign = _editable(web, campaign_id)
    if campaign.get("status") not in EDITABLE:
        return _detail_page(web, campaign_id, status=409,
                            error=web.gettext("Kampanye yang sudah selesai atau dibatalkan tidak dapat diubah."))
    if web.request.method == "GET":
        return _form_page(web, {**values_of(campaign), "version": _text(campaign.get("version"))}, {}, [],
                          campaign=campaign)
    values = {**read_form(web.request.form), "version": (web.request.form.get("version") or "").strip()}
    if web.request.form.get("action") == PRODUCT_SEARCH and values["product_q"]:
        return _search_page(web, values, campaign)
    data, errors = build_campaign(web, values)
    if errors:
        return _form_page(web, values, errors, [], status=422, campaign=campaign)
    del data["draft"]
    changes = changed_fields(campaign, data)
    if not changes:
        return web.redirect(campaign_url(campaign_id))
    try:
        web.gw.call("promotion", "update_campaign", web.actor, campaign_id, changes,
                    expected_version=_version(values["version"]))
    except (ValidationFailed, Conflict) as exc:
        by_field, other = form_errors(web, exc.fields)
        if "version" in (exc.fields or {}):
            other = [web.gettext("Kampanye ini baru saja diubah di tempat lain. Muat ulang halaman ini lalu ubah lagi.")]
        elif not by_field and not other:
            other = [web.message(exc.message)]
        elif by_field and isinstance(exc, Conflict):
            other = [web.message(exc.message), *other]
        return _form_page(web, values, by_field, other, status=exc.status, campaign=campaign)
    return web.redirect(campaign_url(campaign_id))


# --- detail, schedule, cancel ---------------------------------------------------------------------


def day_label(value) -> str:
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value or "")
    return f"{day.day} {MONTHS_ID[day.month - 1]}"


MAX_CHART_DAYS = 400


def fill_days(days: list[dict]) -> list[dict]:
    """The days in order, with the days the service left out (no activity) as zeros, so a
    chart has one bar per calendar day."""
    by_day = {}
    for entry in days:
        try:
            by_day[date.fromisoformat(entry["day"][:10])] = entry
        except ValueError:
            continue
    if not by_day:
        return []
    first, last = min(by_day), max(by_day)
    if (last - first).days >= MAX_CHART_DAYS:
        return [by_day[day] for day in sorted(by_day)]
    filled = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        filled.append(by_day.get(day) or {"day": day.isoformat(), "label": day_label(day.isoformat()),
                                          "impressions": 0, "clicks": 0, "contacts": 0})
    return filled


def present_statistics(web, statistics) -> dict:
    statistics = statistics if isinstance(statistics, dict) else {}
    totals = statistics.get("totals") if isinstance(statistics.get("totals"), dict) else {}
    days = []
    for entry in statistics.get("days") or []:
        if isinstance(entry, dict) and entry.get("day"):
            days.append({"day": str(entry["day"]), "label": day_label(entry["day"]),
                         **{name: present.count(entry.get(name)) for name in ("impressions", "clicks", "contacts")}})
    days = fill_days(days)
    return {
        "days": days,
        "totals": {name: present.count(totals.get(name))
                   for name in ("impressions", "clicks", "contacts", "discount_given")},
        "impressions_chart": charts.vertical_bars([(d["label"], d["impressions"]) for d in days],
                                                  web.gettext("Tayangan per hari")),
        "clicks_chart": charts.line([(d["label"], d["clicks"]) for d in days], web.gettext("Klik per hari")),
    }


def category_names(web) -> dict[str, str]:
    """slug -> the name people read ({} when the catalog does not answer: slugs are shown)."""
    categories = present.optional(web.gw, "catalog", "list_categories")
    if not isinstance(categories, list):
        return {}
    return {c["slug"]: c.get("name") or c["slug"] for c in categories if isinstance(c, dict) and c.get("slug")}


def present_detail(web, campaign: dict, names: dict[str, str] | None = None) -> dict:
    names = names or {}
    detail = present_campaign(campaign)
    discount = campaign.get("discount") if isinstance(campaign.get("discount"), dict) else None
    target = campaign.get("target") if isinstance(campaign.get("target"), dict) else {}
    detail.update({
        "description": campaign.get("description") or "",
        "discount": discount,
        "featured": campaign.get("featured") is True,
        "open_for_signup": campaign.get("open_for_signup") is True,
        "max_products": present.whole(campaign.get("max_products")),
        "target": {
            "categories": [names.get(c, c) for c in target.get("categories") or [] if isinstance(c, str)],
            "regions": [region_name(r) or r for r in target.get("regions") or [] if isinstance(r, str)],
            "merchant_kind": target.get("merchant_kind") or None,
            "verified_only": target.get("verified_only") is True,
            "product_ids": [p for p in target.get("product_ids") or [] if isinstance(p, str)],
        },
        "statistics": present_statistics(web, campaign.get("statistics")),
        "can_schedule": campaign.get("status") == "draft" and may_schedule(web.user),
        "schedule_blocked": campaign.get("status") == "draft" and not may_schedule(web.user),
        "can_cancel": campaign.get("status") in CANCELLABLE,
        "can_edit": campaign.get("status") in EDITABLE,
    })
    return detail


def present_preview(preview) -> dict | None:
    if not isinstance(preview, dict):
        return None
    products = []
    for item in preview.get("products") or []:
        if not isinstance(item, dict):
            continue
        price, effective = present.whole(item.get("price")), present.whole(item.get("effective_price"))
        products.append({"id": item.get("id") or "", "name": item.get("name") or "", "price": price,
                         "effective_price": effective if effective is not None and effective != price else None,
                         "region": region_name(str(item.get("region") or "")) or item.get("region") or "",
                         "joined": item.get("joined") is True})
    return {"count": present.count(preview.get("count")), "joined": present.count(preview.get("joined")),
            "products": products}


def cancelled_notice(web, campaign: dict) -> str | None:
    """After a cancel (``?dibatalkan=<n>``), what it did."""
    count = web.request.args.get("dibatalkan") or ""
    if campaign.get("status") != "cancelled" or not re.fullmatch(r"\d{1,7}", count):
        return None
    if int(count):
        return web.ngettext("Kampanye dibatalkan. %(num)s produk kembali ke harga normalnya.",
                            "Kampanye dibatalkan. %(num)s produk kembali ke harga normalnya.", int(count), num=int(count))
    return web.gettext("Kampanye dibatalkan. Tidak ada harga produk yang berubah.")


def _detail_page(web, campaign_id: str, status: int = 200, error: str | None = None):
    actor = web.actor
    campaign = web.gw.call("promotion", "get_campaign", actor, campaign_id)
    if not isinstance(campaign, dict):
        raise NotFound("Kampanye tidak ditemukan.")
    preview, preview_failed = None, False
    if campaign.get("status") in CANCELLABLE:
        preview = present_preview(present.optional(web.gw, "promotion", "preview_campaign", actor, campaign_id,
                                           limit=PREVIEW_LIMIT, timeout=web.gw.settings.rpc_timeout))
        preview_failed = preview is None
    target = campaign.get("target")
    names = category_names(web) if isinstance(target, dict) and target.get("categories") else {}
    return web.render("promoter_detail.html", status=status, campaign=present_detail(web, campaign, names),
                      preview=preview, preview_failed=preview_failed, error=error,
                      done=cancelled_notice(web, campaign) if status == 200 else None)


@page
@require_role(*ROLES)
def campaign_page(web, campaign_id: str):
    """``GET /promotor/kampanye/<id>``."""
    return _detail_page(web, _campaign_id(campaign_id))


def _transition(web, campaign_id: str, method: str):
    campaign_id = _campaign_id(campaign_id)
    try:
        web.gw.call("promotion", method, web.actor, campaign_id)
    except EtalaseError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        details = present.field_messages(web, exc)
        return _detail_page(web, campaign_id, status=exc.status, error=f"{web.message(exc.message)} {details}".strip())
    return web.redirect(campaign_url(campaign_id))


SCHEDULE_REFUSED = N_("Kampanye belum dapat dijadwalkan: akun promotor Anda belum disetujui admin.")


def may_schedule(user) -> bool:
    """Only a promoter an admin approved (or an admin) schedules campaigns."""
    try:
        accounts.require_approved(user or {})
    except PromoterNotApproved:
        return False
    return True


@page
@require_role(*ROLES)
def schedule(web, campaign_id: str):
    """``POST /promotor/kampanye/<id>/jadwalkan``: draft -> scheduled (403 and the reason on
    the page for a promoter not approved)."""
    if not may_schedule(web.user):
        return _detail_page(web, _campaign_id(campaign_id), status=403, error=web.gettext(SCHEDULE_REFUSED))
    return _transition(web, campaign_id, "schedule_campaign")


def reverting(campaign: dict) -> int:
    """How many products return to their normal price when the campaign is cancelled: the
    members of an active campaign that discounts (before the start no price changed)."""
    if campaign.get("status") != "active" or campaign.get("discounting") is False or not campaign.get("discount"):
        return 0
    return present.count(campaign.get("product_count"))


@page
@require_role(*ROLES)
def cancel(web, campaign_id: str):
    """``GET /promotor/kampanye/<id>/batal``: what cancelling does, and the confirm button;
    ``POST``: -> cancelled, then the campaign page says what it did."""
    campaign_id = _campaign_id(campaign_id)
    campaign = _editable(web, campaign_id)
    if campaign.get("status") not in CANCELLABLE:
        return _detail_page(web, campaign_id, status=409,
                            error=web.gettext("Kampanye yang sudah selesai atau dibatalkan tidak dapat dibatalkan."))
    if web.request.method == "GET":
        return web.render("promoter_cancel.html", campaign=present_campaign(campaign), reverting=reverting(campaign))
    count = reverting(campaign)
    response = _transition(web, campaign_id, "cancel_campaign")
    if response.status_code == 303:
        return web.redirect(f"{campaign_url(campaign_id)}?dibatalkan={count}")
    return response
