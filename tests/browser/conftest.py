"""Browser tests: Playwright for Python driving Debian's chromium (headless) against the real
platform (tests/platform_fixtures.py: the four services as processes on a fresh vhost). One
platform serves every browser test module: each test makes its own accounts and names
(``unique_word``), and together they stay far below the gateway's limit of failed sign-ins
per client address.

Playwright's own browser download cannot work here: the browser is ``CHROMIUM_PATH`` or
``chromium`` on the PATH (``make browser`` installs it). Pages are opened at phone width
(390x844, locale id-ID, time zone Asia/Makassar i.e. WITA); navigations to ``wa.me`` are
answered locally and recorded (``outside.whatsapp``), any other request leaving the gateway
is recorded in ``outside.blocked``. A JavaScript dialog (``alert(1)``) fails the test that
opened it. ``screenshot(page, "home")`` writes tests/browser/screenshots/home.png (an
ignored folder).

These tests run in a pytest process of the suite, which eventlet has monkey patched
(tests/conftest.py): Playwright runs on an event loop that never waits in eventlet's hub
(hub_free_playwright.py). In a plain pytest run they come after all the other tests, so that
their platform, which lives until the end of the session, is not running beside the rest.
Under pytest-xdist (make test) they are one group, all in one worker with one platform;
that worker takes them first, as the largest group, and their idle platform then costs it
about 1 % of a core.
"""
import os
import shutil
from pathlib import Path

import pytest
from phone_layout import PHONE_390, SCREENSHOTS

from hub_free_playwright import start_playwright
from platform_fixtures import fresh_vhost, platform_on

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Browser tests last, in their own order."""
    items.sort(key=lambda item: item.path.is_relative_to(HERE))


@pytest.fixture(scope="session")
def running_platform(tmp_path_factory):
    with fresh_vhost() as amqp_uri, platform_on(amqp_uri, tmp_path_factory.mktemp("browser-var")) as platform:
        yield platform


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        pytest.fail(f"no chromium at {executable}: run `make browser` or set CHROMIUM_PATH")
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    playwright = start_playwright()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


class Outside:
    """Requests the pages sent off the machine: wa.me ones are answered locally."""

    def __init__(self):
        self.whatsapp: list[str] = []
        self.blocked: list[str] = []


@pytest.fixture
def outside():
    return Outside()


@pytest.fixture
def context(browser, running_platform, outside):
    context = browser.new_context(viewport=PHONE_390, locale="id-ID", base_url=running_platform.base_url,
                                  timezone_id="Asia/Makassar")
    def whatsapp(route):
        outside.whatsapp.append(route.request.url)
        route.fulfill(status=200, content_type="text/html; charset=utf-8",
                      body="<!doctype html><title>WhatsApp (tiruan)</title><p>wa.me</p>")

    # Only wa.me (and the contact redirect) are routed: a handler on every request slows each
    # page load. The pages' CSP keeps every other request on the gateway, and requests that
    # leave it anyway are recorded (``outside.blocked``).
    def contact(route):
        # The gateway answers /produk/<id>/hubungi with a 303 to wa.me (counting the click);
        # a redirect target is not routed, so follow it here without leaving the machine.
        answer = route.fetch(max_redirects=0)
        location = answer.headers.get("location", "")
        if answer.status in (301, 302, 303, 307, 308) and location.startswith("https://wa.me/"):
            outside.whatsapp.append(location)
            return route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                 body="<!doctype html><title>WhatsApp (tiruan)</title><p>wa.me</p>")
        return route.fulfill(response=answer)

    context.route("https://wa.me/**", whatsapp)
    context.route("**/produk/*/hubungi", contact)
    local = running_platform.base_url
    context.on("request", lambda request: None if request.url.startswith((local, "data:", "https://wa.me/"))
               else outside.blocked.append(request.url))
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def dialogs():
    return []


@pytest.fixture
def page(context, dialogs):
    """A page at phone width; a JavaScript dialog (alert, confirm) fails the test."""
    page = context.new_page()

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    assert dialogs == [], f"a JavaScript dialog fired: {dialogs}"


@pytest.fixture(scope="session")
def screenshot():
    """``screenshot(page, "home")`` -> tests/browser/screenshots/home.png (whole page)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
