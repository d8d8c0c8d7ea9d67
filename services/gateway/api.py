"""The JSON API ``/api/v1`` as plain functions of a ``Gateway`` context and a request.

Rules every function follows:
- errors are raised as typed ``shared.errors`` exceptions; ``json_api`` maps them to HTTP;
- database work is committed before any RPC, so no connection is held while waiting on
  another service (with SQLite there is one connection per process);
- other services are reached only through ``Gateway.call``, which always has a deadline.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import eventlet
from sqlalchemy import text

from services.gateway import accounts
from services.gateway.client_address import client_ip
from services.gateway.idempotency import account_scope, idempotent, registration_scope, with_key
from services.gateway.settings import GatewaySettings
from services.gateway.web import error_response, json_api, json_response, passed_json_response
from shared import supervisor_status
from shared.actor import Actor, make_actor
from shared.errors import (
    BadRequest,
    EtalaseError,
    Forbidden,
    PayloadTooLarge,
    ServiceTimeout,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
)
from shared.messages import t
from shared.regions import region_list
from shared.text import find_unsafe

log = logging.getLogger(__name__)

HEALTH_SERVICES = ("catalog", "search", "promotion")
DEFAULT_PER_PAGE = 20


@dataclass
class Gateway:
    """What an API function needs from its worker."""

    uow: object  # shared.db.UnitOfWork
    rpc: object  # shared.rpc.DeadlineClient
    settings: GatewaySettings
    interactions: object = None  # services.gateway.interactions.Reports (buffered, sent in batches)

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        if timeout is None:
            timeout = self.settings.rpc_timeout
        return self.rpc.call(service, method, *args, timeout=timeout, **kwargs)


# --- request helpers -----------------------------------------------------------------


def read_json(request, max_bytes: int) -> dict:
    """The request body as a JSON object, or 400/413."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(t("Badan permintaan melebihi %(max)s bita.", max=max_bytes))
    raw = request.stream.read(max_bytes + 1)  # also bounds chunked bodies without a length
    if len(raw) > max_bytes:
        raise PayloadTooLarge(t("Badan permintaan melebihi %(max)s bita.", max=max_bytes))
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(t("Badan permintaan harus berupa JSON yang valid."))
    if not isinstance(data, dict):
        raise BadRequest(t("Badan permintaan harus berupa objek JSON."))
    unsafe = find_unsafe(data)  # a NUL or a lone surrogate anywhere, ids included (shared/text.py)
    if unsafe is not None:
        raise ValidationFailed(t("Data tidak valid."), {unsafe[0]: unsafe[1]})
    return data


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(gw: Gateway, request) -> dict:
    """The signed-in actor, or 401. Ends the read transaction before returning."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(t("Silakan masuk terlebih dahulu."))
    actor = accounts.resolve_token(gw.uow.session, token)
    gw.uow.commit()  # release the connection before the caller makes RPC calls
    if actor is None:
        raise Unauthorized(t("Sesi tidak valid atau sudah berakhir. Silakan masuk kembali."))
    return actor


def catalog_actor(actor: dict) -> Actor:
    """Only what a service needs to authorise the caller: who and in which role."""
    return make_actor(actor["id"], actor["role"])


def parse_if_match(value: str | None) -> int | None:
    """``If-Match: 3`` or ``"3"`` (or ``W/"3"``) -> 3; absent -> None; anything else -> 400."""
    if value is None or not value.strip():
        return None
    tag = value.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not tag.isdigit():
        raise BadRequest(
            t("Header If-Match harus berupa nomor versi."), {"If-Match": t("Harus berupa bilangan bulat.")}
        )
    return int(tag)


def parse_int_param(args, name: str, default: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(t("Parameter tidak valid."), {name: t("Harus berupa bilangan bulat.")})


def bounded_int_param(args, name: str, default: int, maximum: int, fields: dict) -> int:
    """A query parameter that must be an integer 1..``maximum`` (``default`` when absent).
    A bad one is added to ``fields``, so the caller can name every bad parameter in one 422."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        fields[name] = t("Harus bilangan bulat 1 sampai %(max)s.", max=maximum)
    return value


# --- endpoints -----------------------------------------------------------------------


def restarts(settings: GatewaySettings) -> dict | None:
    """Each process's restarts by `etalase run` (count, last reason, last restart in WITA;
    one entry per replica, e.g. search-1 and search-2), or None when no supervisor records
    them (docker compose, services started by hand)."""
    if settings.supervisor_status is None:
        return None
    return supervisor_status.read_restarts(settings.supervisor_status)


@json_api
def health(gw: Gateway):
    """200 only when every service answers its health() within the health deadline; with
    ``services``: each process's restarts, when `etalase run` supervises them; with
    ``answered_by``: the gateway replica that answered, when there are several."""
    failures: dict[str, str] = {}

    try:
        gw.uow.session.execute(text("SELECT 1"))
        gw.uow.commit()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        log.exception("gateway database check failed")
        failures["gateway"] = t("basis data tidak tersedia")

    def check(service: str):
        try:
            gw.call(service, "health", timeout=gw.settings.health_timeout)
            return service, None
        except ServiceTimeout:
            return service, t("tidak menjawab")
        except ServiceUnavailable:
            return service, t("tidak tersedia")
        except Exception:  # noqa: BLE001 - an error answer is still "unhealthy"
            log.exception("health check of %s failed", service)
            return service, t("bermasalah")

    pool = eventlet.GreenPool(len(HEALTH_SERVICES))
    for service, problem in pool.imap(check, HEALTH_SERVICES):  # concurrently
        if problem:
            failures[service] = problem

    supervised = restarts(gw.settings)
    extra = {} if supervised is None else {"services": supervised}
    if gw.settings.replica:  # which of several gateways on the one port answered
        extra["answered_by"] = gw.settings.replica
    if failures:
        error = ServiceUnavailable(t("Sebagian layanan tidak tersedia."), failures)
        return error_response(error, extra={"status": "unavailable", **extra})
    return json_response(200, {"status": "ok", **extra})


@json_api
def regions():
    return json_response(200, region_list())


@json_api
def categories(gw: Gateway):
    return json_response(200, gw.call("catalog", "list_categories"))


@json_api
def create_account(gw: Gateway, request):
    data = read_json(request, gw.settings.max_body_bytes)

    def register(_idempotency):  # the gateway makes accounts itself: the new one commits with its kept answer
        # -> {"id", "email", "name", "role", "status"}: a promoter starts "pending" (approved by an admin)
        account = accounts.create_account(
            gw.uow.session, data.get("email"), data.get("password"), data.get("name"), data.get("role")
        )
        return json_response(201, account, {"Location": f"/api/v1/accounts/{account['id']}"})

    return idempotent(gw, request, registration_scope(data), data, register)


@json_api
def create_session(gw: Gateway, request):
    data = read_json(request, gw.settings.max_body_bytes)
    token = accounts.sign_in(
        gw.uow.session, data.get("email"), data.get("password"),
        ttl_days=gw.settings.session_ttl_days, release=gw.uow.commit, ip=client_ip(request, gw.settings.trusted_proxies),
    )
    gw.uow.commit()
    return json_response(201, {"token": token})


@json_api
def delete_session(gw: Gateway, request):
    authenticate(gw, request)
    accounts.sign_out(gw.uow.session, bearer_token(request))
    gw.uow.commit()
    return 204, {}, ""


@json_api
def create_merchant(gw: Gateway, request):
    actor = authenticate(gw, request)
    if actor["role"] != "owner":
        raise Forbidden(t("Hanya pemilik usaha yang dapat mendaftarkan usaha."))
    data = read_json(request, gw.settings.max_body_bytes)

    def register(idempotency):
        merchant = gw.call("catalog", "register_merchant", catalog_actor(actor), data, **with_key(idempotency))
        return json_response(201, merchant, {"Location": f"/api/v1/merchants/{merchant['id']}"})

    return idempotent(gw, request, account_scope(actor), data, register)


@json_api
def get_merchant(gw: Gateway, merchant_id: str):
    return json_response(200, gw.call("catalog", "get_merchant", merchant_id))


@json_api
def merchant_products(gw: Gateway, request, merchant_id: str):
    """Anyone sees what buyers may see; the merchant's owner (or an admin), signed in, sees
    drafts and archived products too."""
    page = parse_int_param(request.args, "page", 1)
    per_page = parse_int_param(request.args, "per_page", 50)
    actor = catalog_actor(authenticate(gw, request)) if bearer_token(request) is not None else None
    return json_response(200, gw.call("catalog", "list_merchant_products", merchant_id, page=page, per_page=per_page,
                                      actor=actor))


@json_api
def create_product(gw: Gateway, request):
    actor = authenticate(gw, request)
    data = read_json(request, gw.settings.max_body_bytes)

    def create(idempotency):
        product = gw.call("catalog", "create_product", catalog_actor(actor), data, **with_key(idempotency))
        return json_response(201, product, version_headers(product, f"/api/v1/products/{product['id']}"))

    return idempotent(gw, request, account_scope(actor), data, create)


@json_api
def get_product(gw: Gateway, product_id: str):
    # The campaign price is asked for alongside the catalog call, with its own short deadline.
    pricing = eventlet.spawn(product_pricing, gw, product_id)
    try:
        product = gw.call("catalog", "get_product", product_id)
    except BaseException:
        pricing.kill()
        raise
    if isinstance(product, dict):
        product = {**product, "pricing": pricing.wait()}
    else:
        pricing.kill()
    from services.gateway.api_search_analytics import report_interactions

    report_interactions(gw, [product_id], "view")
    return json_response(200, product, version_headers(product))


def product_pricing(gw: Gateway, product_id: str) -> dict | None:
    """The product's campaign price from ``promotion.pricing_for``, or None: no campaign, or
    promotion is down, slow or broken (logged). The product page never fails for it."""
    try:
        prices = gw.call("promotion", "pricing_for", [product_id], timeout=gw.settings.pricing_timeout)
    except EtalaseError as exc:
        log.warning("product %s answered without pricing: %s", product_id, exc)
        return None
    except Exception:  # noqa: BLE001 - a price badge is never worth a failed product page
        log.warning("product %s answered without pricing", product_id, exc_info=True)
        return None
    entry = prices.get(product_id) if isinstance(prices, dict) else None
    return entry if isinstance(entry, dict) else None


@json_api
def update_product(gw: Gateway, request, product_id: str):
    actor = authenticate(gw, request)
    expected_version = parse_if_match(request.headers.get("If-Match"))
    data = read_json(request, gw.settings.max_body_bytes)
    product = gw.call("catalog", "update_product", catalog_actor(actor), product_id, data, expected_version)
    return json_response(200, product, version_headers(product))


@json_api
def delete_product(gw: Gateway, request, product_id: str):
    actor = authenticate(gw, request)
    gw.call("catalog", "delete_product", catalog_actor(actor), product_id)
    return 204, {}, ""


@json_api
def search(gw: Gateway, request):
    # The query string goes to the search service as it is (strings): it validates every
    # parameter and names the bad one (422).
    # The first value of each known parameter given and not empty (werkzeug's items()).
    params = {name: value for name, value in request.args.items() if value != "" and name in SEARCH_PARAMS}
    result = gw.call("search", "search", **params)
    from services.gateway.api_search_analytics import report_interactions

    report_interactions(gw, [item.get("id") for item in result.get("items") or []], "impression")
    return passed_json_response(200, result)  # unchanged: the reply's own JSON text


SEARCH_PARAMS = frozenset(("q", "region", "category", "min_price", "max_price", "halal", "kind", "verified",
                           "on_promo", "in_stock", "sort", "page", "per_page"))


def version_headers(product, location: str | None = None) -> dict:
    # An ETag lets a client send the version straight back in If-Match.
    headers = {}
    if isinstance(product, dict) and isinstance(product.get("version"), int):
        headers["ETag"] = f'"{product["version"]}"'
    if location:
        headers["Location"] = location
    return headers

