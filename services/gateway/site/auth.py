"""Signing in, registering, signing out, and the language switch.

    GET/POST /masuk     sign-in form; success: session cookie + 303 to ``next`` (a local
                        path) or the role's home (``render.ROLE_HOMES``: /pemilik, /promotor,
                        /admin); too many failures: 429 with Retry-After (throttle.py)
    GET/POST /daftar    registration as owner or promoter, then signed in
    POST     /keluar    revokes the token, clears the cookie, 303 to /
    GET      /bahasa?l=en&next=/path   sets the ``lang`` cookie, 303 back to ``next``
"""
from __future__ import annotations

from services.gateway import accounts
from services.gateway.client_address import client_ip
from services.gateway.site import i18n, session
from services.gateway.site.render import page, role_home, safe_next
from services.gateway.throttle import TooManyRequests
from shared.errors import Conflict, Unauthorized, ValidationFailed


def _signed_in(web, token: str, user: dict | None, next_path: str | None):
    """Set the session cookie (and a fresh CSRF token) and go on."""
    ttl_days = web.gw.settings.session_ttl_days
    web.cookie_actions.append(lambda response: session.set_session(response, web.request, token, ttl_days))
    web.renew_csrf()
    return web.redirect(next_path or role_home(user))


@page
def sign_in_page(web):
    if web.request.method == "GET":
        next_path = safe_next(web.request.args.get("next"))
        if web.user is not None:
            return web.redirect(next_path or role_home(web.user))
        return web.render("signin.html", next=next_path or "", email="", error=None)

    form = web.request.form
    email = (form.get("email") or "").strip()[:254]
    password = form.get("password") or ""
    next_path = safe_next(form.get("next"))
    gw = web.gw
    try:
        token = accounts.sign_in(gw.uow.session, email, password, ttl_days=gw.settings.session_ttl_days,
                                 release=gw.uow.commit, ip=client_ip(web.request, gw.settings.trusted_proxies))
        gw.uow.commit()
    except TooManyRequests as exc:
        gw.uow.rollback()
        return web.render("signin.html", status=429, headers=exc.headers, next=next_path or "", email=email,
                          error=web.message(exc.message))
    except Unauthorized as exc:
        gw.uow.rollback()
        return web.render("signin.html", status=401, next=next_path or "", email=email,
                          error=web.message(exc.message))
    user = accounts.resolve_token(gw.uow.session, token)
    gw.uow.commit()
    return _signed_in(web, token, user, next_path)


@page
def register_page(web):
    if web.request.method == "GET":
        if web.user is not None:
            return web.redirect(role_home(web.user))
        return web.render("register.html", values={"role": "owner"}, errors={}, error=None)

    form = web.request.form
    values = {name: (form.get(name) or "").strip() for name in ("name", "email", "role")}
    password = form.get("password") or ""
    gw = web.gw
    try:
        account = accounts.create_account(gw.uow.session, values["email"], password, values["name"], values["role"])
        gw.uow.commit()
    except (ValidationFailed, Conflict) as exc:
        gw.uow.rollback()
        return web.render("register.html", status=exc.status, values=values, errors=web.field_messages(exc.fields),
                          error=web.gettext("Periksa kembali isian Anda."))
    token = accounts.sign_in(gw.uow.session, account["email"], password, ttl_days=gw.settings.session_ttl_days,
                             release=gw.uow.commit, ip=client_ip(web.request, gw.settings.trusted_proxies))
    gw.uow.commit()
    return _signed_in(web, token, account, None)


@page
def sign_out(web):
    token = session.session_token(web.request)
    if token:
        accounts.sign_out(web.gw.uow.session, token)
        web.gw.uow.commit()
    web.cookie_actions.append(lambda response: session.clear_session(response, web.request))
    web.renew_csrf()
    return web.redirect("/")


@page
def switch_language(web):
    lang = web.request.args.get("l")
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT
    web.cookie_actions.append(lambda response: response.set_cookie(
        i18n.COOKIE, lang, max_age=365 * 86400, path="/", samesite="Lax", secure=session.is_https(web.request)))
    return web.redirect(safe_next(web.request.args.get("next")) or "/")
