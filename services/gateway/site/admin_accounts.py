"""The admins' page for promoter accounts: who waits for approval, and the decisions.

    GET  /admin/promotor                      promoters by status (?status=pending|approved|suspended|rejected,
                                              pending first), each with the decisions that apply
    POST /admin/promotor/<id>/keputusan       decision=approved|rejected|suspended|reinstated, reason
                                              (required to reject or suspend) -> api_accounts.decide, the
                                              same as the JSON API: a suspension cancels the promoter's
                                              scheduled and active campaigns (their prices revert)

After a decision the page says whom it was about and, for a suspension, how many campaigns
were cancelled.
"""
from __future__ import annotations

from urllib.parse import urlencode

from services.gateway import accounts
from services.gateway.api_accounts import decide as decide_approval
from services.gateway.site import present
from services.gateway.site.i18n import N_
from services.gateway.site.render import page, require_role
from shared.errors import Conflict, NotFound, ValidationFailed

PER_PAGE = 20
STATUSES = ("pending", "approved", "suspended", "rejected")
# The decisions offered for a promoter in each status (accounts.APPROVAL_TRANSITIONS).
DECISIONS = {
    "pending": ("approved", "rejected"),
    "approved": ("suspended",),
    "suspended": ("reinstated",),
    "rejected": ("approved",),
}
DONE_NAMED = {
    "approved": N_("Keputusan disimpan: promotor %(name)s disetujui."),
    "rejected": N_("Keputusan disimpan: promotor %(name)s ditolak."),
    "suspended": N_("Keputusan disimpan: promotor %(name)s dibekukan."),
    "reinstated": N_("Keputusan disimpan: promotor %(name)s aktif kembali."),
}
CANCELLED = N_("%(num)s kampanye terjadwal atau berjalan dibatalkan; harga produknya kembali normal.")
FAILED = N_("Keputusan tidak dapat disimpan.")
REASON_MISSING = N_("Alasan wajib diisi untuk menolak atau membekukan promotor.")


def _tab(value) -> str:
    return value if value in STATUSES else "pending"


def _promoters(web, status: str, page_number: int) -> dict:
    result = accounts.list_accounts(web.gw.uow.session, role="promoter", status=status, page=page_number,
                                    per_page=PER_PAGE)
    web.gw.uow.commit()
    for item in result["items"]:
        item["decisions"] = DECISIONS.get(item["status"], ())
    return result


def _list_page(web, status: str, page_number: int, *, http_status: int = 200, done: str | None = None,
               error: dict | None = None, notice: str | None = None):
    result = _promoters(web, status, page_number)
    pages = present.page_count(result["total"], PER_PAGE)

    def link(number: int) -> str:
        return "/admin/promotor?" + urlencode({"status": status, "page": number})

    return web.render(
        "admin_accounts.html", status=http_status, tab=status, statuses=STATUSES, promoters=result["items"],
        total=result["total"], page=page_number, pages=pages, **present.page_links(page_number, pages, link),
        reason_required=accounts.REASON_REQUIRED, done=done, error=error or {}, notice=notice,
    )


def _done_notice(web, decision, account_id, cancelled) -> str | None:
    """The notice after a decision, naming the promoter (and the campaigns a suspension cancelled)."""
    if decision not in DONE_NAMED or not present.valid_id(account_id):
        return None
    try:
        promoter = accounts.get_promoter(web.gw.uow.session, account_id)
    except NotFound:
        return None
    finally:
        web.gw.uow.commit()
    notice = web.gettext(DONE_NAMED[decision], name=promoter["name"])
    number = present.whole(int(cancelled)) if isinstance(cancelled, str) and cancelled.isdigit() else None
    if decision == "suspended" and number is not None:
        notice += " " + web.ngettext(CANCELLED, CANCELLED, number, num=number)
    return notice


@page
@require_role("admin")
def promoters(web):
    """``GET /admin/promotor``: promoters of one status, oldest first; ``?done=&akun=&batal=``
    show the last decision, whom it was about and what it cancelled."""
    args = web.request.args
    done = _done_notice(web, args.get("done"), args.get("akun"), args.get("batal"))
    return _list_page(web, _tab(args.get("status")), present.requested_page(args.get("page")), done=done)


@page
@require_role("admin")
def decide(web, account_id: str):
    """``POST /admin/promotor/<id>/keputusan``: approve, reject, suspend or reinstate."""
    if not present.valid_id(account_id):
        raise NotFound("Akun promotor tidak ditemukan.")
    form = web.request.form
    decision = form.get("decision") or ""
    reason = (form.get("reason") or "").strip()[:accounts.MAX_REASON]
    tab = _tab(form.get("status"))
    page_number = present.requested_page(form.get("page"))
    if decision not in accounts.APPROVAL_TRANSITIONS:
        return _list_page(web, tab, page_number, http_status=422, notice=web.gettext(FAILED))
    if decision in accounts.REASON_REQUIRED and not reason:
        error = {"account": account_id, "decision": decision, "reason": reason,
                 "message": web.gettext(REASON_MISSING)}
        return _list_page(web, tab, page_number, http_status=422, error=error)
    try:
        decided = decide_approval(web.gw, web.user, account_id, decision, reason or None)
    except (ValidationFailed, Conflict) as exc:
        web.gw.uow.rollback()
        return _list_page(web, tab, page_number, http_status=exc.status,
                          notice=f"{web.gettext(FAILED)} {web.message(exc.message)}")
    query = {"status": tab, "done": decision, "akun": account_id}
    if decision == "suspended":
        query["batal"] = decided["cancelled_campaigns"]
    return web.redirect("/admin/promotor?" + urlencode(query))
