"""Pure pieces of the web layer: safe redirects, messages, WhatsApp numbers, pagination, rupiah
amounts as typed, category illustrations."""
from datetime import date, datetime

import pytest

from services.gateway.site import i18n, present
from services.gateway.site.buyer import page_numbers, search_link, whatsapp_digits
from services.gateway.site.render import STATIC_DIR, environment, role_home, safe_next
from shared.taxonomy import TAXONOMY


@pytest.mark.parametrize("value, expected", [
    ("/produk/p1?x=2", "/produk/p1?x=2"), ("/", "/"), ("//evil.example", None), ("/\\evil.example", None),
    ("https://evil.example/", None), ("javascript:alert(1)", None), ("/a\r\nSet-Cookie: x=1", None), (None, None),
    ("", None),
])
def test_safe_next(value, expected):
    assert safe_next(value) == expected


def test_translate_falls_back_to_indonesian_then_to_the_key():
    """gettext: the English catalog when it has the message, else the message itself (the
    Indonesian text, which is also what an unknown message shows)."""
    assert i18n.gettext("en", "Produk Unggulan") == "Featured products"
    assert i18n.gettext("id", "Produk Unggulan") == "Produk Unggulan"
    assert i18n.gettext("en", "Etalase Sultra") == "Etalase Sultra"  # the same in both languages
    assert i18n.gettext("en", "tidak.ada") == "tidak.ada"
    assert i18n.gettext("id", "RAT terakhir %(year)s", year=2025) == "RAT terakhir 2025"
    assert i18n.gettext("en", "RAT terakhir %(year)s", year="<b>") == "Last annual meeting <b>"
    html = environment().from_string('{{ _("RAT terakhir %(year)s", year=v) }}').render(lang="en", v="<b>")
    assert html == "Last annual meeting &lt;b&gt;"  # values are escaped by autoescape


@pytest.mark.parametrize("lang, n, text", [("en", 1, "1 product found."), ("en", 45, "45 products found."),
                                           ("en", 0, "0 products found."), ("id", 1, "Ditemukan 1 produk."),
                                           ("id", 45, "Ditemukan 45 produk.")])
def test_counts_take_the_plural_form_of_the_language(lang, n, text):
    template = '{{ ngettext("Ditemukan %(num)s produk.", "Ditemukan %(num)s produk.", n) }}'
    assert environment().from_string(template).render(lang=lang, n=n) == text
    with pytest.raises(ValueError):
        i18n.translations("fr")


@pytest.mark.parametrize("lang, value, text", [
    ("id", "2028-05-01", "1 Mei 2028"), ("en", "2028-05-01", "1 May 2028"), ("en", "2026-12-31", "31 Dec 2026"),
    ("id", datetime(2026, 8, 17, 9, 0), "17 Agu 2026"), ("en", date(2026, 10, 5), "5 Oct 2026"),
    ("en", "besok", "besok"), ("en", None, ""),
])
def test_a_calendar_date_is_written_in_the_language_of_the_page(lang, value, text):
    assert i18n.calendar_date(lang, value) == text
    assert environment().from_string("{{ value | date }}").render(lang=lang, value=value) == text


@pytest.mark.parametrize("number, digits", [("+62 812-3456-7890", "6281234567890"), ("081234567890", "6281234567890"),
                                            ("", ""), (None, ""), ("12", "")])
def test_whatsapp_digits(number, digits):
    assert whatsapp_digits(number) == digits


def test_page_numbers_and_links():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_numbers(2, 3) == [1, 2, 3]
    assert search_link("/", {"q": "kopi", "halal": "ya"}, page=2, halal=None) == "/?q=kopi&page=2"


def test_role_homes():
    assert [role_home({"role": r}) for r in ("owner", "promoter", "admin")] == ["/pemilik", "/promotor", "/admin"]
    assert role_home(None) == "/"


def test_nameko_run_finds_only_the_gateway_service():
    """``nameko run services.gateway.service`` takes every class with entry points in the
    module for a service: the SitePages mixin must not be one of them."""
    from nameko.cli.utils.import_services import import_services

    from services.gateway.service import GatewayService

    assert import_services("services.gateway.service") == [GatewayService]


@pytest.mark.parametrize("typed, amount", [
    ("100000", 100000), ("100.000", 100000), ("Rp 100.000", 100000), ("Rp100.000", 100000), ("rp. 100.000", 100000),
    ("Rp 100.000,-", 100000), ("100.000,00", 100000), (" 1.250.000 ", 1250000), ("100 000", 100000), ("0", 0),
    ("", None), ("   ", None), (None, None), (15000, 15000),
])
def test_rupiah_as_indonesians_type_it(typed, amount):
    assert present.parse_rupiah(typed) == amount


@pytest.mark.parametrize("typed", ["murah", "-5", "100,5", "100.000,50", "1.00", "10.0000", "Rp", "1e5", "100.000.",
                                   "1.000.000.000.001", -1, True])
def test_unreadable_rupiah_says_how_to_write_it(typed):
    with pytest.raises(ValueError, match="Rp 100.000"):
        present.parse_rupiah(typed)


def test_every_parent_category_has_its_illustration():
    for parent in TAXONOMY:
        photo = present.placeholder_photo(parent["children"][0]["slug"])
        assert photo["src"].startswith(f"/static/img/kategori/{parent['slug']}.svg?v=")
        assert photo["placeholder"] is True and photo["category"] == parent["name"]
        svg = (STATIC_DIR / "img" / "kategori" / f"{parent['slug']}.svg").read_text()
        assert 'role="img"' in svg and "<title" in svg and len(svg) < 2000
    assert present.placeholder_photo("tidak-ada")["src"].startswith("/static/img/kategori/lainnya.svg?v=")
    assert present.placeholder_photo(None)["category"] == ""


@pytest.mark.parametrize("lang, text", [("id", "3 Des 2026 08.00 WITA"), ("en", "3 Dec 2026 08:00 WITA")])
def test_a_time_in_wita_is_written_in_the_language_of_the_page(lang, text):
    template = environment().from_string("{{ when | wita }}")
    assert template.render(lang=lang, when="2026-12-03T00:00:00+00:00") == text
    assert template.render(lang=lang, when="not a time") == ""
