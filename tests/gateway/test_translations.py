"""The web pages' gettext catalogs: every message the code and the templates use has an English
translation with the same placeholders, the template catalog (.pot) is what `pybabel extract`
makes of the sources today, and a page asked for in English comes out in English.

How to add a message and update the catalogs: services/gateway/site/render.py.
"""
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.site import auth, i18n
from services.gateway.site.render import not_found_page

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "services" / "gateway" / "locale"
TEMPLATE_CATALOG = LOCALE_DIR / "messages.pot"
# a printf-style conversion: %(name)s, %s, %d, ... and %% (a percent sign)
CONVERSION = re.compile(r"%(?:\((\w+)\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def read_catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def messages(catalog) -> dict:
    """(context, msgid) -> message, without the header."""
    return {(message.context, message.id): message for message in catalog if message.id}


def conversions(text: str) -> list[str]:
    return sorted(match.group(0) for match in CONVERSION.finditer(text))


def extract_from_sources(output: Path):
    """What the documented `pybabel extract` command makes of the sources now."""
    status = CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "--add-location=file", "--sort-output",
        "-o", str(output), str(ROOT),
    ])
    assert status in (None, 0)
    return read_catalog(output)


@pytest.fixture(scope="module")
def english():
    return read_catalog(i18n.catalog_path("en"))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    return extract_from_sources(tmp_path_factory.mktemp("extract") / "messages.pot")


def test_the_template_catalog_is_up_to_date_with_the_sources(extracted):
    """Run the extract command of render.py's guide when this fails."""
    committed = set(messages(read_catalog(TEMPLATE_CATALOG)))
    found = set(messages(extracted))
    assert sorted(found - committed, key=str) == [], "used in the sources, missing from messages.pot"
    assert sorted(committed - found, key=str) == [], "in messages.pot, no longer used in the sources"


def test_every_message_in_use_has_an_english_translation(extracted, english):
    """Run the update command of render.py's guide, then translate, when this fails."""
    translated = messages(english)
    missing = [key for key in messages(extracted) if key not in translated]
    assert missing == []
    empty = [key for key, message in translated.items() if not all(forms(message.string))]
    assert empty == []
    fuzzy = [key for key, message in translated.items() if message.fuzzy]
    assert fuzzy == []
    assert not english.fuzzy  # a fuzzy header makes gettext tools distrust the whole file
    unused = [key for key in translated if key not in messages(extracted)]
    assert unused == []  # obsolete entries: drop them (`pybabel update --ignore-obsolete`)


def test_the_english_catalog_is_in_sync_with_the_template(english):
    assert set(messages(english)) == set(messages(read_catalog(TEMPLATE_CATALOG)))


def forms(text) -> tuple:
    """A message's text, or each of a plural message's forms."""
    return text if isinstance(text, tuple) else (text,)


def test_placeholders_of_each_translation_match_the_message(english):
    for (context, msgid), message in messages(english).items():
        for source in forms(msgid):
            for string in forms(message.string):
                assert conversions(string) == conversions(source), (context, msgid, message.string)
            assert "%" not in re.sub(r"%\(\w+\)s|%%", "", source), f"only %(name)s placeholders and %%: {msgid!r}"
            values = dict.fromkeys(re.findall(r"%\((\w+)\)s", source), "x")
            # messages are always %-formatted (with or without values): a lone % would break the page
            assert isinstance(source % values, str)
            assert all(isinstance(string % values, str) for string in forms(message.string))


def test_the_catalog_loads_as_the_site_loads_it(english):
    translations = i18n.translations("en")
    for (context, msgid), message in messages(english).items():
        if isinstance(msgid, tuple):  # a count: English has one form for 1 and one for the rest
            singular, plural = msgid
            assert translations.ngettext(singular, plural, 1) == message.string[0]
            assert translations.ngettext(singular, plural, 2) == message.string[1]
            continue
        got = translations.pgettext(context, msgid) if context else translations.gettext(msgid)
        assert got == message.string


def request(path: str, lang: str | None) -> Request:
    builder = EnvironBuilder(path=path, headers={"Cookie": f"{i18n.COOKIE}={lang}"} if lang else {})
    return Request(builder.get_environ())


def test_a_page_asked_for_in_english_is_in_english():
    html = not_found_page(request("/tidak-ada", "en")).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<h1>Page not found</h1>" in html
    assert "Sorry, what you are looking for does not exist or was removed." in html
    assert ">Back to the home page</a>" in html and ">Sign in</a>" in html and ">Skip to content</a>" in html
    assert "Halaman tidak ditemukan" not in html and "Masuk" not in html

    indonesian = not_found_page(request("/tidak-ada", None)).get_data(as_text=True)
    assert '<html lang="id">' in indonesian and "<h1>Halaman tidak ditemukan</h1>" in indonesian


def test_the_sign_in_page_in_english_goes_through_the_page_path():
    """``@page`` with a gateway that has no services: signed out, a GET needs none."""
    gw = SimpleNamespace(settings=SimpleNamespace(max_body_bytes=1_000_000))
    html = auth.sign_in_page(gw, request("/masuk", "en")).get_data(as_text=True)
    assert "<h1>Sign in</h1>" in html and ">Password</label>" in html and "No account yet?" in html
    assert 'placeholder="Search products, e.g. woven cloth, coffee, cashew"' in html
    assert "Kata sandi" not in html

    indonesian = auth.sign_in_page(gw, request("/masuk", "id")).get_data(as_text=True)
    assert "<h1>Masuk</h1>" in indonesian and ">Kata sandi</label>" in indonesian
