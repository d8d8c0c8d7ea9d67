"""The admins' (kurator Dinas) pages: the verification queue and the province dashboard.

    GET  /admin                           merchants by status (?status=pending|verified|suspended|rejected),
                                          with their credentials and the decisions that apply
    POST /admin/usaha/<id>/keputusan      decision=verified|rejected|suspended|reinstated, reason
                                          (required to reject or suspend) -> catalog.decide_verification
    GET  /admin/dasbor                    merchants and products per kabupaten/kota, koperasi and their
                                          RAT status (catalog.province_summary), zero-result queries of
                                          the last 7 days (search.zero_result_queries), with charts

(``services/gateway/admin.py`` is something else: the command that creates admin accounts.)
"""
from __future__ import annotations

import math
from urllib.parse import urlencode

import eventlet

from services.gateway.api import catalog_actor
from services.gateway.site import charts, i18n
from services.gateway.site.buyer import optional
from services.gateway.site.render import page, require_role
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
ZERO_DAYS = 7
ZERO_LIMIT = 20

i18n.add_messages(
    id={
        "admin.title": "Verifikasi Usaha",
        "admin.dashboard": "Dasbor Provinsi",
        "admin.nav.queue": "Antrean verifikasi",
        "admin.nav.dashboard": "Dasbor provinsi",
        "admin.tabs": "Status usaha",
        "admin.status.pending": "Menunggu verifikasi",
        "admin.status.verified": "Terverifikasi",
        "admin.status.suspended": "Dibekukan",
        "admin.status.rejected": "Ditolak",
        "admin.count": "{n} usaha.",
        "admin.none": "Tidak ada usaha dengan status ini.",
        "admin.registered": "Terdaftar {when}",
        "admin.whatsapp": "WhatsApp {number}",
        "admin.reason.current": "Alasan: {reason}",
        "admin.no_credentials": "Belum ada dokumen legalitas.",
        "admin.halal.expired": "(kedaluwarsa)",
        "admin.decision.verified": "Verifikasi",
        "admin.decision.rejected": "Tolak",
        "admin.decision.suspended": "Bekukan",
        "admin.decision.reinstated": "Aktifkan kembali",
        "admin.reason": "Alasan",
        "admin.reason.required": "Alasan (wajib)",
        "admin.reason.optional": "Alasan (opsional)",
        "admin.reason.missing": "Alasan wajib diisi untuk menolak atau membekukan usaha.",
        "admin.done.verified": "Keputusan disimpan: usaha terverifikasi.",
        "admin.done.rejected": "Keputusan disimpan: usaha ditolak.",
        "admin.done.suspended": "Keputusan disimpan: usaha dibekukan.",
        "admin.done.reinstated": "Keputusan disimpan: usaha aktif kembali.",
        "admin.failed": "Keputusan tidak dapat disimpan.",
        "admin.regions": "Usaha dan produk per kabupaten/kota",
        "admin.chart.merchants": "Jumlah usaha per kabupaten/kota",
        "admin.chart.products": "Jumlah produk tayang per kabupaten/kota",
        "admin.col.region": "Kabupaten/kota",
        "admin.col.merchants": "Usaha",
        "admin.col.umkm": "UMKM",
        "admin.col.koperasi": "Koperasi",
        "admin.col.pending": "Menunggu",
        "admin.col.verified": "Terverifikasi",
        "admin.col.suspended": "Dibekukan",
        "admin.col.products": "Produk tayang",
        "admin.col.total": "Jumlah",
        "admin.koperasi": "Koperasi dan Rapat Anggota Tahunan (RAT)",
        "admin.koperasi.summary": "{n} koperasi; {late} terlambat RAT (tahun {year}, WITA).",
        "admin.koperasi.rule": "Tepat waktu: RAT tahun ini, atau tahun lalu selama RAT tahun ini belum jatuh tempo (30 Juni).",
        "admin.chart.rat": "Status RAT koperasi",
        "admin.col.name": "Nama",
        "admin.col.status": "Status usaha",
        "admin.col.last_rat": "RAT terakhir",
        "admin.col.rat": "Status RAT",
        "admin.rat.up_to_date": "Tepat waktu",
        "admin.rat.late": "Terlambat",
        "admin.rat.never": "Belum dilaporkan",
        "admin.koperasi.none": "Belum ada koperasi terdaftar.",
        "admin.zero": "Pencarian tanpa hasil (7 hari terakhir)",
        "admin.chart.zero": "Pencarian tanpa hasil terbanyak",
        "admin.col.query": "Kata kunci",
        "admin.col.zero": "Tanpa hasil",
        "admin.col.searches": "Pencarian",
        "admin.col.last_day": "Terakhir",
        "admin.zero.none": "Tidak ada pencarian tanpa hasil.",
        "admin.unavailable": "Data ini sedang tidak tersedia.",
    },
    en={
        "admin.title": "Business verification",
        "admin.dashboard": "Province dashboard",
        "admin.nav.queue": "Verification queue",
        "admin.nav.dashboard": "Province dashboard",
        "admin.tabs": "Business status",
        "admin.status.pending": "Awaiting verification",
        "admin.status.verified": "Verified",
        "admin.status.suspended": "Suspended",
        "admin.status.rejected": "Rejected",
        "admin.count": "{n} businesses.",
        "admin.none": "No businesses with this status.",
        "admin.registered": "Registered {when}",
        "admin.reason.current": "Reason: {reason}",
        "admin.no_credentials": "No legal documents yet.",
        "admin.halal.expired": "(expired)",
        "admin.decision.verified": "Verify",
        "admin.decision.rejected": "Reject",
        "admin.decision.suspended": "Suspend",
        "admin.decision.reinstated": "Reinstate",
        "admin.reason": "Reason",
        "admin.reason.required": "Reason (required)",
        "admin.reason.optional": "Reason (optional)",
        "admin.reason.missing": "A reason is required to reject or suspend a business.",
        "admin.done.verified": "Saved: the business is verified.",
        "admin.done.rejected": "Saved: the business was rejected.",
        "admin.done.suspended": "Saved: the business was suspended.",
        "admin.done.reinstated": "Saved: the business was reinstated.",
        "admin.failed": "The decision could not be saved.",
        "admin.regions": "Businesses and products per regency/city",
        "admin.chart.merchants": "Businesses per regency/city",
        "admin.chart.products": "Listed products per regency/city",
        "admin.col.region": "Regency/city",
        "admin.col.merchants": "Businesses",
        "admin.col.umkm": "Small businesses",
        "admin.col.koperasi": "Cooperatives",
        "admin.col.pending": "Awaiting",
        "admin.col.verified": "Verified",
        "admin.col.suspended": "Suspended",
        "admin.col.products": "Listed products",
        "admin.col.total": "Total",
        "admin.koperasi": "Cooperatives and their annual member meeting (RAT)",
        "admin.koperasi.summary": "{n} cooperatives; {late} late with their RAT (year {year}, WITA).",
        "admin.koperasi.rule": "On time: a RAT this year, or last year while this year's is not yet due (30 June).",
        "admin.chart.rat": "Cooperatives' RAT status",
        "admin.col.name": "Name",
        "admin.col.status": "Business status",
        "admin.col.last_rat": "Last RAT",
        "admin.col.rat": "RAT status",
        "admin.rat.up_to_date": "On time",
        "admin.rat.late": "Late",
        "admin.rat.never": "Not reported",
        "admin.koperasi.none": "No cooperatives registered yet.",
        "admin.zero": "Searches without results (last 7 days)",
        "admin.chart.zero": "Most frequent searches without results",
        "admin.col.query": "Query",
        "admin.col.zero": "No results",
        "admin.col.searches": "Searches",
        "admin.col.last_day": "Last",
        "admin.zero.none": "No searches without results.",
        "admin.unavailable": "This data is unavailable right now.",
    },
)


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _actor(web) -> dict:
    return catalog_actor(web.user)


# --- the verification queue -------------------------------------------------------------------


def present_merchant(merchant: dict) -> dict:
    credentials = merchant.get("credentials") if isinstance(merchant.get("credentials"), dict) else {}
    status = merchant.get("status") or "pending"
    return {
        "id": merchant.get("id") or "",
        "name": merchant.get("name") or "",
        "kind": merchant.get("kind") or "",
        "region_name": merchant.get("region_name") or region_name(str(merchant.get("region") or "")) or "",
        "whatsapp": merchant.get("whatsapp") or "",
        "address": merchant.get("address") or "",
        "description": merchant.get("description") or "",
        "created_at": merchant.get("created_at"),
        "status": status,
        "status_reason": merchant.get("status_reason") or "",
        "nib": credentials.get("nib") or "",
        "pirt": credentials.get("pirt_number") or "",
        "halal_number": credentials.get("halal_number") or "",
        "halal_expires_on": credentials.get("halal_expires_on") or "",
        "halal_valid": credentials.get("halal_valid") is True,
        "legal_number": credentials.get("legal_number") or "",
        "member_count": _int(credentials.get("member_count")),
        "last_rat_year": _int(credentials.get("last_rat_year")),
        "decisions": DECISIONS.get(status, ()),
    }


def _queue_page(web, status: str, page_number: int, *, http_status: int = 200, done: str | None = None,
                error: dict | None = None, notice: str | None = None):
    result = web.gw.call("catalog", "list_merchants_by_status", _actor(web), status, page=page_number,
                         per_page=PER_PAGE)
    merchants = [present_merchant(m) for m in (result or {}).get("items") or [] if isinstance(m, dict)]
    total = _int((result or {}).get("total")) or 0
    pages = max(1, math.ceil(total / PER_PAGE))

    def link(number: int) -> str:
        return "/admin?" + urlencode({"status": status, "page": number})

    return web.render(
        "admin_queue.html", status=http_status, tab=status, statuses=STATUSES, merchants=merchants, total=total,
        page=page_number, pages=pages, prev=link(page_number - 1) if page_number > 1 else None,
        next=link(page_number + 1) if page_number < pages else None, reason_required=REASON_REQUIRED,
        done=done, error=error or {}, notice=notice,
    )


def _tab(value) -> str:
    return value if value in STATUSES else "pending"


def _page_number(value) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@page
@require_role("admin")
def queue(web):
    """``GET /admin``: merchants of one status, oldest first; ``?done=`` shows the last decision."""
    args = web.request.args
    done = None
    if args.get("done") in DECISIONS["pending"] + DECISIONS["verified"] + DECISIONS["suspended"]:
        done = web.t("admin.done." + args["done"])
    return _queue_page(web, _tab(args.get("status")), _page_number(args.get("page")), done=done)


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
    page_number = _page_number(form.get("page"))
    if decision not in ("verified", "rejected", "suspended", "reinstated"):
        return _queue_page(web, tab, page_number, http_status=422, notice=web.t("admin.failed"))
    if decision in REASON_REQUIRED and not reason:
        error = {"merchant": merchant_id, "decision": decision, "reason": reason,
                 "message": web.t("admin.reason.missing")}
        return _queue_page(web, tab, page_number, http_status=422, error=error)
    try:
        web.gw.call("catalog", "decide_verification", _actor(web), merchant_id, decision, reason or None)
    except EtalaseError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        fields = exc.fields or {}
        message = fields.get("reason") if isinstance(fields.get("reason"), str) else None
        if message:
            error = {"merchant": merchant_id, "decision": decision, "reason": reason, "message": message}
            return _queue_page(web, tab, page_number, http_status=exc.status, error=error)
        return _queue_page(web, tab, page_number, http_status=exc.status,
                           notice=f'{web.t("admin.failed")} {exc.message}')
    return web.redirect("/admin?" + urlencode({"status": tab, "done": decision}))


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
                     "merchants": _int(entry.get("merchants")) or 0, "products": _int(entry.get("products")) or 0,
                     "umkm": _int(kinds.get("umkm")) or 0, "koperasi": _int(kinds.get("koperasi")) or 0,
                     "pending": _int(statuses.get("pending")) or 0, "verified": _int(statuses.get("verified")) or 0,
                     "suspended": _int(statuses.get("suspended")) or 0})
    koperasi = [k for k in summary.get("koperasi") or [] if isinstance(k, dict)]
    late = sum(1 for k in koperasi if k.get("rat_status") == "late")
    totals = {name: sum(row[name] for row in rows) for name in
              ("merchants", "products", "umkm", "koperasi", "pending", "verified", "suspended")}
    return {
        "year": _int(summary.get("year")),
        "regions": rows,
        "totals": totals,
        "koperasi": [{"id": k.get("id") or "", "name": k.get("name") or "",
                      "region_name": k.get("region_name") or region_name(str(k.get("region") or "")) or "",
                      "status": k.get("status") or "", "last_rat_year": _int(k.get("last_rat_year")),
                      "rat_status": "late" if k.get("rat_status") == "late" else "up_to_date"} for k in koperasi],
        "late": late,
        "merchants_chart": charts.horizontal_bars([(r["name"], r["merchants"]) for r in rows],
                                                  web.t("admin.chart.merchants")),
        "products_chart": charts.horizontal_bars([(r["name"], r["products"]) for r in rows],
                                                 web.t("admin.chart.products")),
        "rat_chart": charts.horizontal_bars([(web.t("admin.rat.up_to_date"), len(koperasi) - late),
                                             (web.t("admin.rat.late"), late)], web.t("admin.chart.rat"))
        if koperasi else "",
    }


def present_zero(web, result) -> dict | None:
    if not isinstance(result, dict):
        return None
    queries = []
    for entry in result.get("queries") or []:
        if isinstance(entry, dict) and isinstance(entry.get("query"), str):
            queries.append({"query": entry["query"], "zero_results": _int(entry.get("zero_results")) or 0,
                            "searches": _int(entry.get("searches")) or 0, "last_day": entry.get("last_day") or ""})
    return {"queries": queries,
            "chart": charts.horizontal_bars([(q["query"], q["zero_results"]) for q in queries[:10]],
                                            web.t("admin.chart.zero"))}


@page
@require_role("admin")
def dashboard(web):
    """``GET /admin/dasbor``: each section shows on its own; a missing service hides only its section."""
    gw = web.gw
    zero = eventlet.spawn(optional, gw, "search", "zero_result_queries", days=ZERO_DAYS, limit=ZERO_LIMIT,
                          timeout=gw.settings.rpc_timeout)
    summary = optional(gw, "catalog", "province_summary", _actor(web), timeout=gw.settings.rpc_timeout)
    return web.render("admin_dashboard.html", summary=present_summary(web, summary),
                      zero=present_zero(web, zero.wait()), days=ZERO_DAYS)
