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
"""
from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

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
def translations(lang: str) -> NullTranslations:
    """The translations of ``lang``, read from its .po file once per process."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    if lang == DEFAULT:
        return NullTranslations()  # the source language: every message is its own text
    with catalog_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
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


def install(environment) -> None:
    """Give a Jinja environment (with the ``jinja2.ext.i18n`` extension) ``_``, ``gettext``,
    ``ngettext`` and ``pgettext`` in the language of the page being rendered."""
    environment.install_gettext_callables(template_gettext, template_ngettext, newstyle=True,
                                          pgettext=template_pgettext)
    environment.globals["category_label"] = template_category_label
