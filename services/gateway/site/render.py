r"""Rendering HTML pages: the per-request ``Web`` context, the ``page`` decorator, error
pages, security headers and static asset URLs.

How to add a page (see ``buyer.py`` for examples)::

    # services/gateway/site/owner.py
    from services.gateway.site.render import page, require_role

    @page
    @require_role("owner")                      # signed out -> /masuk?next=..., other role -> 403
    def owner_home(web):                        # web: Web (gw, request, user, lang, ...)
        merchants = web.gw.call("catalog", "list_owner_merchants", web.user["id"])
        return web.render("owner/home.html", merchants=merchants)

    # services/gateway/site/routes.py (class SitePages)
    @http("GET", "/pemilik")
    def owner_home(self, request):
        return owner.owner_home(self._gateway(), request)

A view decorated with ``@page`` takes ``(web, *path_values)`` and returns a werkzeug
``Response`` (``web.render``, ``web.redirect``, ``web.error``). ``@page`` also:

- checks the CSRF token of every POST (403 page otherwise), so a view never forgets it;
- turns ``NotFound`` into the 404 page, ``Forbidden`` into 403, ``Unauthorized`` into a
  redirect to ``/masuk``, service outages into a 503 page, anything else into a logged 500
  page (never a traceback, never JSON);
- adds the security headers (CSP without inline scripts, nosniff, Referrer-Policy,
  frame-ancestors 'none') and sets the CSRF cookie when the page used one.

A form with CSRF in a template::

    <form method="post" action="/pemilik/produk">
      {{ csrf_field() }}
      <label for="name">{{ _("Nama produk") }}</label> <input id="name" name="name">
      <button>{{ _("Simpan produk") }}</button>
    </form>

Every template extends ``base.html`` and fills ``{% block title %}`` and ``{% block main %}``;
context available everywhere: ``user`` (or None), ``lang``, ``_``/``gettext``, ``pgettext``,
``ngettext``, ``csrf_field()``, ``form_key_field()`` (in a form that creates something:
``Web.form_idempotency``), ``static_url(path)``, ``request_path``, ``lang_switch_url``;
filters ``rupiah``, ``wita``, ``date`` (a calendar date in the page's language: "1 Mei 2028").
Names of statuses, kinds and decisions are in ``_labels.html``
(``{% import "_labels.html" as labels with context %}``). Shared page helpers (``whole``,
``requested_page``, ``optional``, ``merchant``, categories) are in ``present.py``.
No inline ``<script>`` or ``style=""`` (the CSP forbids them): put JS in
``static/js/`` and CSS in ``static/css/site.css``. Never ``|safe`` on stored data.

Texts a visitor reads are written in Indonesian and translated with gettext (``i18n.py``
explains the calls and how the catalog is loaded). Adding or changing a text, from the
repository root:

1. write it in Indonesian: ``{{ _("Produk baru") }}`` in a template, ``web.gettext("Produk
   baru")`` in a view, ``N_("Produk baru")`` for a module constant; values as
   ``%(name)s`` (``_("Stok: %(n)s", n=stock)``), a literal ``%`` as ``%%``;
2. extract the messages into the template catalog::

       .venv/bin/pybabel extract -F babel.cfg --add-location=file --sort-output \
           --project="Etalase Sultra" -o services/gateway/locale/messages.pot .

3. merge them into the English catalog (new messages arrive with an empty translation;
   messages no longer used are dropped)::

       .venv/bin/pybabel update -i services/gateway/locale/messages.pot \
           -d services/gateway/locale -l en --no-fuzzy-matching --ignore-obsolete

   The same commands collect the services' messages (errors, field messages, import row
   problems, campaign badges): ``babel.cfg`` declares ``t`` (``shared/messages.py``) as a
   keyword for ``services/catalog``, ``services/promotion``, ``services/search``, ``shared`` and
   the gateway's own modules (``services/gateway/*.py``: accounts, throttle, the JSON API), so
   a service writes ``t("paling banyak %(max)s karakter", max=120)`` and a page shows the
   English through ``web.message(text)`` / ``web.field_messages(fields)``
   (``i18n.translate_message``);

4. translate the new entries in ``services/gateway/locale/en/LC_MESSAGES/messages.po``
   (an editor such as Poedit, or by hand) and run
   ``.venv/bin/python -m pytest tests/gateway/test_translations.py``: it fails while a
   message is missing, empty or fuzzy, while a placeholder differs, or while the .pot is
   out of date. Restart the server to see it (the catalog is read once per process).
"""
from __future__ import annotations

import functools
import hashlib
import logging
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup, escape
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from services.gateway.api import catalog_actor
from services.gateway.formatting import format_rupiah, format_wita
from services.gateway.idempotency import fingerprint
from services.gateway.site import i18n, session
from services.gateway.site.i18n import N_
from shared.errors import EtalaseError, Forbidden, NotFound, PayloadTooLarge, Unauthorized
from shared.formatting import WITA
from shared.text import find_unsafe

log = logging.getLogger(__name__)

GATEWAY_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = GATEWAY_DIR / "templates"
STATIC_DIR = GATEWAY_DIR / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    # Pages differ per visitor (language, signed-in name, CSRF token): never shared caches.
    "Cache-Control": "private, no-cache",
    "Vary": "Cookie",
    **SECURITY_HEADERS,
}


ERROR_TITLE = N_("Terjadi kesalahan")
ERROR_TITLES = {403: N_("Akses ditolak"), 404: N_("Halaman tidak ditemukan")}
ERROR_MESSAGE = N_("Terjadi kesalahan pada server. Silakan coba lagi.")
ERROR_MESSAGES = {
    403: N_("Anda tidak berhak membuka halaman ini."),
    404: N_("Maaf, yang Anda cari tidak ada atau sudah dihapus."),
    503: N_("Layanan sedang tidak tersedia. Silakan coba lagi beberapa saat lagi."),
}
CSRF_REFUSED = N_("Formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")


# --- static asset URLs (content-hashed, so they can be cached for a year) --------------


@functools.cache
def static_version(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    except OSError:
        return "0"


def static_url(path: str) -> str:
    """``static_url("css/site.css")`` -> ``/static/css/site.css?v=<content hash>``."""
    return f"/static/{quote(path)}?v={static_version(path)}"


def _parse_iso(value):
    if isinstance(value, datetime) or value is None:
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


@pass_context
def wita(context, value) -> str:
    """A datetime or ISO string in WITA, in the page's language: "3 Des 2026 08.00 WITA",
    "3 Dec 2026 08:00 WITA"; "" when it is not one."""
    moment = _parse_iso(value)
    lang = context.get("lang")
    if moment is None or lang not in i18n.LANGUAGES or lang == i18n.DEFAULT:
        return format_wita(moment) or ""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(WITA)
    return f"{i18n.calendar_date(lang, local.date())} {local:%H:%M} WITA"


def rupiah(value) -> str:
    return format_rupiah(value) if isinstance(value, int) and not isinstance(value, bool) else ""


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    i18n.install(env)
    env.filters["rupiah"] = rupiah
    env.filters["wita"] = wita
    env.globals["static_url"] = static_url
    return env


# --- the per-request context -------------------------------------------------------------

_UNSET = object()


FORM_KEY_FIELD = "form_key"
# The form's key made something else already (the form was sent, then changed and sent again).
FORM_SENT_BEFORE = N_("Formulir ini sudah pernah dikirim dengan isian lain, dan kiriman itu sudah tersimpan. "
                      "Periksa daftar Anda dahulu; kirim lagi bila isian ini memang data baru.")
_FORM_KEY = re.compile(r"[0-9a-f]{32}")


def _is_form_key(value: Any) -> bool:
    return isinstance(value, str) and _FORM_KEY.fullmatch(value) is not None


class Web:
    """What a page view needs: the gateway (``gw.call``, ``gw.uow``), the request, the
    visitor (``user``), the language, and the cookies the response must set."""

    def __init__(self, gw, request):
        self.gw = gw
        self.request = request
        self.lang = i18n.choose(request)
        self._user = _UNSET
        self._csrf: str | None = None
        self._new_csrf = False
        self._form_key: str | None = None
        self.cookie_actions: list = []  # callables(response) run by ``finish``

    # who
    @property
    def user(self) -> dict | None:
        if self._user is _UNSET:
            self._user = session.current_user(self.gw, self.request)
        return self._user

    @property
    def actor(self) -> dict:
        """The signed-in account as the services take it: ``{"id", "role"}``."""
        return catalog_actor(self.user)

    # texts in the visitor's language (see i18n.py)
    def gettext(self, message: str, **values) -> str:
        return i18n.gettext(self.lang, message, **values)

    def pgettext(self, context: str, message: str, **values) -> str:
        return i18n.pgettext(self.lang, context, message, **values)

    def ngettext(self, singular: str, plural: str, n: int, **values) -> str:
        return i18n.ngettext(self.lang, singular, plural, n, **values)

    def message(self, text):
        """A message a service sent (an error's message, a field's, an import row's problem)."""
        return i18n.translate_message(self.lang, text)

    def field_messages(self, fields) -> dict[str, str]:
        """An error's ``fields`` as ``{field: message}`` texts in the visitor's language."""
        return {str(key): str(value) for key, value in i18n.translate_fields(self.lang, fields).items()}

    # CSRF
    @property
    def csrf_token(self) -> str:
        if self._csrf is None:
            self._csrf = session.csrf_cookie(self.request)
            if self._csrf is None:
                self.renew_csrf()
        return self._csrf

    def renew_csrf(self) -> None:
        self._csrf = session.new_csrf_token()
        self._new_csrf = True

    def csrf_field(self) -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(session.CSRF_FIELD, self.csrf_token)

    # Submit once: a form that creates something carries a key of its own (``form_key_field``);
    # the create RPC gets it as its idempotency key, so a double tap, or sending the form again
    # after an answer that never came, gets what the first made instead of a second one.
    @property
    def form_key(self) -> str:
        """The key the form being shown carries: the one it was sent with (shown again after a
        refusal, nothing was made), else a new one."""
        if self._form_key is None:
            posted = self.request.form.get(FORM_KEY_FIELD) if self.request.method == "POST" else None
            self._form_key = posted if _is_form_key(posted) else uuid.uuid4().hex
        return self._form_key

    def renew_form_key(self) -> None:
        """The form shown next makes something new (its key already made something else)."""
        self._form_key = uuid.uuid4().hex

    def form_key_field(self) -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(FORM_KEY_FIELD, self.form_key)

    def form_idempotency(self, data: Any, purpose: str = "") -> dict | None:
        """The create RPC's ``idempotency`` for the posted form and what it asks (``data``),
        or None when the form carries no key (an old page). ``purpose`` tells apart a second
        thing the same form makes (the new product's photo)."""
        key = self.request.form.get(FORM_KEY_FIELD)
        if not _is_form_key(key):
            return None
        return {"key": f"form:{key}" + (f":{purpose}" if purpose else ""),
                "fingerprint": fingerprint("POST", self.request.path + (f"#{purpose}" if purpose else ""), data)}

    # responses
    def context(self) -> dict:
        path = self.request.full_path.rstrip("?") if self.request.query_string else self.request.path
        other = "en" if self.lang == "id" else "id"
        return {
            "lang": self.lang,
            "user": self.user,
            "role_home_url": role_home(self.user),
            "csrf_field": self.csrf_field,
            "form_key_field": self.form_key_field,
            "request_path": self.request.path,
            "lang_switch_url": "/bahasa?" + urlencode({"l": other, "next": path}),
        }

    def render(self, template: str, status: int = 200, headers: dict | None = None, **context) -> Response:
        html = environment().get_template(template).render(**self.context(), **context)
        return self.finish(Response(html, status=status, headers={**HTML_HEADERS, **(headers or {})}))

    def redirect(self, location: str, status: int = 303) -> Response:
        response = Response("", status=status, headers={"Location": location, **SECURITY_HEADERS,
                                                         "Cache-Control": "no-store"})
        return self.finish(response)

    def error(self, status: int, message: str | None = None, title: str | None = None) -> Response:
        """The error page: 403, 404, 500, 503 ... in the visitor's language."""
        title = title or self.gettext(ERROR_TITLES.get(status, ERROR_TITLE))
        message = message or self.gettext(ERROR_MESSAGES.get(status, ERROR_MESSAGE))
        return self.render("error.html", status=status, title=title, message=message)

    def finish(self, response: Response) -> Response:
        if self._new_csrf and self._csrf:
            session.set_csrf(response, self.request, self._csrf)
        for action in self.cookie_actions:
            action(response)
        return response


def minimal_error_page(status: int) -> Response:
    """When even the error template cannot render."""
    html = ('<!doctype html><html lang="id"><meta charset="utf-8"><title>Etalase Sultra</title>'
            "<p>Terjadi kesalahan pada server. Silakan coba lagi.</p></html>")
    return Response(html, status=status, headers=HTML_HEADERS)


def page_without_worker(request, status: int) -> Response:
    """The error page for a request no worker handles: a path no route knows (404), a request
    shed because the gateway is full (503). Rendered without database or services, so the
    header shows the visitor as signed out."""
    try:
        web = Web(None, request)
        web._user = None
        return web.error(status)
    except Exception:  # noqa: BLE001 - an error page must not fail
        log.exception("error page %s failed", status)
        return minimal_error_page(status)


def not_found_page(request) -> Response:
    return page_without_worker(request, 404)


def login_url(request) -> str:
    path = request.full_path.rstrip("?") if request.query_string else request.path
    return "/masuk?" + urlencode({"next": path})


def page(view=None, *, max_body: int | None = None):
    """Make ``view(web, *args)`` an HTML page function ``(gw, request, *args) -> Response``.
    See the module docstring for what it adds. ``@page(max_body=20_000_000)`` raises the
    request body limit (default: the gateway's ``max_body_bytes``) for upload forms."""
    if view is None:
        return functools.partial(page, max_body=max_body)

    @functools.wraps(view)
    def wrapper(gw, request, *args, **kwargs):
        web = Web(gw, request)
        try:
            request.max_content_length = max_body or gw.settings.max_body_bytes
            if request.method == "POST" and not session.check_csrf(request):
                log.info("refused a POST to %s without a valid CSRF token", request.path)
                web.renew_csrf()  # the next form works
                return web.error(403, web.gettext(CSRF_REFUSED))
            if find_unsafe([*args, *kwargs.values()], multiline=False) is not None:
                return web.error(404)  # a path with a control character names nothing
            unsafe = find_unsafe(dict(request.args.lists()), multiline=False)
            if unsafe is not None:
                return web.error(400, web.message(unsafe[1]))
            return view(web, *args, **kwargs)
        except RequestEntityTooLarge:
            return web.error(413, web.message(PayloadTooLarge().message))
        except NotFound:
            return web.error(404)
        except Unauthorized:
            return web.redirect(login_url(request))
        except Forbidden as exc:
            return web.error(403, web.message(exc.message))
        except EtalaseError as exc:
            if exc.status == 413:
                return web.error(413, web.message(exc.message))
            log.warning("page %s failed: %s", request.path, exc)
            return web.error(503 if exc.status >= 500 else exc.status,
                             None if exc.status >= 500 else web.message(exc.message))
        except Exception:  # noqa: BLE001 - a broken page is still a page, never JSON or a traceback
            log.exception("page %s failed", request.path)
            try:
                return web.error(500)
            except Exception:  # noqa: BLE001
                return minimal_error_page(500)

    return wrapper


def require_role(*roles: str):
    """Inside ``@page``: signed-out visitors go to ``/masuk?next=<this page>``; a signed-in
    visitor of another role gets the 403 page. ``web.user`` is set in the view."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(web, *args, **kwargs):
            if web.user is None:
                return web.redirect(login_url(web.request))
            if roles and web.user.get("role") not in roles:
                return web.error(403)
            return view(web, *args, **kwargs)

        return wrapper

    return decorate


ROLE_HOMES = {"owner": "/pemilik", "promoter": "/promotor", "admin": "/admin"}


def role_home(user: dict | None) -> str:
    return ROLE_HOMES.get((user or {}).get("role"), "/")


def safe_next(value) -> str | None:
    """A local path to go back to, or None: "/produk/1?x=2" yes; "//evil", "https://..",
    "/\\evil", control characters no."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return None
    if value.startswith("//") or value.startswith("/\\") or any(ord(ch) < 32 or ch == "\\" for ch in value):
        return None
    return value


__all__ = ["Web", "page", "require_role", "role_home", "safe_next", "static_url", "environment", "escape"]
