"""Accounts for admins over HTTP: the promoters waiting for approval and the decisions on
them. The gateway owns accounts, so this is its own database; a suspension also cancels the
promoter's scheduled and active campaigns through the promotion RPC (as the admin), which
reverts their prices (docs/contracts/promotion-rpc.md: list_campaigns, cancel_campaign).

    GET  /api/v1/admin/accounts?role=&status=&page=&per_page=   admin; per_page <= 100
    POST /api/v1/admin/accounts/{id}/approval                   admin; {"decision", "reason"}

``decide`` is also what the admin page calls, so both ways do the same.
"""
from __future__ import annotations

import logging

from services.gateway import accounts
from services.gateway.api import Gateway, authenticate, bounded_int_param, catalog_actor, read_json
from services.gateway.web import json_api, json_response
from shared.actor import ADMIN
from shared.errors import EtalaseError, Forbidden, ValidationFailed
from shared.messages import t

log = logging.getLogger(__name__)

MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
# Campaigns a suspended promoter must not keep running.
LIVE_STATUSES = ("scheduled", "active")
LIST_PAGE = 100  # the promotion service's largest page
MAX_LIST_PAGES = 100  # at most 10,000 live campaigns looked at per status


def _admin(gw: Gateway, request) -> dict:
    actor = authenticate(gw, request)
    if actor.get("role") != ADMIN:
        raise Forbidden(t("Hanya admin (kurator Dinas) yang dapat memutuskan akun promotor."))
    return actor


def list_params(args) -> dict:
    """role, status, page and per_page from the query string; one 422 naming every bad one."""
    fields: dict[str, str] = {}
    role = args.get("role") or None
    if role is not None and role not in accounts.ALL_ROLES:
        fields["role"] = t("Harus salah satu dari: %(choices)s.", choices=", ".join(accounts.ALL_ROLES))
    status = args.get("status") or None
    if status is not None and status not in accounts.STATUSES:
        fields["status"] = t("Harus salah satu dari: %(choices)s.", choices=", ".join(accounts.STATUSES))
    page = bounded_int_param(args, "page", 1, MAX_PAGE, fields)
    per_page = bounded_int_param(args, "per_page", 20, MAX_PER_PAGE, fields)
    if fields:
        raise ValidationFailed(t("Parameter tidak valid."), fields)
    return {"role": role, "status": status, "page": page, "per_page": per_page}


def promoter_live_campaigns(gw: Gateway, admin: dict, promoter_id: str) -> list[str]:
    """The ids of the promoter's scheduled and active campaigns (the admin lists them all)."""
    found = []
    for status in LIVE_STATUSES:
        for page in range(1, MAX_LIST_PAGES + 1):
            result = gw.call("promotion", "list_campaigns", admin, status=status, page=page, per_page=LIST_PAGE)
            items = (result or {}).get("items") or []
            found += [c["id"] for c in items if isinstance(c, dict) and c.get("owner_id") == promoter_id
                      and c.get("status") in LIVE_STATUSES and isinstance(c.get("id"), str)]
            total = (result or {}).get("total")
            if not items or not isinstance(total, int) or page * LIST_PAGE >= total:
                break
    return list(dict.fromkeys(found))


def cancel_live_campaigns(gw: Gateway, admin: dict, promoter_id: str) -> int:
    """Cancels the promoter's scheduled and active campaigns (their prices revert); how many."""
    cancelled = 0
    for campaign_id in promoter_live_campaigns(gw, admin, promoter_id):
        gw.call("promotion", "cancel_campaign", admin, campaign_id)
        cancelled += 1
    return cancelled


def decide(gw: Gateway, actor: dict, account_id: str, decision, reason) -> dict:
    """The admin's decision on a promoter: the account as it is now, and ``cancelled_campaigns``.

    A suspension cancels the promoter's live campaigns before the status changes (when
    promotion fails, nothing changed and the admin can simply try again), then once more after
    it is saved, for a campaign scheduled in between; that second sweep only logs a failure."""
    session = gw.uow.session
    decision, reason = accounts.validate_decision(decision, reason)
    accounts.check_transition_of(session, account_id, decision)
    gw.uow.commit()  # no connection held during the RPC calls
    admin = catalog_actor(actor)
    cancelled = cancel_live_campaigns(gw, admin, account_id) if decision == "suspended" else 0
    decided = accounts.decide_approval(session, actor["id"], account_id, decision, reason)
    gw.uow.commit()
    if decision == "suspended":
        try:
            cancelled += cancel_live_campaigns(gw, admin, account_id)
        except EtalaseError:
            log.exception("campaigns of suspended promoter %s: the second sweep failed", account_id)
    return {**decided, "cancelled_campaigns": cancelled}


@json_api
def list_accounts(gw: Gateway, request):
    """``GET /api/v1/admin/accounts``: ``{"total", "page", "per_page", "items"}``."""
    _admin(gw, request)
    params = list_params(request.args)
    result = accounts.list_accounts(gw.uow.session, **params)
    gw.uow.commit()
    return json_response(200, result)


@json_api
def decide_approval(gw: Gateway, request, account_id: str):
    """``POST /api/v1/admin/accounts/{id}/approval``: ``{"decision", "reason"}``."""
    actor = _admin(gw, request)
    data = read_json(request, gw.settings.max_body_bytes)
    return json_response(200, decide(gw, actor, account_id, data.get("decision"), data.get("reason")))
