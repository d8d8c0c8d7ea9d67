"""The OpenAPI 3.1 document of ``/api/v1``, served at ``GET /api/v1/openapi.json``.

Request bodies are generated from ``shared.api_fields``, the descriptions the validators
take their limits, enums and required lists from; this module adds what only the gateway
knows: which operations exist, their parameters, who may call them, what they answer.
``tests/gateway/test_openapi.py`` checks that every route of ``service.py`` is here and that
the bodies agree with the validators at their boundaries.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from services.gateway import accounts
from services.gateway.web import json_api, json_response
from shared import api_fields as bodies
from shared.regions import REGIONS

ID = {"type": "string", "minLength": 1, "maxLength": 64}
OBJECT = {"type": "object"}  # an answer's shape beyond the keys named is the service's own
ERROR_STATUSES = {
    400: "Bad request: the body is not a JSON object, or a header is malformed.",
    401: "Not signed in, or the session ended (`Authorization: Bearer <token>`).",
    403: "Signed in, but not allowed.",
    404: "No such resource.",
    405: "Method not allowed on this path.",
    409: "Conflicts with the current state (e.g. a stale If-Match version; the e-mail is taken).",
    413: "The body is too large.",
    422: "Invalid data: `fields` names every bad field (or parameter) with a sentence.",
    429: "Too many attempts; try again after `Retry-After` seconds.",
    500: "Unexpected server error (no details are given; the log has them).",
    502: "A service answered with an error.",
    503: "A service is not available, or too busy (then `Retry-After` says when to try again).",
    504: "A service did not answer in time.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
ETAG = {"ETag": {"description": "The version, to send back in If-Match.", "schema": {"type": "string"}}}
LOCATION = {"Location": {"description": "Where the new resource is.", "schema": {"type": "string"}}}
REPLAYED = {"Idempotent-Replayed": {"description": "`true` when this is the first response again, replayed for "
                                                   "the same Idempotency-Key.", "schema": {"const": "true"}}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes a retry safe (docs/contracts/idempotency.md): the same key with the same request "
                   "within 24 hours answers the first 2xx again (status, body, Location, ETag, with "
                   "`Idempotent-Replayed: true`) instead of creating again; the same key with another body or "
                   "address is 422 `idempotency_key_reused`; while the first is still running, 409 "
                   "`idempotency_key_in_use` with Retry-After. Keys belong to the signed-in account (to the "
                   "e-mail for POST /api/v1/accounts). A key outside 1-255 printable ASCII is 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
}
IF_MATCH = {
    "name": "If-Match", "in": "header", "required": False,
    "description": "The version you edited (`3`, `\"3\"` or `W/\"3\"`; empty is none); a stale one is 409 with "
                   "the current version.",
    "schema": {"type": "string", "pattern": "^\\s*((W/)?\"?[0-9]+\"?)?\\s*$"},
}


def query(name: str, description: str, schema: dict) -> dict:
    """A query parameter. An empty value (``?limit=``, as a form sends it) means the default,
    so the schema allows it beside the typed values."""
    if "enum" in schema:
        schema = {**schema, "enum": [*schema["enum"], ""]}
    elif schema.get("type") == "integer":
        schema = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def paging(max_per_page: int, max_page: int = 1_000_000) -> list[dict]:
    return [query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": max_page}),
            query("per_page", f"Items per page (at most {max_per_page}).",
                  {"type": "integer", "minimum": 1, "maximum": max_per_page})]


def choice(name: str, description: str, values) -> dict:
    return query(name, description, {"type": "string", "enum": list(values)})


def flag(name: str, description: str) -> dict:
    return query(name, description, {"type": "string", "enum": ["true", "false", "1", "0"]})


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    auth: str = "none"  # none | optional | required
    body: bodies.Body | dict | None = None  # a Body (JSON) or a multipart form schema
    body_required: bool = True
    params: list[dict] = field(default_factory=list)
    status: int = 200
    answer: dict | None = None  # the 2xx body's schema (None: no body)
    headers: tuple[str, ...] = ()  # ETag, Location on the 2xx
    errors: tuple[int, ...] = ()  # besides those every operation of its kind may return
    calls_services: bool = True
    idempotent_create: bool = False


def multipart(file_field: str, description: str, extra: dict | None = None) -> dict:
    properties = {file_field: {"type": "string", "format": "binary", "description": description}}
    properties.update(extra or {})
    return {"type": "object", "properties": properties, "required": [file_field]}




def shape(required: dict[str, dict], **optional: dict) -> dict:
    """An answer's schema: the keys a client may rely on and their types; other keys may come
    and go (the services own the rest of the shape)."""
    return {"type": "object", "required": list(required), "properties": {**required, **optional}}


STR, INT, BOOL, ARRAY = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "array"}
NULLABLE_STR = {"type": ["string", "null"]}
PAGED = shape({"items": ARRAY, "total": INT, "page": INT, "per_page": INT})
ITEMS = shape({"items": ARRAY})
MERCHANT = shape({"id": STR, "owner_id": STR, "name": STR, "kind": {"enum": list(bodies.MERCHANT_KINDS)},
                  "region": STR, "whatsapp": STR, "verified": BOOL, "status": STR, "version": INT,
                  "credentials": OBJECT}, status_reason=NULLABLE_STR, description=STR, address=STR)
PRODUCT_ANSWER = shape({"id": STR, "merchant_id": STR, "name": STR, "price": INT, "stock": INT, "unit": STR,
                        "halal": BOOL, "category": STR, "status": {"enum": list(bodies.PRODUCT_STATUSES)},
                        "version": INT, "tags": {"type": "array", "items": STR}, "photos": ARRAY},
                       compare_at_price={"type": ["integer", "null"]}, sku=NULLABLE_STR,
                       pricing={"type": ["object", "null"], "description": "The campaign price now, if any."})
CAMPAIGN = shape({"id": STR, "name": STR, "status": {"enum": ["draft", "scheduled", "active", "ended", "cancelled"]},
                  "starts_at": STR, "ends_at": STR, "featured": BOOL, "target": OBJECT, "product_count": INT,
                  "version": INT}, discount={"type": ["object", "null"]}, statistics=OBJECT)
IMPORT_JOB = shape({"id": STR, "status": STR})
SEARCH_ANSWER = shape({"items": ARRAY, "total": INT, "page": INT, "per_page": INT, "facets": OBJECT},
                      suggestion=NULLABLE_STR)
ACCOUNT = {"type": "object", "required": ["id", "email", "name", "role", "status"], "properties": {
    "id": {"type": "string"}, "email": {"type": "string"}, "name": {"type": "string"},
    "role": {"type": "string", "enum": list(accounts.ALL_ROLES)}, "status": {"type": "string",
                                                                            "enum": list(accounts.STATUSES)}}}
WITH_ID = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
REGION_LIST = {"type": "array", "items": {"type": "object", "required": ["code", "name"], "properties": {
    "code": {"type": "string", "enum": list(REGIONS)}, "name": {"type": "string"}}}}
SEARCH_PARAMS = [
    query("q", "Words to look for (at most 200 characters).", {"type": "string", "maxLength": 200}),
    choice("region", "Region code.", REGIONS),
    query("category", "Category slug (a parent includes its children).", {"type": "string"}),
    query("min_price", "Lowest price in rupiah (100000, 100.000 or Rp 100.000).", {"type": "string"}),
    query("max_price", "Highest price in rupiah.", {"type": "string"}),
    flag("halal", "Only halal products."),
    choice("kind", "Merchant kind.", bodies.MERCHANT_KINDS),
    flag("verified", "Only verified merchants."),
    flag("on_promo", "Only products with a campaign price."),
    flag("in_stock", "Only products in stock."),
    choice("sort", "Order.", ("relevance", "price_asc", "price_desc", "newest", "discount")),
    query("page", "Page, from 1; page × per_page at most 1,000.", {"type": "integer", "minimum": 1}),
    query("per_page", "Results per page (at most 50).", {"type": "integer", "minimum": 1, "maximum": 50}),
]
CAMPAIGN_STATUSES = ("draft", "scheduled", "active", "ended", "cancelled")

OPERATIONS = [
    Operation("GET", "/health", "Whether every service answers", "operations", answer={
        "type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}),
    Operation("GET", "/api/v1/openapi.json", "This document", "reference", answer=OBJECT, calls_services=False),
    Operation("GET", "/api/v1/regions", "The 17 kabupaten/kota", "reference", answer=REGION_LIST,
              calls_services=False),
    Operation("GET", "/api/v1/categories", "The two-level product taxonomy", "reference",
              answer={"type": "array", "items": shape({"slug": STR, "name": STR}, parent={"type": ["object", "null"]})}),
    Operation("POST", "/api/v1/accounts", "Register an owner or promoter", "accounts", body=bodies.ACCOUNT,
              status=201, answer=ACCOUNT, headers=("Location",), errors=(409,), calls_services=False,
              idempotent_create=True),
    Operation("POST", "/api/v1/sessions", "Sign in", "accounts", body=bodies.SESSION, status=201,
              answer={"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
              errors=(401, 429), calls_services=False),
    Operation("DELETE", "/api/v1/sessions/current", "Sign out", "accounts", auth="required", status=204,
              calls_services=False),
    Operation("GET", "/api/v1/admin/accounts", "Accounts by role and status (admin)", "accounts", auth="required",
              params=[choice("role", "Role.", accounts.ALL_ROLES), choice("status", "Status.", accounts.STATUSES),
                      *paging(100)], answer=PAGED),
    Operation("POST", "/api/v1/admin/accounts/{account_id}/approval", "Approve, reject, suspend or reinstate a "
              "promoter (admin)", "accounts", auth="required", body=bodies.ACCOUNT_APPROVAL, answer=shape({"id": STR}),
              errors=(409,)),
    Operation("POST", "/api/v1/merchants", "Register an UMKM or koperasi (owner)", "merchants", auth="required",
              body=bodies.MERCHANT, status=201, answer=MERCHANT, headers=("Location",), idempotent_create=True),
    Operation("GET", "/api/v1/merchants/{merchant_id}", "A merchant's profile and credentials", "merchants",
              answer=MERCHANT),
    Operation("PATCH", "/api/v1/merchants/{merchant_id}", "Change a merchant (its owner)", "merchants",
              auth="required", body=bodies.MERCHANT_PATCH, params=[IF_MATCH], answer=MERCHANT, headers=("ETag",),
              errors=(409,)),
    Operation("POST", "/api/v1/merchants/{merchant_id}/verification", "Verify, reject, suspend or reinstate "
              "(admin)", "merchants", auth="required", body=bodies.VERIFICATION, answer=MERCHANT, errors=(409,)),
    Operation("GET", "/api/v1/admin/merchants", "The verification queue (admin)", "merchants", auth="required",
              params=[choice("status", "Status (default pending).", ("pending", "verified", "rejected",
                                                                      "suspended")),
                      choice("region", "Region code.", REGIONS), *paging(100)], answer=PAGED),
    Operation("GET", "/api/v1/merchants/{merchant_id}/products", "A merchant's products (its owner or an admin "
              "also sees drafts and archived ones)", "products", auth="optional", params=paging(100), answer=PAGED),
    Operation("POST", "/api/v1/products", "Add a product (owner of the merchant)", "products", auth="required",
              body=bodies.PRODUCT, status=201, answer=PRODUCT_ANSWER, headers=("ETag", "Location"),
              idempotent_create=True),
    Operation("GET", "/api/v1/products/{product_id}", "A product, with its campaign price", "products",
              answer=PRODUCT_ANSWER, headers=("ETag",)),
    Operation("PATCH", "/api/v1/products/{product_id}", "Change a product (its owner)", "products",
              auth="required", body=bodies.PRODUCT_PATCH, params=[IF_MATCH], answer=PRODUCT_ANSWER, headers=("ETag",),
              errors=(409,)),
    Operation("DELETE", "/api/v1/products/{product_id}", "Delete a product (its owner)", "products",
              auth="required", status=204),
    Operation("POST", "/api/v1/products/{product_id}/photos", "Add a photo: JPEG, PNG or WebP, at most 5 MB, "
              "8 per product", "photos", auth="required", body=multipart(
                  "photo", "The image.", {"alt": {"type": "string", "maxLength": 200,
                                                  "description": "Text for screen readers."}}),
              params=[IF_MATCH], status=201, answer=PRODUCT_ANSWER, headers=("ETag", "Location"), errors=(409,),
              idempotent_create=True),
    Operation("DELETE", "/api/v1/products/{product_id}/photos/{photo_id}", "Remove a photo; answers the product",
              "photos", auth="required", params=[IF_MATCH], answer=PRODUCT_ANSWER, headers=("ETag",), errors=(409,)),
    Operation("POST", "/api/v1/merchants/{merchant_id}/logo", "Set the merchant's logo", "photos",
              auth="required", body=multipart("photo", "The image (JPEG, PNG or WebP, at most 5 MB)."),
              answer=MERCHANT),
    Operation("GET", "/api/v1/imports/template.xlsx", "The import template", "imports", calls_services=False),
    Operation("POST", "/api/v1/imports", "Import products from CSV or XLSX (owner)", "imports", auth="required",
              body=multipart("file", "The spreadsheet, at most 5 MB.", {"merchant_id": {
                  **ID, "description": "The merchant the rows belong to."}}),
              status=202, answer=IMPORT_JOB, headers=("Location",), idempotent_create=True),
    Operation("GET", "/api/v1/imports/{import_id}", "An import's progress, counts, failed rows and warnings",
              "imports", auth="required", answer=IMPORT_JOB),
    Operation("GET", "/api/v1/search", "Search published products", "search", params=SEARCH_PARAMS,
              answer=SEARCH_ANSWER),
    Operation("GET", "/api/v1/suggest", "Autocomplete on prefixes", "search", params=[
        query("q", "The prefix typed, 1–50 characters.", {"type": "string", "minLength": 1, "maxLength": 50})],
              answer=shape({"suggestions": ARRAY})),
    Operation("POST", "/api/v1/products/{product_id}/contact", "Count a WhatsApp contact click", "search",
              status=204),
    Operation("POST", "/api/v1/admin/search/synonyms/reload", "Reload the synonyms (admin)", "search operations",
              auth="required", answer=shape({"groups": INT})),
    Operation("POST", "/api/v1/admin/search/verify", "Compare the index with the catalog, optionally repair "
              "(admin)", "search operations", auth="required", body=bodies.SEARCH_VERIFY, body_required=False,
              answer=shape({"in_sync": BOOL, "repaired": BOOL, "missing": OBJECT, "stale": OBJECT, "extra": OBJECT})),
    Operation("POST", "/api/v1/admin/search/reindex", "Rebuild the index and switch (admin)", "search operations",
              auth="required", status=202, answer=shape({"status": STR}), headers=("Location",), errors=(409,)),
    Operation("GET", "/api/v1/admin/search/reindex", "The rebuild's progress (admin)", "search operations",
              auth="required", answer=shape({"status": STR, "done": INT, "total": INT})),
    Operation("GET", "/api/v1/admin/dead-letters", "Events that failed too often (admin)", "search operations",
              auth="required", answer=shape({"subscriptions": ARRAY})),
    Operation("POST", "/api/v1/admin/dead-letters/{subscription}/replay", "Replay dead letters (admin)",
              "search operations", auth="required", params=[
                  query("limit", "At most this many (default 1,000).", {"type": "integer", "minimum": 1,
                                                                        "maximum": 10_000})],
              answer=shape({"subscription": STR, "replayed": INT})),
    Operation("GET", "/api/v1/admin/search/queries", "Top and zero-result queries (admin)", "search operations",
              auth="required", params=[choice("kind", "top or zero.", ("top", "zero")),
                                       query("days", "Days back.", {"type": "integer", "minimum": 1, "maximum": 90}),
                                       query("limit", "How many.", {"type": "integer", "minimum": 1, "maximum": 100})],
              answer=shape({"kind": {"enum": ["top", "zero"]}, "days": INT, "limit": INT, "queries": ARRAY})),
    Operation("POST", "/api/v1/campaigns", "Create a campaign (promoter, admin)", "campaigns", auth="required",
              body=bodies.CAMPAIGN, status=201, answer=CAMPAIGN, headers=("ETag", "Location"), errors=(409,),
              idempotent_create=True),
    Operation("GET", "/api/v1/campaigns", "Campaigns (a promoter's own; an admin's all)", "campaigns",
              auth="required", params=[choice("status", "Status.", CAMPAIGN_STATUSES), *paging(50)], answer=PAGED),
    Operation("GET", "/api/v1/campaigns/active", "Running campaigns", "campaigns", params=[
        query("limit", "How many (at most 50).", {"type": "integer", "minimum": 1, "maximum": 50})], answer=ITEMS),
    Operation("GET", "/api/v1/campaigns/{campaign_id}", "A campaign with statistics per day", "campaigns",
              auth="required", answer=CAMPAIGN, headers=("ETag",)),
    Operation("PATCH", "/api/v1/campaigns/{campaign_id}", "Edit a campaign", "campaigns", auth="required",
              body=bodies.CAMPAIGN_PATCH, params=[IF_MATCH], answer=CAMPAIGN, headers=("ETag",), errors=(409,)),
    Operation("POST", "/api/v1/campaigns/{campaign_id}/schedule", "Draft → scheduled", "campaigns",
              auth="required", answer=CAMPAIGN, headers=("ETag",), errors=(409,)),
    Operation("POST", "/api/v1/campaigns/{campaign_id}/cancel", "Cancel (prices revert)", "campaigns",
              auth="required", answer=CAMPAIGN, headers=("ETag",), errors=(409,)),
    Operation("GET", "/api/v1/campaigns/{campaign_id}/preview", "Which products the targeting selects now",
              "campaigns", auth="required", params=[
                  query("limit", "How many (at most 100).", {"type": "integer", "minimum": 1, "maximum": 100})],
              answer=shape({"count": INT, "joined": INT, "products": ARRAY})),
    Operation("POST", "/api/v1/campaigns/{campaign_id}/opt-in", "Join products to a campaign", "campaigns",
              auth="required", body=bodies.MEMBERSHIP, answer=OBJECT, errors=(409,)),
    Operation("POST", "/api/v1/campaigns/{campaign_id}/opt-out", "Take products out of a campaign", "campaigns",
              auth="required", body=bodies.MEMBERSHIP, answer=OBJECT, errors=(409,)),
    Operation("GET", "/api/v1/me/campaigns", "The owner's campaign invitations", "campaigns", auth="required",
              answer=ITEMS),
    Operation("GET", "/api/v1/featured", "The home page's featured products", "campaigns", params=[
        query("slots", "How many (at most 24).", {"type": "integer", "minimum": 1, "maximum": 24})],
              answer=shape({"slots": INT, "items": ARRAY})),
]


def _path_params(path: str) -> list[dict]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in names]


def _error(status: int, idempotent_create: bool = False) -> dict:
    description = ERROR_STATUSES[status]
    if idempotent_create and status == 409:
        description += " Also `idempotency_key_in_use` (with Retry-After) while the same key is being answered."
    if idempotent_create and status == 422:
        description += " Also `idempotency_key_reused`: the key was used for another request within 24 hours."
    response: dict[str, Any] = {"description": description,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if status in (429, 503) or (idempotent_create and status == 409):
        response["headers"] = RETRY_AFTER
    return response


def _operation(op: Operation) -> dict:
    words = [part.strip("{}").replace("-", "_").replace(".", "_") for part in op.path.split("/")[1:]]
    doc: dict[str, Any] = {"operationId": "_".join([op.method.lower(), *words]), "summary": op.summary,
                           "tags": [op.tag]}
    params = _path_params(op.path) + list(op.params)
    if op.idempotent_create:
        params.append(IDEMPOTENCY_KEY)
    if params:
        doc["parameters"] = params
    statuses = {400, 405, 500}
    if op.body is not None:
        statuses |= {413, 422}
        if isinstance(op.body, bodies.Body):
            content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.body.name}"}}}
        else:
            content = {"multipart/form-data": {"schema": op.body}}
        doc["requestBody"] = {"required": op.body_required, "content": content}
    if op.params:
        statuses.add(422)
    if op.auth != "none":
        statuses |= {401, 403}
        # optional: anyone may call; a valid token (its owner, an admin) sees more, a bad one is 401
        doc["security"] = [{"bearer": []}] if op.auth == "required" else [{}, {"bearer": []}]
    if "{" in op.path:
        statuses.add(404)
    if op.calls_services:
        statuses |= {502, 503, 504}
    if op.idempotent_create:
        statuses |= {409, 422}
    statuses |= set(op.errors)
    success: dict[str, Any] = {"description": "OK"}
    if op.answer is not None:
        success["content"] = {"application/json": {"schema": op.answer}}
    elif op.path.endswith(".xlsx"):
        success["content"] = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}}}
    if op.headers:
        success["headers"] = {name: {**ETAG, **LOCATION}[name] for name in op.headers}
    if op.idempotent_create:
        success["headers"] = {**success.get("headers", {}), **REPLAYED}
    doc["responses"] = {str(op.status): success, **{str(status): _error(status, op.idempotent_create)
                                                    for status in sorted(statuses)}}
    return doc


def _components() -> dict:
    schemas: dict[str, Any] = {body.name: body.json_schema() for body in bodies.BODIES}
    schemas["Error"] = {
        "type": "object", "required": ["error"], "description": "Every error, everywhere (shared/errors.py).",
        "properties": {"error": {"type": "object", "required": ["code", "message", "fields"], "properties": {
            "code": {"type": "string", "description": "Stable machine code, e.g. validation_failed."},
            "message": {"type": "string", "description": "A sentence for people (Bahasa Indonesia)."},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Per bad field or parameter, what is wrong."}}}},
    }
    return {"schemas": schemas, "securitySchemes": {"bearer": {
        "type": "http", "scheme": "bearer", "description": "The token from POST /api/v1/sessions."}}}


@lru_cache(maxsize=1)
def document_text() -> str:
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Etalase Sultra API", "version": "1",
                 "description": "The JSON API of Etalase Sultra, the product showcase of Sulawesi Tenggara. "
                                "Messages are Bahasa Indonesia; prices whole rupiah; times ISO 8601."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": _components(),
    }
    return json.dumps(document, ensure_ascii=False)


def document() -> dict:
    return json.loads(document_text())


@json_api
def serve():
    status, headers, _ = json_response(200, {})
    return status, {**headers, "Cache-Control": "public, max-age=300"}, document_text()
