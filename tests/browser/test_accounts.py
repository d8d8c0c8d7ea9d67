"""Accounts in a real browser: register as an owner at /daftar, sign out with the header
form, sign in at /masuk; a wrong password, the throttle after repeated failures (429), a
form posted without its CSRF token (403) and the session cookie's flags."""
import uuid
from urllib.parse import parse_qs, urlparse

import pytest

from browser_helpers import PASSWORD, new_account

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WRONG = "Email atau kata sandi salah."


def path_of(page) -> str:
    return urlparse(page.url).path


def fill_sign_in(page, email, password):
    form = page.locator("main form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Kata sandi").fill(password)
    return form.get_by_role("button", name="Masuk")


def submit(page, button):
    """Click a submit button and return the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        button.click()
    return navigation.value


def test_owner_registers_signs_out_and_signs_in_again(page, context, running_platform):
    email = f"pemilik-{uuid.uuid4().hex[:8]}@contoh.id"

    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Akun").get_by_role("link", name="Daftar").click()
    assert path_of(page) == "/daftar"
    form = page.locator("main form")
    form.get_by_label("Nama").fill("Wa Ode Sitti")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Kata sandi").fill(PASSWORD)
    owner_choice = form.get_by_label("Pemilik UMKM / pengurus koperasi")
    assert owner_choice.is_checked()  # owner is the default
    form.get_by_label("Promotor (Dinas, asosiasi, komunitas)").check()
    owner_choice.check()
    submit(page, form.get_by_role("button", name="Daftar"))

    assert path_of(page) == "/pemilik"
    assert page.get_by_role("heading", level=1).inner_text() == "Usaha Saya"
    account_nav = page.get_by_role("navigation", name="Akun")
    assert account_nav.get_by_role("link", name="Wa Ode Sitti").get_attribute("href") == "/pemilik"

    cookies = {c["name"]: c for c in context.cookies()}
    session = cookies["etalase_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Lax" and session["path"] == "/"
    assert session["secure"] is False  # plain HTTP here; Secure under HTTPS (unit tests)
    assert session["expires"] > 0  # a lasting cookie, not a browser-session one
    assert cookies["etalase_csrf"]["httpOnly"] is True and cookies["etalase_csrf"]["sameSite"] == "Lax"
    old_token = session["value"]

    # sign out: the POST form in the header
    submit(page, account_nav.get_by_role("button", name="Keluar"))
    assert path_of(page) == "/"
    assert account_nav.get_by_role("link", name="Masuk").is_visible()
    assert "etalase_session" not in {c["name"] for c in context.cookies()}
    # the old token was revoked, not only forgotten by the browser
    context.add_cookies([{"name": "etalase_session", "value": old_token, "url": running_platform.base_url}])
    page.goto("/pemilik")
    assert path_of(page) == "/masuk"
    context.clear_cookies()

    # a wrong password: the Indonesian message, the email kept, no session
    page.goto("/masuk")
    response = submit(page, fill_sign_in(page, email, "bukan-sandinya"))
    assert response.status == 401
    assert page.get_by_role("alert").inner_text() == WRONG
    assert page.locator("main form").get_by_label("Email").input_value() == email
    assert page.locator("main form").get_by_label("Kata sandi").input_value() == ""
    assert "etalase_session" not in {c["name"] for c in context.cookies()}

    # the right one: back on the owner's page
    submit(page, fill_sign_in(page, email, PASSWORD))
    assert path_of(page) == "/pemilik"
    assert page.get_by_role("navigation", name="Akun").get_by_role("link", name="Wa Ode Sitti").is_visible()
    assert "etalase_session" in {c["name"] for c in context.cookies()}


def test_signed_out_visitor_is_sent_to_sign_in_and_back(page, running_platform):
    email, _ = new_account(running_platform, role="promoter", name="Dinas Koperasi")
    page.goto("/promotor")
    assert path_of(page) == "/masuk"
    assert parse_qs(urlparse(page.url).query)["next"] == ["/promotor"]
    submit(page, fill_sign_in(page, email, PASSWORD))
    assert path_of(page) == "/promotor"
    # an owner page is not for a promoter
    response = page.goto("/pemilik")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Akses ditolak"


def test_sign_in_is_throttled_after_five_failures(page, running_platform):
    email, _ = new_account(running_platform)
    page.goto("/masuk")
    for attempt in range(5):
        response = submit(page, fill_sign_in(page, email, f"salah-{attempt}-sandi"))
        assert response.status == 401, attempt
        assert page.get_by_role("alert").inner_text() == WRONG

    # the sixth is refused before the password is checked, even the right one
    response = submit(page, fill_sign_in(page, email, PASSWORD))
    assert response.status == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Terlalu banyak percobaan" in page.get_by_role("alert").inner_text()
    assert path_of(page) == "/masuk"
    assert "etalase_session" not in {c["name"] for c in page.context.cookies()}


def test_a_form_without_its_csrf_token_is_refused(page, running_platform):
    email, _ = new_account(running_platform)
    page.goto("/masuk")
    button = fill_sign_in(page, email, PASSWORD)
    removed = page.evaluate("""() => { const inputs = document.querySelectorAll('main form input[name=csrf_token]');
        inputs.forEach(e => e.remove()); return inputs.length; }""")
    assert removed == 1
    response = submit(page, button)
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Akses ditolak"
    assert "Formulir sudah kedaluwarsa" in page.get_by_role("alert").inner_text()
    assert "etalase_session" not in {c["name"] for c in page.context.cookies()}

    # a fresh form carries a token again and works
    page.goto("/masuk")
    assert page.locator("main form input[name=csrf_token]").input_value()
    submit(page, fill_sign_in(page, email, PASSWORD))
    assert path_of(page) == "/pemilik"

    # a token from another browser (a forged form) is refused too
    page.evaluate("() => document.querySelectorAll('input[name=csrf_token]').forEach(e => e.value = 'x'.repeat(43))")
    response = submit(page, page.get_by_role("navigation", name="Akun").get_by_role("button", name="Keluar"))
    assert response.status == 403
    assert "etalase_session" in {c["name"] for c in page.context.cookies()}  # still signed in
