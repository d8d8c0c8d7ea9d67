"""Admin operations on search and the event backbone: verify and reindex the search
index, list and replay dead letters. Admin only. Same rules as ``api``: typed errors,
RPC only through ``Gateway.call`` (with its deadline), the database released first."""
from __future__ import annotations

import eventlet

from services.gateway import dead_letters
from services.gateway.api import Gateway, authenticate, parse_int_param, read_json
from services.gateway.web import json_api, json_response
from shared.actor import ADMIN
from shared.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from shared.messages import t
from shared.topology import SUBSCRIPTIONS

VERIFY_TIMEOUT = 120  # a full comparison reads the whole catalog
MAX_REPLAY = 10_000


def _require_admin(gw: Gateway, request) -> dict:
    actor = authenticate(gw, request)
    if actor.get("role") != ADMIN:
        raise Forbidden(t("Hanya admin (kurator Dinas) yang dapat melakukan tindakan ini."))
    return actor


@json_api
def verify(gw: Gateway, request):
    """POST /api/v1/admin/search/verify {"repair": bool} -> the drift report."""
    _require_admin(gw, request)
    data = read_json(request, gw.settings.max_body_bytes) if request.content_length else {}
    repair = data.get("repair", False)
    if not isinstance(repair, bool):
        raise ValidationFailed(t("Data tidak valid."), {"repair": t("Harus berupa true atau false.")})
    return json_response(200, gw.call("search", "verify", repair=repair, timeout=VERIFY_TIMEOUT))


@json_api
def start_reindex(gw: Gateway, request):
    """POST /api/v1/admin/search/reindex -> 202 {"id", "status"} (409 when one is running)."""
    _require_admin(gw, request)
    started = gw.call("search", "start_reindex")
    return json_response(202, started, {"Location": "/api/v1/admin/search/reindex"})


@json_api
def reindex_status(gw: Gateway, request):
    """GET /api/v1/admin/search/reindex -> {"status", "done", "total", ...}."""
    _require_admin(gw, request)
    return json_response(200, gw.call("search", "reindex_status"))


def _broker(fn, *args, **kwargs):
    # kombu under eventlet: fine to call, but bound it like an RPC.
    try:
        with eventlet.Timeout(15):
            return fn(*args, **kwargs)
    except (eventlet.Timeout, OSError) as exc:
        raise ServiceUnavailable(t("Broker pesan tidak dapat dihubungi saat ini."), {"broker": type(exc).__name__})
    except Exception as exc:  # noqa: BLE001 - kombu's connection errors have many types
        if exc.__class__.__module__.startswith(("kombu", "amqp")):
            raise ServiceUnavailable(t("Broker pesan tidak dapat dihubungi saat ini."), {"broker": type(exc).__name__})
        raise


@json_api
def list_dead_letters(gw: Gateway, request):
    """GET /api/v1/admin/dead-letters -> {"subscriptions": [{"subscription", "queue", "count",
    "messages": [up to 20, left in the queue]}]}."""
    _require_admin(gw, request)
    return json_response(200, {"subscriptions": _broker(dead_letters.peek_all)})


@json_api
def replay_dead_letters(gw: Gateway, request, subscription: str):
    """POST /api/v1/admin/dead-letters/{subscription}/replay?limit= -> {"replayed": n}."""
    _require_admin(gw, request)
    if subscription not in SUBSCRIPTIONS:
        raise NotFound(t("Langganan %(subscription)s tidak dikenal.", subscription=subscription),
                       {"subscription": subscription})
    limit = parse_int_param(request.args, "limit", 1000)
    if not 1 <= limit <= MAX_REPLAY:
        raise ValidationFailed(t("Parameter tidak valid."), {"limit": t("Harus 1 sampai %(max)s.", max=MAX_REPLAY)})
    moved = _broker(dead_letters.replay, subscription, limit)
    return json_response(200, {"subscription": subscription, "replayed": moved})
