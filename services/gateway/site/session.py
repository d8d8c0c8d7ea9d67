"""Web sessions and CSRF protection for the HTML pages.

Session: the account token from ``accounts.sign_in`` lives in the ``etalase_session``
cookie (HttpOnly, SameSite=Lax, Path=/, Secure when the request came over HTTPS, including
behind a proxy that sets ``X-Forwarded-Proto: https``). ``current_user(gw, request)`` gives
the signed-in account dict (``id``, ``email``, ``name``, ``role``) or None; it is resolved
once per request.

CSRF: double-submit token. Every browser gets a random ``etalase_csrf`` cookie (HttpOnly,
SameSite=Lax); every form carries the same value in the hidden field ``csrf_token``
(``{{ csrf_field() }}`` in a template). ``render.page`` checks every POST with
``check_csrf`` (``hmac.compare_digest``) before the view runs and answers 403 otherwise,
so a view never has to remember it. The token is renewed at sign-in and sign-out.
"""
from __future__ import annotations

import hmac
import secrets

from services.gateway import accounts

SESSION_COOKIE = "etalase_session"
CSRF_COOKIE = "etalase_csrf"
CSRF_FIELD = "csrf_token"
_USER_KEY = "etalase.user"


def is_https(request) -> bool:
    """True for HTTPS, directly or behind a TLS-terminating proxy (``X-Forwarded-Proto``)."""
    forwarded = (request.headers.get("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
    return forwarded == "https" or request.scheme == "https"


def cookie_options(request, max_age: int | None = None) -> dict:
    """The flags every cookie of ours carries."""
    return {"max_age": max_age, "path": "/", "httponly": True, "samesite": "Lax", "secure": is_https(request)}


def session_token(request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return token if token else None


def current_user(gw, request) -> dict | None:
    """The signed-in account of this request, or None. Ends the read transaction before
    returning (the caller may make RPC calls next). Cached on the request."""
    if _USER_KEY in request.environ:
        return request.environ[_USER_KEY]
    token = session_token(request)
    user = None
    if token is not None:
        user = accounts.resolve_token(gw.uow.session, token)
        gw.uow.commit()
    request.environ[_USER_KEY] = user
    return user


def set_session(response, request, token: str, ttl_days: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, **cookie_options(request, ttl_days * 86400))


def clear_session(response, request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=is_https(request))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_cookie(request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    return value if value and 20 <= len(value) <= 100 else None


def check_csrf(request) -> bool:
    """The form's ``csrf_token`` equals the browser's ``etalase_csrf`` cookie."""
    cookie = csrf_cookie(request)
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    if cookie is None or not sent:
        return False
    return hmac.compare_digest(cookie.encode("utf-8"), sent.encode("utf-8"))


def set_csrf(response, request, token: str) -> None:
    response.set_cookie(CSRF_COOKIE, token, **cookie_options(request))
