"""The published OpenAPI document and the validators agree, so neither can drift alone.

The document is generated from ``shared/api_fields.py``; the validators take their limits
from the same descriptions. These tests walk the *generated JSON Schema* (not the Python
descriptions) and probe each validator at every boundary it states: a text at maxLength is
accepted and one character more is refused naming that field (422), the same for minLength,
minimum, maximum and maxItems; every enum value is accepted, anything else refused; a
required field left out is refused. And every route of the gateway is in the document.
"""
from __future__ import annotations

import inspect
import json
import os
import random
import string
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from openapi_spec_validator import validate as validate_openapi

from services.catalog import schemas as catalog_schemas
from services.gateway import accounts, api_campaigns, openapi
from services.gateway.service import GatewayService
from services.promotion.campaigns import validation as campaign_validation
from shared.errors import ValidationFailed

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def _account(data):
    return accounts.validate_account(data.get("email"), data.get("password"), data.get("name"), data.get("role"))


def _approval(data):
    return accounts.validate_decision(data.get("decision"), data.get("reason"))


def _verification(data):
    return catalog_schemas.validate_verification(data.get("decision"), data.get("reason"))


def _campaign(data):
    # What the API does: the gateway's check of the fields and their JSON types, then promotion's.
    return campaign_validation.validate_campaign(api_campaigns.campaign_body(data, create=True), NOW)


def _membership(data):
    return campaign_validation.membership_selection(data)


# body name -> (validator, a valid body, fields whose boundary a rule across fields decides)
VALIDATORS = {
    "AccountCreate": (_account, {"email": "siti@example.id", "password": "rahasia-panjang", "name": "Siti",
                                 "role": "owner"}, {}),
    "MerchantCreate": (catalog_schemas.validate_merchant, {"name": "Koperasi Maju", "kind": "koperasi",
                                                           "region": "7471", "whatsapp": "081234567890"}, {}),
    "MerchantPatch": (lambda data: catalog_schemas.validate_merchant_patch(data, {"kind": "koperasi"}),
                      {"name": "Koperasi Maju"}, {}),
    "AccountApproval": (_approval, {"decision": "approved"}, {}),
    "MerchantVerification": (_verification, {"decision": "verified"}, {}),
    "ProductCreate": (catalog_schemas.validate_product_create, {
        "merchant_id": "m-1", "name": "Kopi Kolaka", "price": 15000, "stock": 3, "category": "kopi-teh"},
        {"compare_at_price": "must be above price, so its minimum is price + 1"}),
    "ProductPatch": (catalog_schemas.validate_product_patch, {"name": "Kopi Kolaka"}, {}),
    "CampaignCreate": (_campaign, {
        "name": "Promo Akhir Tahun", "starts_at": (NOW + timedelta(hours=1)).isoformat(),
        "ends_at": (NOW + timedelta(days=7)).isoformat(), "discount": {"type": "percent", "value": 10},
        "target": {"regions": ["7471"]}}, {}),
    "CampaignMembership": (_membership, {"product_ids": ["p-1"]},
                           {"product_id": "one of three shapes: sent alone, not beside product_ids",
                            "merchant_id": "one of three shapes: sent alone, not beside product_ids"}),
}


def _refused_fields(validate, data) -> dict | None:
    """The fields a validator names, or None when it accepts ``data``."""
    try:
        validate(data)
    except ValidationFailed as failed:
        assert failed.status == 422
        return dict(failed.fields)
    return None


def _text_of(length: int) -> str:
    """Letters and digits in no pattern: a password check refuses "xxxxxxxx" for itself."""
    return "".join(random.Random(length).choices(string.ascii_letters + string.digits, k=length))


def _probes(name: str, schema: dict, required: list[str]):
    """(description, value or MISSING, accepted?) for every boundary the schema states."""
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "enum" in schema:
        # sorted: the document lists some enums from a set, in another order in each process,
        # and pytest-xdist needs every worker to collect the same tests in the same order
        values = sorted(schema["enum"], key=repr)
        for value in values:
            yield f"{name}={value!r}", value, True
        if "string" in types:
            yield f"{name} not in enum", "bukan-" + str(values[0]), False
        return
    if "string" in types and not schema.get("pattern") and not schema.get("format"):
        if schema.get("maxLength") is not None:
            yield f"{name} at maxLength", _text_of(schema["maxLength"]), True
            yield f"{name} at maxLength+1", _text_of(schema["maxLength"] + 1), False
        if schema.get("minLength"):
            yield f"{name} at minLength", _text_of(schema["minLength"]), True
            yield f"{name} at minLength-1", _text_of(schema["minLength"] - 1), False
    if "integer" in types:
        if schema.get("maximum") is not None:
            yield f"{name} at maximum", schema["maximum"], True
            yield f"{name} at maximum+1", schema["maximum"] + 1, False
        if schema.get("minimum") is not None:
            yield f"{name} at minimum", schema["minimum"], True
            yield f"{name} at minimum-1", schema["minimum"] - 1, False
    if "array" in types and schema.get("maxItems") is not None:
        yield f"{name} at maxItems", [f"p-{i}" for i in range(schema["maxItems"])], True
        yield f"{name} at maxItems+1", [f"p-{i}" for i in range(schema["maxItems"] + 1)], False
    if name in required:
        yield f"{name} missing", MISSING, False


MISSING = object()


def _cases():
    schemas = openapi.document()["components"]["schemas"]
    for body, (validate, valid, decided_elsewhere) in VALIDATORS.items():
        schema = schemas[body]
        for field, field_schema in schema["properties"].items():
            if field in decided_elsewhere or "$ref" in field_schema or field_schema.get("type") == "object":
                continue
            for what, value, accepted in _probes(field, field_schema, schema.get("required", [])):
                yield pytest.param(validate, valid, field, value, accepted, id=f"{body}: {what}")


@pytest.mark.parametrize("validate, valid, field, value, accepted", list(_cases()))
def test_the_validator_agrees_with_the_document_at_the_boundary(validate, valid, field, value, accepted):
    data = dict(valid)
    if value is MISSING:
        data.pop(field, None)
    else:
        data[field] = value
    refused = _refused_fields(validate, data)
    if accepted:
        assert refused is None or field not in refused, refused
    else:
        assert refused is not None and field in refused, f"accepted {field}={value!r}"


def test_the_valid_examples_are_valid():
    """The probes start from these: each must pass its validator as it is."""
    for body, (validate, valid, _) in VALIDATORS.items():
        assert _refused_fields(validate, dict(valid)) is None, body


def test_an_unknown_field_is_refused_where_the_document_says_so():
    schemas = openapi.document()["components"]["schemas"]
    for body, (validate, valid, _) in VALIDATORS.items():
        if schemas[body]["additionalProperties"] is False:
            refused = _refused_fields(validate, {**valid, "bukan_kolom": 1})
            assert refused is not None and "bukan_kolom" in refused, body


def _gateway_routes() -> set[tuple[str, str]]:
    routes = set()
    for _, member in inspect.getmembers(GatewayService):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            method, url = getattr(entrypoint, "method", None), getattr(entrypoint, "url", None)
            if method is None or url is None:
                continue
            path = url.replace("<string:", "{").replace("<path:", "{").replace(">", "}")
            for verb in method.split(","):
                routes.add((verb, path))
    return {(verb, path) for verb, path in routes if path.startswith("/api/v1/") or path == "/health"}


def test_every_api_route_of_the_gateway_is_in_the_document_and_nothing_else():
    documented = {(method.upper(), path) for path, item in openapi.document()["paths"].items() for method in item}
    routes = _gateway_routes()
    assert len(routes) > 40
    assert routes == documented


def test_every_operation_documents_the_one_error_shape_and_the_creating_posts_their_idempotency_key():
    document = openapi.document()
    creating = {"/api/v1/accounts", "/api/v1/merchants", "/api/v1/products", "/api/v1/products/{product_id}/photos",
                "/api/v1/imports", "/api/v1/campaigns"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            if "503" in operation["responses"]:
                assert "Retry-After" in operation["responses"]["503"]["headers"]
            keys = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
            assert bool(keys) == (method == "post" and path in creating), (method, path)


def test_the_served_document_is_valid_openapi_3_1():
    status, headers, body = openapi.serve()
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    document = json.loads(body)
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)  # raises on anything the OpenAPI 3.1 schema refuses
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "The token from POST /api/v1/sessions."}


def test_the_document_is_the_same_bytes_in_every_process():
    """Gateway replicas and caches (it is served public for 5 minutes) must agree: a set's
    order changes with the process's hash seed, and the category lists came out in another
    order after each restart."""
    program = "import sys; from services.gateway import openapi; sys.stdout.write(openapi.document_text())"
    texts = {subprocess.run([sys.executable, "-W", "ignore", "-c", program], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(texts) == 1 and len(texts.pop()) > 100_000


@pytest.mark.parametrize("body", ["AccountApproval", "MerchantVerification", "AccountCreate", "ProductCreate",
                                  "CampaignCreate"])
def test_a_field_of_the_wrong_json_type_is_a_422_naming_it_never_a_crash(body):
    """An object or a list where a string is expected (schemathesis sent {"decision": {}}: a 500)."""
    validate, valid, _ = VALIDATORS[body]
    schema = openapi.document()["components"]["schemas"][body]
    for field, field_schema in schema["properties"].items():
        if field_schema.get("type") in ("string", ["string", "null"]):
            for wrong in ({}, [], 3.5):
                refused = _refused_fields(validate, {**valid, field: wrong})
                assert refused is not None and field in refused, (field, wrong)
