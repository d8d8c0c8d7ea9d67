"""The JSON API for merchants beyond registering: the owner's changes, the admin's
verification decisions and the admin's queue. Same rules as ``api``: typed errors, RPC
only through ``Gateway.call`` (with its deadline), the gateway's own database released
before any RPC (``authenticate`` commits)."""
from __future__ import annotations

from services.gateway.api import (
    Gateway,
    authenticate,
    catalog_actor,
    parse_if_match,
    parse_int_param,
    read_json,
)
from services.gateway.web import json_api, json_response
from shared.actor import ADMIN
from shared.errors import Forbidden, ValidationFailed
from shared.messages import t
from shared.regions import REGIONS

DEFAULT_PER_PAGE = 50


def _merchant_headers(merchant) -> dict:
    # The version as an ETag, so a client can send it straight back in If-Match.
    if isinstance(merchant, dict) and isinstance(merchant.get("version"), int):
        return {"ETag": f'"{merchant["version"]}"'}
    return {}


def _require_admin(actor: dict) -> None:
    # The catalog checks again; refusing here spares it the call.
    if actor.get("role") != ADMIN:
        raise Forbidden(t("Hanya admin (kurator Dinas) yang dapat melakukan tindakan ini."))


@json_api
def update_merchant(gw: Gateway, request, merchant_id: str):
    """PATCH /api/v1/merchants/{id} (the owner); If-Match optional."""
    actor = authenticate(gw, request)
    expected_version = parse_if_match(request.headers.get("If-Match"))
    data = read_json(request, gw.settings.max_body_bytes)
    merchant = gw.call("catalog", "update_merchant", catalog_actor(actor), merchant_id, data, expected_version)
    return json_response(200, merchant, _merchant_headers(merchant))


@json_api
def decide_verification(gw: Gateway, request, merchant_id: str):
    """POST /api/v1/merchants/{id}/verification (admin): {"decision", "reason"}."""
    actor = authenticate(gw, request)
    _require_admin(actor)
    data = read_json(request, gw.settings.max_body_bytes)
    merchant = gw.call(
        "catalog", "decide_verification", catalog_actor(actor), merchant_id, data.get("decision"), data.get("reason"),
    )
    return json_response(200, merchant, _merchant_headers(merchant))


@json_api
def admin_merchants(gw: Gateway, request):
    """GET /api/v1/admin/merchants?status=pending&region=&page=&per_page= (admin). Each item
    carries ``changes``: what a merchant sent back to review changed ([{"field", "old", "new"}])."""
    actor = authenticate(gw, request)
    _require_admin(actor)
    status = request.args.get("status") or "pending"
    page = parse_int_param(request.args, "page", 1)
    per_page = parse_int_param(request.args, "per_page", DEFAULT_PER_PAGE)
    region = request.args.get("region") or None
    if region is not None and region not in REGIONS:
        raise ValidationFailed(t("Parameter tidak valid."), {"region": t("kode kabupaten/kota tidak dikenal")})
    where = {"region": region} if region is not None else {}
    result = gw.call("catalog", "list_merchants_by_status", catalog_actor(actor), status, page=page, per_page=per_page,
                     **where)
    return json_response(200, result)
