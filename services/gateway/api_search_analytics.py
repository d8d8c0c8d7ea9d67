"""Search analytics for the admin: the most searched queries and the queries that found
nothing (normalized by the search service; no personal data is kept there).

    GET /api/v1/admin/search/queries?kind=top|zero&days=7&limit=20   (admin only)
    -> {"kind", "days", "limit", "queries": [{"query", "searches", "zero_results",
                                              "avg_results", "last_day"}]}

Also the buyers' side of campaign statistics: the search endpoint reports the products it
shows (impressions), the product endpoint a view, and

    POST /api/v1/products/{id}/contact   -> 204   (a WhatsApp contact click)

all buffered in the gateway and sent to the search service's ``record_interactions`` RPC in
batches (services/gateway/interactions.py).
"""
from __future__ import annotations

import logging

from services.gateway.api import Gateway, authenticate, bounded_int_param
from services.gateway.web import json_api, json_response
from shared.errors import Forbidden, ValidationFailed
from shared.messages import t

log = logging.getLogger(__name__)

ADMIN = "admin"
KINDS = {"top": "top_queries", "zero": "zero_result_queries"}
MAX_DAYS = 90
MAX_LIMIT = 100


@json_api
def search_queries(gw: Gateway, request):
    actor = authenticate(gw, request)
    if actor.get("role") != ADMIN:
        raise Forbidden(t("Hanya admin (kurator Dinas) yang dapat melihat statistik pencarian."))
    fields: dict[str, str] = {}
    kind = request.args.get("kind") or "top"
    if kind not in KINDS:
        fields["kind"] = t("Harus 'top' atau 'zero'.")
    days = bounded_int_param(request.args, "days", 7, MAX_DAYS, fields)
    limit = bounded_int_param(request.args, "limit", 20, MAX_LIMIT, fields)
    if fields:
        raise ValidationFailed(t("Parameter tidak valid."), fields)
    result = gw.call("search", KINDS[kind], days=days, limit=limit)
    return json_response(200, {"kind": kind, "days": days, "limit": limit, "queries": list(result.get("queries") or [])})


# --- impressions, views and WhatsApp contacts (campaign statistics) --------------------------


def report_interactions(gw: Gateway, product_ids, kind: str) -> None:
    """Tell the search service which products were shown/opened/contacted: only buffered
    here, sent in batches by the gateway's ``InteractionReporter``. Never fails the request
    (a lost count is acceptable, a slow or broken page is not)."""
    try:
        gw.interactions.report(product_ids, kind)
    except Exception:  # noqa: BLE001 - statistics only
        log.warning("could not buffer %s interaction(s)", kind, exc_info=True)


@json_api
def contact_product(gw: Gateway, request, product_id: str):
    """POST /api/v1/products/{id}/contact (public): a buyer opened the merchant's WhatsApp."""
    if not 1 <= len(product_id) <= 64:
        raise ValidationFailed(t("Parameter tidak valid."), {"product_id": t("Tidak dikenal.")})
    report_interactions(gw, [product_id], "contact")
    return 204, {}, ""
