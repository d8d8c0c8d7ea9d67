"""Bahasa Indonesia by default, English when the visitor chooses it: gettext message catalogs.

The choice lives in the ``lang`` cookie, set by ``GET /bahasa?l=en&next=/path`` (see
``auth.switch_language``); ``choose(request)`` reads it.

Indonesian is the source language: the texts in the code and the templates ARE the
Indonesian messages (the msgids), so Indonesian needs no catalog. English is the catalog
``services/gateway/locale/en/LC_MESSAGES/messages.po``; ``messages.pot`` next to the
language folders is the template extracted from the sources. A message the catalog lacks
(or marks fuzzy) shows in Indonesian.

Loading: the .po file itself is the run-time catalog. The first page in a language reads
it with Babel (``read_po``), compiles it in memory (``write_mo``, fuzzy entries left out)
and keeps the resulting ``babel.support.Translations`` for the life of the process. No
.mo file is built or committed, so a fresh clone runs (``make run``, ``make test``) with no
compile step, and what runs is always what the .po says.

Writing messages (see ``render.py`` for the extract / update commands):

- templates: ``{{ _("Cari") }}``, with values ``{{ _("Ditemukan %(n)s produk.", n=total) }}``,
  and ``{{ pgettext("plural", "Kategori") }}`` when one Indonesian text needs two English
  ones. Values are escaped like any text; so is the message itself (a translation is text,
  never HTML).
- views: ``web.gettext("Perubahan disimpan.")``, ``web.gettext("%(n)s usaha.", n=total)``,
  ``web.pgettext(context, text)``, ``web.ngettext(singular, plural, n)``.
- texts defined at import time (module constants): mark them with ``N_("...")`` so that
  extraction finds them, and translate them where they are shown, per request:
  ``web.gettext(NOTICES[key])`` or ``{{ _(facet.title) }}``. (There is no process-wide
  "current language" for a lazy string to read: the language belongs to the request.)
- placeholders are always named, ``%(name)s``; a literal percent sign is written ``%%``,
  because messages are always %-formatted, with or without values (as Jinja's newstyle
  gettext does).

Messages of the services (an error's ``message`` and ``fields``, an import's row errors, a
campaign badge) arrive as finished Indonesian sentences: the services write them through
``shared.messages.t`` with named placeholders, extraction puts those templates in this
catalog (``babel.cfg``), and the pages show them through ``translate_message(lang, text)``,
which finds the template a sentence was made from and fills the English one with the same
values. Use it (or ``translate_fields`` / ``translate_badge``) wherever a page shows a text
that came from a service; never for stored data such as product names.
"""
from __future__ import annotations

import functools
import re
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from markupsafe import Markup, escape

from shared.taxonomy import CATEGORY_NAMES, CATEGORY_NAMES_EN

LANGUAGES = ("id", "en")
DEFAULT = "id"
COOKIE = "lang"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def N_(message: str) -> str:
    """Mark a message defined at import time for extraction; translate it where it is shown."""
    return message


def choose(request) -> str:
    """The visitor's language: the ``lang`` cookie when it names one we have, else Indonesian."""
    value = request.cookies.get(COOKIE)
    return value if value in LANGUAGES else DEFAULT


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _catalog(lang: str) -> Catalog:
    with catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The translations of ``lang``, read from its .po file once per process."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    if lang == DEFAULT:
        return NullTranslations()  # the source language: every message is its own text
    compiled = BytesIO()
    write_mo(compiled, _catalog(lang))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(lang: str, message: str, **values) -> str:
    return translations(lang).gettext(message) % values


def pgettext(lang: str, context: str, message: str, **values) -> str:
    return translations(lang).pgettext(context, message) % values


def ngettext(lang: str, singular: str, plural: str, n: int, **values) -> str:
    values.setdefault("num", n)
    return translations(lang).ngettext(singular, plural, n) % values


# --- the template side (jinja2.ext.i18n, newstyle) ------------------------------------------------
# Jinja wraps these: it passes the page's context, marks the result as markup and %-formats it
# with the call's values, escaping them. Each returns the translation already escaped, so the
# page shows the text exactly as it shows any other text.


def _language(context) -> str:
    lang = context.get("lang")
    return lang if lang in LANGUAGES else DEFAULT


@pass_context
def template_gettext(context, message: str) -> Markup:
    return escape(translations(_language(context)).gettext(message))


@pass_context
def template_pgettext(context, message_context: str, message: str) -> Markup:
    return escape(translations(_language(context)).pgettext(message_context, message))


@pass_context
def template_ngettext(context, singular: str, plural: str, n: int) -> Markup:
    return escape(translations(_language(context)).ngettext(singular, plural, n))


# The months as the pages write a calendar date ("1 Mei 2028"), abbreviated like the moments of
# shared.formatting ("3 Des 2026 08.00 WITA"); each translated per page ("1 May 2028").
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("Mei"), N_("Jun"), N_("Jul"), N_("Agu"), N_("Sep"),
          N_("Okt"), N_("Nov"), N_("Des"))


def calendar_date(lang: str, value) -> str:
    """A calendar date (a ``date`` or "2028-05-01") as the page's language writes it: "1 Mei 2028",
    "1 May 2028". Anything that is not a date is shown as it came ("" for None)."""
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return value
    if not isinstance(value, date):
        return "" if value is None else str(value)
    return f"{value.day} {gettext(lang, MONTHS[value.month - 1])} {value.year}"


def category_label(lang: str, slug, name: str = "") -> str:
    """A category's name in the page's language: the taxonomy's English name in English mode,
    else ``name`` as the service gave it (Indonesian), else the taxonomy's name of ``slug``."""
    if not isinstance(slug, str):
        return name or ""
    if lang == "en" and slug in CATEGORY_NAMES_EN:
        return CATEGORY_NAMES_EN[slug]
    return name or CATEGORY_NAMES.get(slug, "")


@pass_context
def template_category_label(context, slug, name: str = "") -> str:
    return category_label(_language(context), slug, name)


@pass_context
def template_badge_label(context, badge) -> str:
    return translate_badge(_language(context), badge)


@pass_context
def template_calendar_date(context, value) -> str:
    return calendar_date(_language(context), value)


def install(environment) -> None:
    """Give a Jinja environment (with the ``jinja2.ext.i18n`` extension) ``_``, ``gettext``,
    ``ngettext`` and ``pgettext`` in the language of the page being rendered, and the filter
    ``date`` ("2028-05-01" -> "1 Mei 2028" / "1 May 2028")."""
    environment.install_gettext_callables(template_gettext, template_ngettext, newstyle=True,
                                          pgettext=template_pgettext)
    environment.globals["category_label"] = template_category_label
    environment.globals["badge_label"] = template_badge_label
    environment.filters["date"] = template_calendar_date


# --- messages of the services: finished Indonesian sentences, matched back to their template ---

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
BADGE_SEPARATOR = " · "  # promotion joins a product's badges with it ("Produk Unggulan · Diskon 20%")


class _Template:
    """One catalog message with placeholders: an anchored pattern of its finished sentences."""

    def __init__(self, msgid: str, translation: str):
        self.translation = translation
        parts = _PLACEHOLDER.split(msgid)  # literal, name, literal, name, ..., literal
        literals, names = parts[0::2], parts[1::2]
        # the literal text decides which template fits best; a message that is only a value fits anything
        self.literal_length = sum(len(literal) for literal in literals)
        pattern, seen = [], set()
        for index, literal in enumerate(literals):
            pattern.append(re.escape(literal.replace("%%", "%")))
            if index < len(names):
                name = names[index]
                pattern.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
                seen.add(name)
        self.pattern = re.compile("".join(pattern), re.DOTALL)


@functools.cache
def _service_messages(lang: str) -> tuple[dict[str, str], tuple[_Template, ...]]:
    """The catalog of ``lang`` as service messages are matched against it, built once per process:
    the finished text of each message without placeholders -> its translation, and the
    messages with placeholders, the most literal text first."""
    exact: dict[str, str] = {}
    templates = []
    for message in _catalog(lang):
        if not message.id or message.context or message.pluralizable or message.fuzzy or not message.string:
            continue
        if _PLACEHOLDER.search(message.id):
            template = _Template(message.id, message.string)
            if template.literal_length:
                templates.append(template)
        else:
            exact[message.id % {}] = message.string % {}
    templates.sort(key=lambda template: -template.literal_length)
    return exact, tuple(templates)


@functools.cache
def _category_slugs_by_name() -> dict[str, str]:
    return {name: slug for slug, name in CATEGORY_NAMES.items()}


def _translate_value(lang: str, value: str) -> str:
    """A value inside a service message: itself a message (a fetch error inside an import row's
    photo error, a status label), a category's Indonesian name, or data left as it is."""
    slug = _category_slugs_by_name().get(value)
    if slug is not None:
        return category_label(lang, slug, value)
    return translate_message(lang, value)


def translate_message(lang: str, text):
    """A service's message in the page's language. Indonesian: ``text`` itself. English: the
    catalog's translation of ``text``; or, when ``text`` was made from a template with values
    (``t("paling banyak %(max)s karakter", max=120)``), the English template filled with those
    values; else ``text`` unchanged (a message the catalog does not know stays Indonesian).
    Anything that is not a string (an id, a number in ``fields``) is returned as it is."""
    if lang == DEFAULT or lang not in LANGUAGES or not isinstance(text, str) or not text:
        return text
    exact, templates = _service_messages(lang)
    if text in exact:
        return exact[text]
    for template in templates:
        match = template.pattern.fullmatch(text)
        if match is None:
            continue
        values = {name: _translate_value(lang, value) for name, value in match.groupdict().items()}
        try:
            return template.translation % values
        except (KeyError, ValueError, TypeError):  # a broken translation: the sentence as it came
            return text
    return text


def translate_fields(lang: str, fields) -> dict:
    """An error's per-field messages in the page's language (keys unchanged)."""
    if not isinstance(fields, dict):
        return {}
    return {key: translate_message(lang, value) for key, value in fields.items()}


def translate_badge(lang: str, badge):
    """A campaign badge ("Produk Unggulan · Diskon 20%"): each part translated."""
    if not isinstance(badge, str) or not badge:
        return badge
    return BADGE_SEPARATOR.join(_badge_part(lang, part) for part in badge.split(BADGE_SEPARATOR))


def _badge_part(lang: str, part: str) -> str:
    # "Produk Unggulan" is also the home page's section title (plural in English): one product's
    # badge has its own message
    if part == "Produk Unggulan":
        return translations(lang).pgettext("badge", "Produk Unggulan")
    return translate_message(lang, part)
