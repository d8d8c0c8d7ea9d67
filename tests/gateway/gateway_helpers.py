"""Helpers for the gateway tests: accounts and signing in, over the JSON API and through the
web forms, and the checks every JSON error and every HTML page of the gateway must pass."""
from __future__ import annotations

import re

import eventlet
from sqlalchemy import select

from services.gateway import accounts
from services.gateway.admin import create_admin
from services.gateway.models import Account

PASSWORD = "kain-tenun-123"
ADMIN_EMAIL = "kurator@dinas.example"
ADMIN_PASSWORD = "rahasia-kurator-1"

SCRIPT = "<script>alert(1)</script>"  # in fake data: every page must show it escaped
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- answers --------------------------------------------------------------------------------


def assert_error(response, status: int, code: str, field: str | None = None, other_keys=()) -> dict:
    """The gateway's JSON error: ``{"error": {"code", "message", "fields"}}`` and nothing
    else beside it but ``other_keys``; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", *other_keys}, body
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field is not None:
        assert field in body["error"]["fields"], body
    return body


def assert_html_page(response, status: int = 200, lang: str = "id") -> str:
    """A page of the site: its status, the security headers, the language, no inline script
    or style and no unescaped test script; returns the HTML."""
    assert response.status_code == status, response.text[:3000]
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "img-src 'self' data:", "form-action 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert re.search(r"<script(?! src=\"/static/)", html) is None  # no inline scripts at all
    assert ' style="' not in html and "<style" not in html
    assert SCRIPT not in html
    return html


def wait_for(predicate, timeout: float = 5.0) -> bool:
    """Polls ``predicate`` until it holds (for what the gateway sends without waiting)."""
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        eventlet.sleep(0.05)
    return predicate()


# --- the JSON API ---------------------------------------------------------------------------


def create_account(web_session, email: str, role: str = "owner", name: str = "Wa Ode") -> dict:
    response = web_session.post("/api/v1/accounts", json={"email": email, "password": PASSWORD, "name": name,
                                                          "role": role})
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(web_session, email: str, password: str = PASSWORD) -> dict:
    """Signs in over the API; returns the Authorization header of the new session."""
    response = web_session.post("/api/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def register_and_sign_in(web_session, email: str = "wa.ode@example.com", role: str = "owner") -> tuple[dict, str]:
    """A new account, signed in: its Authorization header and its id."""
    account = create_account(web_session, email, role)
    return sign_in(web_session, email), account["id"]


def create_admin_account(session_factory) -> dict:
    """Admins are not registered through the gateway: one made in its database."""
    with session_factory() as session:
        admin = create_admin(session, ADMIN_EMAIL, "Kurator Dinas", ADMIN_PASSWORD)
        session.commit()
    return admin


def approve_promoter(session_factory, email: str) -> None:
    """A promoter starts pending: approved here, in the gateway's database, as an admin would."""
    with session_factory() as session:
        account_id = session.scalar(select(Account.id).where(Account.email == email))
        accounts.decide_approval(session, "kurator-test", account_id, "approved")
        session.commit()


def sign_in_admin(session_factory, web_session) -> tuple[dict, dict]:
    """A new admin signed in over the API: its Authorization header and its account."""
    admin = create_admin_account(session_factory)
    return sign_in(web_session, ADMIN_EMAIL, ADMIN_PASSWORD), admin


# --- the web forms --------------------------------------------------------------------------


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def csrf_token(web_session, path: str = "/masuk") -> str:
    """The CSRF token of the form on ``path`` (getting the page also sets the CSRF cookie)."""
    return form_token(web_session.get(path).text)


def register_on_site(web_session, email: str = "wa.ode@example.com", role: str = "owner", name: str = "Wa Ode",
                     **headers):
    """Posts the registration form; returns the response (not followed)."""
    token = csrf_token(web_session, "/daftar")
    return web_session.post("/daftar", data={"csrf_token": token, "name": name, "email": email,
                                             "password": PASSWORD, "role": role}, headers=headers,
                            allow_redirects=False)


def sign_in_on_site(web_session, email: str, password: str = PASSWORD, next_path: str = "", **headers):
    """Posts the sign-in form; returns the response (not followed)."""
    token = csrf_token(web_session)
    return web_session.post("/masuk", data={"csrf_token": token, "email": email, "password": password,
                                            "next": next_path}, headers=headers, allow_redirects=False)


def sign_in_admin_on_site(session_factory, web_session) -> None:
    """A new admin signed in through the sign-in form, sent on to the admin pages."""
    create_admin_account(session_factory)
    response = sign_in_on_site(web_session, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/admin"
