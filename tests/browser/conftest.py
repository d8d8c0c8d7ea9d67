"""Browser tests: Playwright for Python driving Debian's chromium (headless) against the real
platform (tests/platform_fixtures.py: the four services as processes on a fresh vhost, one
platform per test module).

Playwright's own browser download cannot work here: the browser is ``CHROMIUM_PATH`` or
``chromium`` on the PATH (``make browser`` installs it). Pages are opened at phone width
(375x740, locale id-ID); navigations to ``wa.me`` are answered locally and recorded
(``outside.whatsapp``), any other request leaving the gateway is recorded in ``outside.blocked``. A JavaScript dialog
(``alert(1)``) fails the test that opened it. ``screenshot(page, "home")`` writes
tests/browser/screenshots/home.png (an ignored folder).

The whole suite runs under eventlet's monkey patch (tests/conftest.py), which breaks
Playwright's asyncio client: its event loop would wait in eventlet's green ``select`` and
stall now and then. The browser fixture gives Playwright an event loop on the original
(unpatched) ``select.poll``, and at the end closes the browser and kills the Playwright
driver instead of waiting for it to exit (the child watcher is a green thread that never
runs while the loop waits).
"""
import asyncio
import os
import shutil
from pathlib import Path

import eventlet
import pytest
from playwright.sync_api import sync_playwright

import sys  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: platform_fixtures
from platform_fixtures import RunningPlatform, running_platform, vhost_uri  # noqa: F401

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 375, "height": 740}


# Under eventlet's monkey patch (tests/conftest.py) Playwright stalls: then only
# test_in_own_process.py is collected, and it runs this folder in a pytest of its own.
if eventlet.patcher.is_monkey_patched("socket"):
    collect_ignore_glob = ["test_buyer.py", "test_accounts.py", "test_roles.py"]


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


_real_select = eventlet.patcher.original("select")
_real_selectors = eventlet.patcher.original("selectors")


class _RealPollSelector(_real_selectors._PollLikeSelector):
    """selectors.PollSelector on the original ``select.poll``, not eventlet's."""

    _selector_cls = _real_select.poll
    _EVENT_READ = _real_select.POLLIN
    _EVENT_WRITE = _real_select.POLLOUT


class _UnpatchedLoopPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self):
        return asyncio.SelectorEventLoop(_RealPollSelector())


def start_playwright():
    """(manager, playwright) with Playwright's event loop on the unpatched poll."""
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(_UnpatchedLoopPolicy())
    try:
        manager = sync_playwright()
        return manager, manager.start()
    finally:
        asyncio.set_event_loop_policy(previous)


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        pytest.fail(f"no chromium at {executable}: run `make browser` or set CHROMIUM_PATH")
    manager, playwright = start_playwright()
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
    try:
        yield browser
    finally:
        browser.close()
        # manager.__exit__() would wait forever for the driver under eventlet: kill it instead.
        proc = getattr(getattr(getattr(manager, "_client", None), "_transport", None), "_proc", None)
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass


class Outside:
    """Requests the pages sent off the machine: wa.me ones are answered locally."""

    def __init__(self):
        self.whatsapp: list[str] = []
        self.blocked: list[str] = []


@pytest.fixture
def outside():
    return Outside()


@pytest.fixture
def context(browser, running_platform, outside):  # noqa: F811 - the imported fixture
    context = browser.new_context(viewport=PHONE, locale="id-ID", base_url=running_platform.base_url,
                                  timezone_id="Asia/Makassar")
    def whatsapp(route):
        outside.whatsapp.append(route.request.url)
        route.fulfill(status=200, content_type="text/html; charset=utf-8",
                      body="<!doctype html><title>WhatsApp (tiruan)</title><p>wa.me</p>")

    # Only wa.me is routed: a handler on every request slows each page load and, under
    # eventlet, can stall one. The pages' CSP keeps every other request on the gateway, and
    # requests that leave it anyway are recorded (``outside.blocked``).
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
