"""The admins' (kurator Dinas) pages: the verification queue and the province dashboard.

    GET  /admin                           merchants by status (?status=pending|verified|suspended|rejected)
                                          and kabupaten/kota (?region=), with their credentials, what a
                                          merchant sent back to review changed, links to its public
                                          page and products, and the decisions that apply
    POST /admin/usaha/<id>/keputusan      decision=verified|rejected|suspended|reinstated, reason
                                          (required to reject or suspend) -> catalog.decide_verification
    GET  /admin/dasbor                    merchants and products per kabupaten/kota, koperasi and their
                                          RAT status (catalog.province_summary), zero-result queries of
                                          the last 7 days (search.zero_result_queries), with charts

(``services/gateway/admin.py`` is something else: the command that creates admin accounts.)
"""
from __future__ import annotations

from urllib.parse import urlencode

import eventlet

from services.gateway.site import charts, present
from services.gateway.site.i18n import N_
from services.gateway.site.render import page, require_role
from shared.contracts import merchant_listed
from shared.errors import EtalaseError, NotFound
from shared.regions import region_list, region_name

PER_PAGE = 20
STATUSES = ("pending", "verified", "suspended", "rejected")
# The decisions offered for a merchant in each status (catalog VERIFICATION_TRANSITIONS).
DECISIONS = {
    "pending": ("verified", "rejected"),
    "verified": ("suspended",),
    "suspended": ("reinstated",),
    "rejected": ("verified",),
}
REASON_REQUIRED = ("rejected", "suspended")
# ?done=<decision> after a redirect: the decision just saved
DONE = {
    "verified": N_("Keputusan disimpan: usaha terverifikasi."),
    "rejected": N_("Keputusan disimpan: usaha ditolak."),
    "suspended": N_("Keputusan disimpan: usaha dibekukan."),
    "reinstated": N_("Keputusan disimpan: usaha aktif kembali."),
}
# The same, naming the business (?usaha=<id> after the redirect).
DONE_NAMED = {
    "verified": N_("Keputusan disimpan: %(name)s terverifikasi."),
    "rejected": N_("Keputusan disimpan: %(name)s ditolak."),
    "suspended": N_("Keputusan disimpan: %(name)s dibekukan."),
    "reinstated": N_("Keputusan disimpan: %(name)s aktif kembali."),
}
FAILED = N_("Keputusan tidak dapat disimpan.")
# What a merchant sent back to review changed (catalog REVIEWED_FIELDS), in the admin's words.
CHANGED_FIELDS = {
    "name": N_("nama"),
    "nib": N_("NIB"),
    "pirt_number": N_("PIRT"),
    "halal_number": N_("nomor sertifikat halal"),
    "legal_number": N_("nomor badan hukum"),
}
ZERO_DAYS = 7
ZERO_LIMIT = 20


# --- the verification queue -------------------------------------------------------------------


def changed_fields(web, merchant: dict) -> list[dict]:
    """What the merchant changed since it was verified: [{"label", "old", "new"}]."""
    shown = []
    for change in merchant.get("changes") or []:
        if isinstance(change, dict) and change.get("field") in CHANGED_FIELDS:
            shown.append({"label": web.gettext(CHANGED_FIELDS[change["field"]]),
                          "old": str(change.get("old") or "–"), "new": str(change.get("new") or "–")})
    return shown


def under_review(web, merchant: dict) -> dict:
    """The merchant as the admin reviews it: every credential, what it changed, its public
    page (while buyers may see it), and the decisions that apply."""
    shown = present.merchant(merchant)
    shown["decisions"] = DECISIONS.get(shown["status"], ())
    shown["changes"] = changed_fields(web, merchant)
    shown["public"] = shown["url"] if merchant_listed(shown["status"]) else None
    return shown


def _queue_page(web, status: str, page_number: int, region: str | None = None, *, http_status: int = 200,
                done: str | None = None, error: dict | None = None, notice: str | None = None):
    where = {"region": region} if region else {}
    result = web.gw.call("catalog", "list_merchants_by_status", web.actor, status, page=page_number,
                         per_page=PER_PAGE, **where)
    merchants = [under_review(web, m) for m in (result or {}).get("items") or [] if isinstance(m, dict)]
    total = present.count((result or {}).get("total"))
    pages = present.page_count(total, PER_PAGE)

    def link(number: int) -> str:
        return "/admin?" + urlencode({"status": status, **where, "page": number})

    return web.render(
        "admin_queue.html", status=http_status, tab=status, statuses=STATUSES, merchants=merchants, total=total,
        page=page_number, pages=pages, **present.page_links(page_number, pages, link), reason_required=REASON_REQUIRED,
        done=done, error=error or {}, notice=notice, region=region or "", regions=region_list(),
        region_suffix=("&region=" + region) if region else "",
    )


def _tab(value) -> str:
    return value if value in STATUSES else "pending"


def _region(value) -> str | None:
    return value if isinstance(value, str) and region_name(value) is not None else None


def _done_notice(web, decision, merchant_id) -> str | None:
    """The notice after a decision, naming the business when the catalog still answers."""
    if decision not in DONE:
        return None
    decided = present.optional(web.gw, "catalog", "get_merchant", merchant_id) \
        if isinstance(merchant_id, str) and 1 <= len(merchant_id) <= 64 else None
    name = decided.get("name") if isinstance(decided, dict) else None
    if isinstance(name, str) and name:
        return web.gettext(DONE_NAMED[decision], name=name)
    return web.gettext(DONE[decision])


@page
@require_role("admin")
def queue(web):
    """``GET /admin``: merchants of one status (and kabupaten/kota), oldest first; ``?done=``
    and ``?usaha=`` show the last decision and whom it was about."""
    args = web.request.args
    done = _done_notice(web, args.get("done"), args.get("usaha"))
    return _queue_page(web, _tab(args.get("status")), present.requested_page(args.get("page")),
                       _region(args.get("region")), done=done)


@page
@require_role("admin")
def decide(web, merchant_id: str):
    """``POST /admin/usaha/<id>/keputusan``: verify, reject, suspend or reinstate."""
    if not 1 <= len(merchant_id) <= 64:
        raise NotFound("Usaha tidak ditemukan.")
    form = web.request.form
    decision = form.get("decision") or ""
    reason = (form.get("reason") or "").strip()[:1000]
    tab = _tab(form.get("status"))
    region = _region(form.get("region"))
    page_number = present.requested_page(form.get("page"))
    if decision not in ("verified", "rejected", "suspended", "reinstated"):
        return _queue_page(web, tab, page_number, region, http_status=422, notice=web.gettext(FAILED))
    if decision in REASON_REQUIRED and not reason:
        error = {"merchant": merchant_id, "decision": decision, "reason": reason,
                 "message": web.gettext("Alasan wajib diisi untuk menolak atau membekukan usaha.")}
        return _queue_page(web, tab, page_number, region, http_status=422, error=error)
    try:
        web.gw.call("catalog", "decide_verification", web.actor, merchant_id, decision, reason or None)
    except EtalaseError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        fields = exc.fields or {}
        message = web.message(fields.get("reason")) if isinstance(fields.get("reason"), str) else None
        if message:
            error = {"merchant": merchant_id, "decision": decision, "reason": reason, "message": message}
            return _queue_page(web, tab, page_number, region, http_status=exc.status, error=error)
        return _queue_page(web, tab, page_number, region, http_status=exc.status,
                           notice=f"{web.gettext(FAILED)} {web.message(exc.message)}")
    where = {"region": region} if region else {}
    return web.redirect("/admin?" + urlencode({"status": tab, **where, "done": decision, "usaha": merchant_id}))


# --- the province dashboard ---------------------------------------------------------------------


def present_summary(web, summary) -> dict | None:
    if not isinstance(summary, dict):
        return None
    by_code = {r.get("code"): r for r in summary.get("regions") or [] if isinstance(r, dict)}
    rows = []
    for region in region_list():  # always the 17, in BPS order
        entry = by_code.get(region["code"]) or {}
        kinds = entry.get("kinds") if isinstance(entry.get("kinds"), dict) else {}
        statuses = entry.get("statuses") if isinstance(entry.get("statuses"), dict) else {}
        rows.append({"code": region["code"], "name": region["name"],
                     "merchants": present.count(entry.get("merchants")),
                     "products": present.count(entry.get("products")),
                     **{kind: present.count(kinds.get(kind)) for kind in ("umkm", "koperasi")},
                     **{state: present.count(statuses.get(state)) for state in ("pending", "verified", "suspended")}})
    koperasi = [k for k in summary.get("koperasi") or [] if isinstance(k, dict)]
    late = sum(1 for k in koperasi if k.get("rat_status") == "late")
    totals = {name: sum(row[name] for row in rows) for name in
              ("merchants", "products", "umkm", "koperasi", "pending", "verified", "suspended")}
    return {
        "year": present.whole(summary.get("year")),
        "regions": rows,
        "totals": totals,
        "koperasi": [{"id": k.get("id") or "", "name": k.get("name") or "",
                      "region_name": k.get("region_name") or region_name(str(k.get("region") or "")) or "",
                      "status": k.get("status") or "", "last_rat_year": present.whole(k.get("last_rat_year")),
                      "rat_status": "late" if k.get("rat_status") == "late" else "up_to_date"} for k in koperasi],
        "late": late,
        "merchants_chart": charts.horizontal_bars([(r["name"], r["merchants"]) for r in rows],
                                                  web.gettext("Jumlah usaha per kabupaten/kota")),
        "products_chart": charts.horizontal_bars([(r["name"], r["products"]) for r in rows],
                                                 web.gettext("Jumlah produk tayang per kabupaten/kota")),
        "rat_chart": charts.horizontal_bars([(web.gettext("Tepat waktu"), len(koperasi) - late),
                                             (web.gettext("Terlambat"), late)], web.gettext("Status RAT koperasi"))
        if koperasi else "",
    }


def present_zero(web, result) -> dict | None:
    if not isinstance(result, dict):
        return None
    queries = []
    for entry in result.get("queries") or []:
        if isinstance(entry, dict) and isinstance(entry.get("query"), str):
            queries.append({"query": entry["query"], "zero_results": present.count(entry.get("zero_results")),
                            "searches": present.count(entry.get("searches")), "last_day": entry.get("last_day") or ""})
    return {"queries": queries,
            "chart": charts.horizontal_bars([(q["query"], q["zero_results"]) for q in queries[:10]],
                                            web.gettext("Pencarian tanpa hasil terbanyak"))}


@page
@require_role("admin")
def dashboard(web):
    """``GET /admin/dasbor``: each section shows on its own; a missing service hides only its section."""
    gw = web.gw
    zero = eventlet.spawn(present.optional, gw, "search", "zero_result_queries", days=ZERO_DAYS, limit=ZERO_LIMIT,
                          timeout=gw.settings.rpc_timeout)
    summary = present.optional(gw, "catalog", "province_summary", web.actor, timeout=gw.settings.rpc_timeout)
    return web.render("admin_dashboard.html", summary=present_summary(web, summary),
                      zero=present_zero(web, zero.wait()), days=ZERO_DAYS)
