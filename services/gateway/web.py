"""HTTP plumbing: the one place where errors become HTTP responses.

Every error body has the shape ``{"error": {"code", "message", "fields"}}``. API functions
are wrapped in ``json_api``; routing errors (unknown path, wrong method) never reach a
worker, so the WSGI app converts them with the same ``error_response``.
"""
from __future__ import annotations

import functools
import inspect
import json
import logging
import socket
from contextlib import contextmanager
from typing import Callable, Iterator

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from services.gateway.settings import GatewaySettings
from shared.errors import EtalaseError, NotFound, Overloaded, PayloadTooLarge, ValidationFailed
from shared.messages import t
from shared.rpc_transport import ReplyJson, SignatureOnce
from shared.text import find_unsafe

log = logging.getLogger(__name__)

JSON_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class InternalError(EtalaseError):
    """Anything unexpected: the caller gets a generic message, the log gets the traceback."""

    code = "internal_error"
    status = 500
    default_message = t("Terjadi kesalahan pada server. Silakan coba lagi.")


class NotFoundRoute(EtalaseError):
    code = "not_found"
    status = 404
    default_message = t("Alamat tidak ditemukan.")


class MethodNotAllowed(EtalaseError):
    code = "method_not_allowed"
    status = 405
    default_message = t("Metode tidak diizinkan untuk alamat ini.")


def json_response(status: int, data, headers: dict | None = None) -> tuple[int, dict, str]:
    return status, {**JSON_HEADERS, **(headers or {})}, json.dumps(data, ensure_ascii=False)


def passed_json_response(status: int, data) -> tuple[int, dict, str]:
    """``json_response`` of an RPC result passed on unchanged: the JSON text it came in
    (``ReplyJson``, non-ASCII as \\u escapes) instead of encoding it again."""
    if isinstance(data, ReplyJson):
        return status, dict(JSON_HEADERS), data.text
    return json_response(status, data)


def error_response(exc: EtalaseError, extra: dict | None = None) -> tuple[int, dict, str]:
    """The single mapping from a typed error to ``(status, headers, body)``."""
    body = exc.to_dict()
    if extra:
        body.update(extra)
    # An error may carry its own headers (429's Retry-After).
    return json_response(exc.status, body, getattr(exc, "headers", None))


def unexpected_error_response(exc: BaseException) -> tuple[int, dict, str]:
    log.error("unexpected error in gateway", exc_info=(type(exc), exc, exc.__traceback__))
    return error_response(InternalError())


def json_api(fn):
    """Turn typed errors raised by an API function into JSON error responses."""

    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            arguments = signature.bind_partial(*args, **kwargs).arguments
            refuse_unsafe_url(arguments, next((a for a in args if isinstance(a, Request)), None))
            return fn(*args, **kwargs)
        except EtalaseError as exc:
            return error_response(exc)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            return unexpected_error_response(exc)

    return wrapper


def refuse_unsafe_url(path_params: dict, request: Request | None) -> None:
    """A path parameter or a query-string value with a control character or a lone surrogate
    (shared/text.py) names nothing (404) or is refused (422 naming it), before any service or
    database sees it: PostgreSQL refuses a NUL even in a lookup, SQLite would just not find.
    A query parameter given twice is refused too (422 naming it)."""
    found = find_unsafe({k: v for k, v in path_params.items() if isinstance(v, str)}, multiline=False)
    if found is not None:
        raise NotFound(fields={found[0]: found[1]})
    if request is not None:
        found = find_unsafe(dict(request.args.lists()), multiline=False)
        if found is not None:
            raise ValidationFailed(t("Parameter tidak valid."), {found[0]: found[1]})
        refuse_repeated_query_parameters(request)


def refuse_repeated_query_parameters(request: Request) -> None:
    """Every API query parameter holds one value: ``?slots=8&slots=abc`` would otherwise be
    read by its first value and the second, which may be invalid, silently ignored."""
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1)
    if repeated:
        raise ValidationFailed(
            t("Parameter tidak valid."),
            {name: t("parameter ini hanya boleh muncul sekali") for name in repeated},
        )


def _to_response(result: tuple[int, dict, str], extra_headers: dict | None = None) -> Response:
    status, headers, body = result
    return Response(body, status=status, headers={**headers, **(extra_headers or {})})


@contextmanager
def bounded_body(request: Request, limit: int, too_large: Callable[[], EtalaseError]) -> Iterator[None]:
    """Read a request's form inside this block with at most ``limit`` bytes of body: a larger
    declared length is refused before anything is read, and werkzeug stops reading past the
    limit when the length is not declared; either way the caller's ``too_large()`` is raised."""
    if request.content_length is not None and request.content_length > limit:
        raise too_large()
    request.max_content_length = limit
    try:
        yield
    except RequestEntityTooLarge:
        raise too_large() from None


# The HTML error pages belong to the site layer, which sits above this one: the gateway
# service wires them in (``use_html_error_pages``) so that this module never imports the site.
_html_error_page: Callable[[Request, int], Response] | None = None


def use_html_error_pages(render: Callable[[Request, int], Response]) -> None:
    """Answer a browser's request that no worker handles (an unknown path, a request shed
    under load) with ``render(request, status)``."""
    global _html_error_page
    _html_error_page = render


def wants_page(request) -> bool:
    """A browser asking for a page (not the JSON API, nor media files) gets HTML errors."""
    if request.path.startswith(("/api/", "/media/", "/static/", "/health")):
        return False
    return "text/html" in (request.headers.get("Accept") or "")


def routing_error_response(exc: HTTPException, request=None) -> Response:
    if exc.code == 404:
        if request is not None and _html_error_page is not None and wants_page(request):
            return _html_error_page(request, 404)
        return _to_response(error_response(NotFoundRoute()))
    if exc.code == 405:
        allowed = ", ".join(sorted(exc.valid_methods or []))
        return _to_response(error_response(MethodNotAllowed()), {"Allow": allowed} if allowed else None)
    if exc.code == 413:
        return _to_response(error_response(PayloadTooLarge()))
    if exc.code is not None and exc.code >= 400:
        error = EtalaseError(exc.description or "")
        error.status = exc.code
        error.code = "http_error"
        return _to_response(error_response(error))
    return exc.get_response()  # redirects stay as they are


class _RoutingErrorsAsJson(WsgiApp):
    """nameko's WsgiApp, but a routing failure answers in the JSON error shape."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            return routing_error_response(exc, request)(environ, start_response)
        request.path_values = values
        response = provider.handle_request(request)
        return response(environ, start_response)


class Admission:
    """At most ``limit`` requests inside the gateway at once, running or waiting for one of
    its workers; 0 means no limit. Past it a request is answered 503 at once: waiting in
    line behind requests that are themselves waiting would only reach its deadline later.
    Green threads switch only where they wait, so the check and the count need no lock."""

    def __init__(self, limit: int):
        self.limit = limit
        self.inside = 0

    def enter(self) -> bool:
        if 0 < self.limit <= self.inside:
            return False
        self.inside += 1
        return True

    def leave(self) -> None:
        self.inside -= 1


# Answered even when the gateway sheds load: a health probe must see the truth, and its own
# answer says which service is in trouble.
NEVER_SHED = frozenset({"/health"})


class GatewayWebServer(WebServer):
    def setup(self):
        super().setup()
        self.admission = Admission(GatewaySettings.load().max_pending_requests)

    def get_wsgi_app(self):
        return _RoutingErrorsAsJson(self)

    def process_request(self, sock, address):
        # eventlet's wsgi buffers 16 KB: a larger response goes out as its headers, then its
        # body. With Nagle's algorithm the body waited for the client's delayed ACK of the
        # headers, 40 ms on every response above ~16 KB (a third of the searches of 20).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(sock, address)


def shed_response(request) -> Response:
    """503 with Retry-After for a request the gateway has no room for: the site's error page
    for a browser, the JSON error for an API client."""
    error = Overloaded(t("Server sedang melayani terlalu banyak permintaan. Silakan coba lagi beberapa saat lagi."))
    if _html_error_page is not None and wants_page(request):
        response = _html_error_page(request, 503)
        response.headers.update(error.headers)
        return response
    return _to_response(error_response(error))


class GatewayHttp(SignatureOnce, HttpRequestHandler):
    """nameko's ``@http`` with the gateway's web server and JSON errors for anything that
    escapes a handler; a handler's signature is computed once (``SignatureOnce``)."""

    server = GatewayWebServer()

    def handle_request(self, request):
        if request.path in NEVER_SHED:
            return super().handle_request(request)
        admission = self.server.admission
        if not admission.enter():
            return shed_response(request)
        try:
            return super().handle_request(request)
        finally:
            admission.leave()

    def response_from_exception(self, exc):
        if isinstance(exc, EtalaseError):
            return _to_response(error_response(exc))
        return _to_response(unexpected_error_response(exc))


http = GatewayHttp.decorator
