"""Search endpoints beyond the search itself: autocomplete (public) and the admin's
synonym reload. Same rules as ``api``: typed errors, RPC only through ``Gateway.call``."""
from __future__ import annotations

from services.gateway.api import Gateway, authenticate
from services.gateway.web import json_api, json_response
from shared.actor import ADMIN
from shared.errors import Forbidden, ValidationFailed
from shared.messages import t

MAX_SUGGEST_CHARS = 50


@json_api
def suggest(gw: Gateway, request):
    """GET /api/v1/suggest?q= -> {"suggestions": [...]} (public)."""
    q = (request.args.get("q") or "").strip()
    if not 1 <= len(q) <= MAX_SUGGEST_CHARS:
        raise ValidationFailed(t("Parameter tidak valid."),
                               {"q": t("Harus berisi 1 sampai %(max)s karakter.", max=MAX_SUGGEST_CHARS)})
    result = gw.call("search", "suggest", q)
    return json_response(200, {"suggestions": list(result.get("suggestions") or [])})


@json_api
def reload_synonyms(gw: Gateway, request):
    """POST /api/v1/admin/search/synonyms/reload (admin): the search service re-reads its
    synonym file now."""
    actor = authenticate(gw, request)
    if actor.get("role") != ADMIN:
        raise Forbidden(t("Hanya admin (kurator Dinas) yang dapat memuat ulang sinonim."))
    result = gw.call("search", "reload_synonyms")
    return json_response(200, {"groups": result.get("groups", 0)})
