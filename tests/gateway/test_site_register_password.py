"""The registration page refuses a weak password (NIST SP 800-63B: too short, common or
breached, repetitive, the account's own name) with the reason under the password field, in
Indonesian or in English as the visitor chose, and keeps nothing; on SQLite and PostgreSQL."""
import re

import pytest
from sqlalchemy import func, select

from services.gateway.models import Account

from gateway_helpers import PASSWORD, assert_html_page, csrf_token


@pytest.fixture
def gateway(start_gateway, database_url):
    """The gateway alone (registering needs no other service), on both databases."""
    return start_gateway(database_url=database_url)


def register(web_session, password: str, name: str = "Wa Ode Sitti"):
    token = csrf_token(web_session, "/daftar")
    return web_session.post("/daftar", data={"csrf_token": token, "name": name, "email": "wa.ode@example.com",
                                             "password": password, "role": "owner"}, allow_redirects=False)


def password_error(html: str) -> str:
    """The message shown under the password field, which the field points to."""
    field = re.search(r'<input id="password"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and "password-error" in field
    return re.search(r'<p class="field-error" id="password-error">([^<]*)</p>', html).group(1)


def accounts_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Account))


@pytest.mark.parametrize("password, message", [
    ("password", "termasuk yang paling sering dipakai atau pernah bocor"),
    ("12345678", "berulang atau berurutan"),
    ("aaaaaaaa", "berulang atau berurutan"),
    ("Sitti2024", "nama atau email Anda"),
    ("kopi12", "Kata sandi minimal 8 karakter."),
])
def test_a_weak_password_is_refused_with_the_reason_by_the_field(gateway, web_session, password, message):
    response = register(web_session, password)
    html = assert_html_page(response, 422)
    assert message in password_error(html)
    assert 'value="Wa Ode Sitti"' in html  # what was typed is kept, the password is not
    assert "value=" not in re.search(r'<input id="password"[^>]*>', html).group(0)
    assert accounts_count(gateway) == 0


def test_the_reason_is_in_english_when_the_visitor_chose_english(gateway, web_session):
    web_session.cookies.set("lang", "en")
    html = assert_html_page(register(web_session, "password"), 422, lang="en")
    assert password_error(html) == ("This password is one of the most commonly used or has appeared in a data "
                                    "breach, so it is easy to guess. Choose another one, for example three or "
                                    "four words together.")
    assert "Common or breached passwords (like password or 12345678) are refused." in html  # the hint


def test_a_good_password_registers(gateway, web_session):
    response = register(web_session, PASSWORD)
    assert response.status_code == 303
    assert accounts_count(gateway) == 1
