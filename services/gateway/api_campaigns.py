"""Campaigns (issue 5) over HTTP: thin functions in front of the ``promotion`` service's RPCs
(contract: docs/contracts/promotion-rpc.md). The gateway checks who may ask and the shape of
what is asked (a JSON object, known top-level fields of the right types, query parameters in
range, a UUID campaign id); the promotion service validates values and authorises per
campaign, and its typed errors pass through in the usual error shape.

    POST  /api/v1/campaigns                       promoter|admin  -> 201 detail, Location, ETag
    GET   /api/v1/campaigns?status=&page=&per_page=  promoter (own) | admin (all); per_page <= 50
    GET   /api/v1/campaigns/active?limit=         public           -> promotion.active_campaigns
    GET   /api/v1/campaigns/{id}                  signed in        -> detail (promotion authorises)
    PATCH /api/v1/campaigns/{id}                  promoter|admin; If-Match: <version> optional
    POST  /api/v1/campaigns/{id}/schedule         promoter|admin   -> detail
    POST  /api/v1/campaigns/{id}/cancel           promoter|admin   -> detail
    GET   /api/v1/campaigns/{id}/preview?limit=   promoter|admin   -> {"count", "products"}
    POST  /api/v1/campaigns/{id}/opt-out          owner|admin {"product_ids": [...]} | {"merchant_id", "all": true}
    POST  /api/v1/campaigns/{id}/opt-in           owner|admin (same; the older {"product_id"} too) -> membership
    GET   /api/v1/me/campaigns                    owner            -> campaigns_for_owner (the invitations)
    GET   /api/v1/featured?slots=                 public (1..24, default 8) -> featured_products

Signed-in routes answer 401/403 first; then a campaign id that is not a UUID is 404 without
asking the promotion service.
"""
from __future__ import annotations

import re

from services.gateway import accounts
from services.gateway.api import Gateway, authenticate, bounded_int_param, catalog_actor, parse_if_match, read_json
from services.gateway.idempotency import account_scope, idempotent, with_key
from services.gateway.web import json_api, json_response
from shared.api_fields import CAMPAIGN
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.messages import t

SERVICE = "promotion"
MANAGERS = ("promoter", "admin")
OPT_ROLES = ("owner", "admin")
STATUSES = ("draft", "scheduled", "active", "ended", "cancelled")
MAX_PER_PAGE = 50
MAX_PREVIEW = 100
MAX_ACTIVE = 50
MAX_SLOTS = 24
MAX_PRODUCT_ID = 64
MAX_SELECTED = 500  # product ids in one opt-in or opt-out

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Top-level fields of a campaign body and the JSON types each may have (None = null allowed),
# from the published description (shared/api_fields.py) the OpenAPI document is generated from.
_STR, _BOOL, _INT, _OBJ, _NULL = "str", "bool", "int", "obj", "null"
_JSON_TYPES = {"string": _STR, "boolean": _BOOL, "integer": _INT, "object": _OBJ}
CAMPAIGN_FIELDS: dict[str, tuple[str, ...]] = {
    name: (_JSON_TYPES[spec.type], *((_NULL,) if spec.nullable else ())) for name, spec in CAMPAIGN.fields.items()
}
CREATE_ONLY = ("draft",)  # a draft is scheduled with POST .../schedule, not by a PATCH
_TYPE_NAMES = {
    _STR: t("teks"), _BOOL: t("true atau false"), _INT: t("bilangan bulat"), _OBJ: t("objek JSON"), _NULL: "null",
}


# --- checks ------------------------------------------------------------------------------


def _campaign_id(campaign_id: str) -> str:
    if not _UUID.match(campaign_id or ""):
        raise NotFound(t("Kampanye tidak ditemukan."), {"campaign_id": t("Tidak dikenal.")})
    return campaign_id.lower()


def _require_role(actor: dict, roles: tuple[str, ...], message: str) -> dict:
    # The promotion service checks again; refusing here spares it the call.
    if actor.get("role") not in roles:
        raise Forbidden(message)
    return catalog_actor(actor)


def _manager(gw: Gateway, request, *, schedules: bool = False) -> dict:
    return _as_manager(authenticate(gw, request), schedules=schedules)


def _as_manager(signed_in: dict, *, schedules: bool = False) -> dict:
    """The caller as the promotion service takes it; with ``schedules``, a promoter must be
    approved by an admin (403 ``promoter_not_approved`` otherwise)."""
    actor = _require_role(signed_in, MANAGERS, t("Hanya promotor atau admin yang dapat mengelola kampanye."))
    if schedules:
        accounts.require_approved(signed_in)
    return actor


def _is_type(value, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _OBJ:
        return isinstance(value, dict)
    return value is None


def _type_message(kinds: tuple[str, ...]) -> str:
    """The message for a value of the wrong JSON type: "Harus berupa teks." or, for a field that
    may also be null, "Harus berupa teks atau null." (no field has more than two types)."""
    names = [_TYPE_NAMES[kind] for kind in kinds]
    if len(names) == 1:
        return t("Harus berupa %(type)s.", type=names[0])
    return t("Harus berupa %(type)s atau %(other)s.", type=names[0], other=" atau ".join(names[1:]))


def campaign_body(data: dict, *, create: bool) -> dict:
    """The body's shape: only known top-level fields, each of its JSON type; 422 naming every
    bad field. Values (windows, ranges, categories, regions) are the promotion service's."""
    allowed = CAMPAIGN_FIELDS if create else {k: v for k, v in CAMPAIGN_FIELDS.items() if k not in CREATE_ONLY}
    fields: dict[str, str] = {}
    for name, value in data.items():
        kinds = allowed.get(name)
        if kinds is None:
            fields[str(name)] = t("Kolom tidak dikenal.")
        elif not any(_is_type(value, kind) for kind in kinds):
            fields[name] = _type_message(kinds)
    if fields:
        raise ValidationFailed(t("Data kampanye tidak valid."), fields)
    return data


def _params(args, **bounds: tuple[int, int]) -> dict[str, int]:
    """``name=(default, maximum)`` -> the parsed values, or one 422 naming every bad one."""
    fields: dict[str, str] = {}
    values = {name: bounded_int_param(args, name, default, maximum, fields) for name, (default, maximum) in bounds.items()}
    if fields:
        raise ValidationFailed(t("Parameter tidak valid."), fields)
    return values


def _headers(detail, location: str | None = None) -> dict:
    # The version as an ETag, so a client can send it straight back in If-Match.
    headers = {}
    if isinstance(detail, dict) and isinstance(detail.get("version"), int) and not isinstance(detail["version"], bool):
        headers["ETag"] = f'"{detail["version"]}"'
    if location:
        headers["Location"] = location
    return headers


def _an_id(value) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= MAX_PRODUCT_ID


def membership_body(data: dict) -> dict:
    """The products an opt-in or opt-out names: ``{"product_ids": [...]}`` (1..500 ids),
    ``{"merchant_id", "all": true}`` or the older ``{"product_id"}``; 422 naming what is wrong.
    Whether they are the caller's, and invited, is the promotion service's to check."""
    unknown = [str(key) for key in data if key not in ("product_id", "product_ids", "merchant_id", "all")]
    if unknown:
        raise ValidationFailed(t("Data tidak valid."), {key: t("Kolom tidak dikenal.") for key in unknown})
    shapes = [key for key in ("product_id", "product_ids", "merchant_id") if key in data]
    if len(shapes) != 1:
        raise ValidationFailed(t("Data tidak valid."), {"product_ids": t("Kirim salah satu: product_ids, atau merchant_id "
                                                                       "dengan all: true.")})
    if "product_id" in data:
        if not _an_id(data["product_id"]):
            raise ValidationFailed(t("Data tidak valid."), {"product_id": t("Wajib diisi dengan id produk.")})
        return {"product_id": data["product_id"].strip()}
    if "merchant_id" in data:
        fields = {}
        if not _an_id(data["merchant_id"]):
            fields["merchant_id"] = t("Wajib diisi dengan id usaha.")
        if data.get("all") is not True:
            fields["all"] = t("Harus true: semua produk usaha ini yang diundang.")
        if fields:
            raise ValidationFailed(t("Data tidak valid."), fields)
        return {"merchant_id": data["merchant_id"].strip(), "all": True}
    ids = data["product_ids"]
    if not isinstance(ids, list) or not ids or not all(_an_id(item) for item in ids):
        raise ValidationFailed(t("Data tidak valid."), {"product_ids": t("Harus berupa daftar id produk (minimal satu).")})
    if len(ids) > MAX_SELECTED:
        raise ValidationFailed(t("Data tidak valid."),
                               {"product_ids": t("Paling banyak %(max)s produk sekali kirim.", max=MAX_SELECTED)})
    return {"product_ids": [item.strip() for item in ids]}


# --- promoters and admins ------------------------------------------------------------------


@json_api
def create_campaign(gw: Gateway, request):
    signed_in = authenticate(gw, request)
    _as_manager(signed_in)
    data = campaign_body(read_json(request, gw.settings.max_body_bytes), create=True)
    # Without "draft": true the campaign is created scheduled: only an approved promoter may.
    actor = _as_manager(signed_in, schedules=data.get("draft") is not True)

    def create(idempotency):
        detail = gw.call(SERVICE, "create_campaign", actor, data, **with_key(idempotency))
        return json_response(201, detail, _headers(detail, f"/api/v1/campaigns/{detail['id']}"))

    return idempotent(gw, request, account_scope(signed_in), data, create)


@json_api
def list_campaigns(gw: Gateway, request):
    actor = _manager(gw, request)
    values = _params(request.args, page=(1, 1_000_000), per_page=(20, MAX_PER_PAGE))
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValidationFailed(t("Parameter tidak valid."),
                               {"status": t("Harus salah satu dari: %(choices)s", choices=", ".join(STATUSES))})
    result = gw.call(SERVICE, "list_campaigns", actor, status=status, page=values["page"], per_page=values["per_page"])
    return json_response(200, result)


@json_api
def get_campaign(gw: Gateway, request, campaign_id: str):
    # Any signed-in role: the promotion service decides what each may see.
    actor = catalog_actor(authenticate(gw, request))
    campaign_id = _campaign_id(campaign_id)
    detail = gw.call(SERVICE, "get_campaign", actor, campaign_id)
    return json_response(200, detail, _headers(detail))


@json_api
def update_campaign(gw: Gateway, request, campaign_id: str):
    actor = _manager(gw, request)
    campaign_id = _campaign_id(campaign_id)
    expected_version = parse_if_match(request.headers.get("If-Match"))
    changes = campaign_body(read_json(request, gw.settings.max_body_bytes), create=False)
    detail = gw.call(SERVICE, "update_campaign", actor, campaign_id, changes, expected_version)
    return json_response(200, detail, _headers(detail))


@json_api
def schedule_campaign(gw: Gateway, request, campaign_id: str):
    actor = _manager(gw, request, schedules=True)
    detail = gw.call(SERVICE, "schedule_campaign", actor, _campaign_id(campaign_id))
    return json_response(200, detail, _headers(detail))


@json_api
def cancel_campaign(gw: Gateway, request, campaign_id: str):
    actor = _manager(gw, request)
    detail = gw.call(SERVICE, "cancel_campaign", actor, _campaign_id(campaign_id))
    return json_response(200, detail, _headers(detail))


@json_api
def preview_campaign(gw: Gateway, request, campaign_id: str):
    actor = _manager(gw, request)
    campaign_id = _campaign_id(campaign_id)
    limit = _params(request.args, limit=(50, MAX_PREVIEW))["limit"]
    return json_response(200, gw.call(SERVICE, "preview_campaign", actor, campaign_id, limit=limit))


# --- owners ---------------------------------------------------------------------------------


def _membership(gw: Gateway, request, campaign_id: str, method: str):
    actor = _require_role(
        authenticate(gw, request), OPT_ROLES, t("Hanya pemilik usaha yang dapat mengatur keikutsertaan produknya.")
    )
    campaign_id = _campaign_id(campaign_id)
    selection = membership_body(read_json(request, gw.settings.max_body_bytes))
    return json_response(200, gw.call(SERVICE, method, actor, campaign_id, selection))


@json_api
def opt_out(gw: Gateway, request, campaign_id: str):
    return _membership(gw, request, campaign_id, "opt_out")


@json_api
def opt_in(gw: Gateway, request, campaign_id: str):
    return _membership(gw, request, campaign_id, "opt_in")


@json_api
def my_campaigns(gw: Gateway, request):
    actor = _require_role(
        authenticate(gw, request), ("owner",), t("Hanya pemilik usaha yang memiliki daftar kampanye produknya.")
    )
    return json_response(200, gw.call(SERVICE, "campaigns_for_owner", actor))


# --- public -----------------------------------------------------------------------------------


@json_api
def active_campaigns(gw: Gateway, request):
    limit = _params(request.args, limit=(10, MAX_ACTIVE))["limit"]
    return json_response(200, gw.call(SERVICE, "active_campaigns", limit=limit))


@json_api
def featured(gw: Gateway, request):
    slots = _params(request.args, slots=(8, MAX_SLOTS))["slots"]
    return json_response(200, gw.call(SERVICE, "featured_products", slots=slots))
