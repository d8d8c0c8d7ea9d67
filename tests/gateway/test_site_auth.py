"""Web sign-in, registration, sign-out, CSRF and sign-in throttling over HTTP (the real
gateway container on a real RabbitMQ vhost and database), plus the throttle functions on
SQLite and PostgreSQL."""
import re
from datetime import timedelta

import pytest

from services.gateway import accounts, throttle
from shared.errors import Unauthorized
from shared.events import utcnow

from gateway_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    create_admin_account,
    csrf_token,
    register_on_site,
    sign_in_on_site,
)


@pytest.fixture
def gateway(start_gateway):
    """The gateway alone: signing in needs no other service."""
    return start_gateway()


def cookie_header(response, name):
    cookies = response.raw.headers.getlist("Set-Cookie")
    matching = [c for c in cookies if c.startswith(name + "=")]
    assert matching, cookies
    return matching[0]


def test_register_signs_in_and_goes_to_the_role_home(gateway, web_session):
    response = register_on_site(web_session)
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik"
    cookie = cookie_header(response, "etalase_session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    html = web_session.get("/").text
    assert "Wa Ode" in html and 'action="/keluar"' in html and 'href="/masuk"' not in html


def test_register_promoter_and_errors(gateway, web_session):
    assert register_on_site(web_session, "promotor@example.com", role="promoter").headers["Location"] == "/promotor"
    web_session.cookies.clear()
    response = register_on_site(web_session, "promotor@example.com")
    assert response.status_code == 409 and "Email sudah terdaftar." in response.text
    token = csrf_token(web_session, "/daftar")
    response = web_session.post("/daftar", data={"csrf_token": token, "name": "<b>X</b>", "email": "bukan-email",
                                                 "password": "pendek", "role": "admin"})
    assert response.status_code == 422
    html = response.text
    assert "Format email tidak valid." in html and "Kata sandi minimal 8 karakter." in html
    assert 'value="bukan-email"' in html and "Peran harus salah satu dari" in html


def test_sign_in_out_and_cookie_flags_under_https(gateway, web_session):
    register_on_site(web_session)
    web_session.cookies.clear()
    response = sign_in_on_site(web_session, "WA.ODE@example.com", PASSWORD, **{"X-Forwarded-Proto": "https"})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik"
    cookie = cookie_header(response, "etalase_session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie and "Max-Age=" in cookie
    assert "Secure" in cookie_header(response, "etalase_csrf")  # a fresh CSRF token comes with the session
    # requests does not send Secure cookies over http: copy the session cookie by hand
    session_value = re.match(r"etalase_session=([^;]+)", cookie).group(1)
    web_session.cookies.set("etalase_session", session_value)
    html = web_session.get("/").text
    assert "Wa Ode" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = web_session.post("/keluar", data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert re.match(r"etalase_session=;", cookie_header(response, "etalase_session"))
    # the token itself is revoked, not only forgotten by the browser
    web_session.cookies.set("etalase_session", session_value)
    assert "Wa Ode" not in web_session.get("/").text


def test_sign_in_goes_back_to_a_local_next_only(gateway, web_session, ):
    register_on_site(web_session)
    web_session.cookies.clear()
    response = sign_in_on_site(web_session, "wa.ode@example.com", PASSWORD, "/produk/p1")
    assert response.headers["Location"] == "/produk/p1"
    web_session.cookies.clear()
    response = sign_in_on_site(web_session, "wa.ode@example.com", PASSWORD, "//evil.example")
    assert response.headers["Location"] == "/pemilik"


def test_admin_goes_to_admin(gateway, web_session):
    create_admin_account(gateway)
    assert sign_in_on_site(web_session, ADMIN_EMAIL, ADMIN_PASSWORD).headers["Location"] == "/admin"


def test_wrong_password_is_an_indonesian_message(gateway, web_session):
    register_on_site(web_session)
    web_session.cookies.clear()
    response = sign_in_on_site(web_session, "wa.ode@example.com", "salah-sekali")
    assert response.status_code == 401 and "Email atau kata sandi salah." in response.text
    assert "etalase_session" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("token", [None, "", "palsu-palsu-palsu-palsu-palsu"])
def test_a_post_without_the_right_csrf_token_is_refused(gateway, web_session, token):
    register_on_site(web_session)
    web_session.cookies.clear()
    csrf_token(web_session)  # the browser has a CSRF cookie, the form does not carry it
    data = {"email": "wa.ode@example.com", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = web_session.post("/masuk", data=data, allow_redirects=False)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Formulir sudah kedaluwarsa" in response.text and '<html lang="id">' in response.text
    assert "etalase_session=" not in response.headers.get("Set-Cookie", "")
    assert web_session.post("/keluar", data=data, allow_redirects=False).status_code == 403
    # with the token it is accepted
    assert sign_in_on_site(web_session, "wa.ode@example.com", PASSWORD).status_code == 303


def test_a_post_without_any_csrf_cookie_is_refused(gateway, web_session):
    response = web_session.post("/daftar", data={"csrf_token": "x" * 43, "name": "Wa Ode",
                                                 "email": "a@example.com", "password": PASSWORD, "role": "owner"})
    assert response.status_code == 403


def test_web_sign_in_is_throttled_after_five_failures(gateway, web_session):
    register_on_site(web_session)
    web_session.cookies.clear()
    for _ in range(5):
        assert sign_in_on_site(web_session, "wa.ode@example.com", "salah-sekali").status_code == 401
    response = sign_in_on_site(web_session, "wa.ode@example.com", PASSWORD)  # even the right password
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Terlalu banyak percobaan masuk yang gagal" in response.text and "menit" in response.text
    assert "etalase_session=" not in response.headers.get("Set-Cookie", "")
    # another email from the same address is not locked yet (the address allows 20)
    assert sign_in_on_site(web_session, "lain@example.com", "salah-sekali").status_code == 401


def test_api_sign_in_is_throttled_after_five_failures(gateway, web_session):
    register_on_site(web_session)
    for _ in range(5):
        response = web_session.post("/api/v1/sessions", json={"email": "wa.ode@example.com", "password": "salah!!!"})
        assert response.status_code == 401
    response = web_session.post("/api/v1/sessions", json={"email": "wa.ode@example.com", "password": PASSWORD})
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "too_many_requests" and "Terlalu banyak percobaan" in error["message"]
    assert 0 < int(error["fields"]["retry_after"]) <= 15 * 60
    assert response.headers["Retry-After"] == error["fields"]["retry_after"]


def test_api_sign_in_is_throttled_per_address_across_emails(gateway, web_session):
    for n in range(20):
        response = web_session.post("/api/v1/sessions", json={"email": f"orang{n}@example.com", "password": "salah!!!"})
        assert response.status_code == 401, response.text
    response = web_session.post("/api/v1/sessions", json={"email": "orang-baru@example.com", "password": "salah!!!"})
    assert response.status_code == 429, response.text


def test_an_unknown_path_is_an_html_page_for_browsers_and_json_for_the_api(gateway, web_session):
    page = web_session.get("/tidak-ada-halaman", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404
    assert page.headers["Content-Type"].startswith("text/html") and "Content-Security-Policy" in page.headers
    assert '<html lang="id"' in page.text
    api = web_session.get("/api/v1/tidak-ada", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    plain = web_session.get("/tidak-ada-halaman")
    assert plain.status_code == 404 and plain.json()["error"]["code"] == "not_found"


# --- the throttle functions, on SQLite and PostgreSQL ------------------------------------------


def test_throttle_counts_per_email_and_per_address(migrated):
    factory = migrated("gateway")
    now = utcnow()
    with factory() as session:
        for _ in range(4):
            throttle.record_failure(session, "a@example.com", "10.0.0.1", now)
        throttle.check(session, "a@example.com", "10.0.0.1", now)  # 4 < 5
        throttle.record_failure(session, "a@example.com", "10.0.0.1", now)
        with pytest.raises(throttle.TooManyRequests) as info:
            throttle.check(session, "a@example.com", "10.0.0.9", now + timedelta(minutes=5))
        assert info.value.status == 429 and info.value.retry_after == 10 * 60
        assert info.value.headers == {"Retry-After": "600"}
        throttle.check(session, "b@example.com", "10.0.0.1", now)  # 5 failures from the address < 20
        assert throttle.retry_after(session, "a@example.com", None, now + timedelta(minutes=15, seconds=1)) is None
        for n in range(15):
            throttle.record_failure(session, f"u{n}@example.com", "10.0.0.1", now)
        with pytest.raises(throttle.TooManyRequests):
            throttle.check(session, "new@example.com", "10.0.0.1", now)
        throttle.check(session, "new@example.com", "10.0.0.2", now)
        throttle.clear(session, "a@example.com")
        assert throttle.retry_after(session, "a@example.com", None, now) is None
        session.commit()


def test_sign_in_records_failures_durably_and_clears_them_on_success(migrated):
    factory = migrated("gateway")
    with factory() as session:
        accounts.create_account(session, "c@example.com", PASSWORD, "Cici", "owner")
        session.commit()
    for _ in range(4):
        with factory() as session:
            with pytest.raises(Unauthorized):
                accounts.sign_in(session, "c@example.com", "salah-salah", release=session.commit, ip="10.1.1.1")
            session.rollback()  # what the caller does after the error: the failure stays counted
    with factory() as session:
        assert accounts.sign_in(session, "C@example.com", PASSWORD, release=session.commit, ip="10.1.1.1")
        session.commit()
    with factory() as session:
        assert throttle.retry_after(session, "c@example.com", None) is None
        for _ in range(5):
            with pytest.raises(Unauthorized):
                accounts.sign_in(session, "c@example.com", "salah-salah", release=session.commit)
        with pytest.raises(throttle.TooManyRequests):
            accounts.sign_in(session, "c@example.com", PASSWORD, release=session.commit)
