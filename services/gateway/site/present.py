"""Page helpers shared by the view modules: reading page parameters, fetching the sections a
page can do without, and shaping service answers (merchants, categories) for templates.

A helper that two view modules need lives here, once; what only one page family uses stays
beside its views.
"""
from __future__ import annotations

import logging
import math
import re
from urllib.parse import quote

from services.gateway.site.i18n import N_, category_label
from services.gateway.site.render import static_url
from shared.errors import EtalaseError
from shared.regions import region_name
from shared.taxonomy import CATEGORY_NAMES, PARENT_OF, PARENT_SLUGS

log = logging.getLogger(__name__)

SECTION_TIMEOUT = 1.5  # seconds: an optional section never holds the page up for long


def whole(value) -> int | None:
    """``value`` when it is an int (not a bool), else None: numbers from service answers."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def count(value) -> int:
    """A count or an amount from a service answer: 0 when it is missing or not a number."""
    return whole(value) or 0


def valid_id(value) -> bool:
    """An id from a URL worth asking a service about (the services check the rest)."""
    return isinstance(value, str) and 1 <= len(value) <= 64


def requested_page(value, highest: int | None = None) -> int:
    """``?page=`` as a number from 1 (and at most ``highest``); a hand-edited URL gives page 1."""
    try:
        number = max(1, int(value or 1))
    except ValueError:
        return 1
    return min(number, highest) if highest is not None else number


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` items fill, at least one."""
    return max(1, math.ceil(total / per_page)) if per_page > 0 else 1


def page_links(page_number: int, pages: int, link) -> dict:
    """``{"prev", "next"}``: the neighbouring pages' URLs (None past either end); ``link(n)``
    makes page n's URL."""
    return {"prev": link(page_number - 1) if page_number > 1 else None,
            "next": link(page_number + 1) if page_number < pages else None}


def url_path(*parts: str) -> str:
    """Path segments quoted for a URL: ``url_path("a/b", "c")`` -> ``a%2Fb/c``."""
    return "/".join(quote(str(part), safe="") for part in parts)


def field_messages(web, exc: EtalaseError) -> str:
    """The field messages of a refusal, in one line in the visitor's language ("" when it has none)."""
    return " ".join(web.message(message) for message in (exc.fields or {}).values() if isinstance(message, str))


def optional(gw, service: str, method: str, *args, timeout: float = SECTION_TIMEOUT, **kwargs):
    """``gw.call`` for a section the page can do without: None (logged) on any failure."""
    try:
        return gw.call(service, method, *args, timeout=timeout, **kwargs)
    except EtalaseError as exc:
        log.warning("page section %s.%s hidden: %s", service, method, exc)
    except Exception:  # noqa: BLE001 - an optional section never breaks the page
        log.warning("page section %s.%s hidden", service, method, exc_info=True)
    return None


def merchant(merchant: dict) -> dict:
    """A merchant as the templates show it, for every audience: profile, status and credentials,
    every field present (missing text is "", missing numbers None). The views add what is
    their own (the owner's edit links, the buyer's WhatsApp flag, the admin's decisions)."""
    credentials = merchant.get("credentials") if isinstance(merchant.get("credentials"), dict) else {}
    logo = merchant.get("logo") if isinstance(merchant.get("logo"), dict) else {}
    logo_urls = logo.get("urls") if isinstance(logo.get("urls"), dict) else {}
    merchant_id = merchant.get("id") if isinstance(merchant.get("id"), str) else ""
    return {
        "id": merchant_id,
        "url": "/usaha/" + url_path(merchant_id) if merchant_id else None,
        "name": merchant.get("name") or "",
        "kind": merchant.get("kind") or "",
        "region": merchant.get("region") or "",
        "region_name": merchant.get("region_name") or region_name(str(merchant.get("region") or "")) or "",
        "whatsapp": merchant.get("whatsapp") or "",
        "address": merchant.get("address") or "",
        "description": merchant.get("description") or "",
        "logo": logo_urls.get("thumb") or logo_urls.get("medium"),
        "created_at": merchant.get("created_at"),
        "status": merchant.get("status") or "pending",
        "status_reason": merchant.get("status_reason") or "",
        "verified": merchant.get("verified") is True,
        "nib": credentials.get("nib") or "",
        "pirt": credentials.get("pirt_number") or "",
        "halal_number": credentials.get("halal_number") or "",
        "halal_expires_on": credentials.get("halal_expires_on") or "",
        "halal_valid": credentials.get("halal_valid") is True,
        "legal_number": credentials.get("legal_number") or "",
        "member_count": whole(credentials.get("member_count")),
        "last_rat_year": whole(credentials.get("last_rat_year")),
    }


def category_options(categories, lang: str = "id") -> list[dict]:
    """``catalog.list_categories`` as options: slug, name and the parent's name ("" for none),
    in the page's language."""
    options = []
    for entry in categories if isinstance(categories, list) else []:
        if isinstance(entry, dict) and entry.get("slug"):
            parent = entry.get("parent") if isinstance(entry.get("parent"), dict) else {}
            options.append({"slug": entry["slug"],
                            "name": category_label(lang, entry["slug"], entry.get("name") or entry["slug"]),
                            "parent": category_label(lang, parent.get("slug"), parent.get("name") or "")})
    return options


def category_groups(options: list[dict]) -> list[dict]:
    """Options grouped under their parent's name, in the order the catalog lists them."""
    groups: dict[str, list] = {}
    for option in options:
        groups.setdefault(option["parent"], []).append(option)
    return [{"name": name, "categories": items} for name, items in groups.items()]


# --- rupiah amounts as people type them -------------------------------------------------------

RUPIAH_HINT = N_("Tulis harga dalam rupiah, mis. 100000, 100.000 atau Rp 100.000.")
MAX_RUPIAH = 1_000_000_000_000


def parse_rupiah(text) -> int | None:
    """An amount of rupiah as Indonesians type it: ``100000``, ``100.000``, ``Rp 100.000``,
    ``Rp100.000,-``, ``100.000,00`` -> 100000; blank -> None. Dots and spaces group thousands;
    a comma starts the sen (only zeros are accepted: prices are whole rupiah). Anything else
    (words, a minus, sen that are not zero, more than a trillion) raises ``ValueError`` with
    ``RUPIAH_HINT`` (a message id: views translate it)."""
    if text is None:
        return None
    if isinstance(text, int) and not isinstance(text, bool):
        if 0 <= text <= MAX_RUPIAH:
            return text
        raise ValueError(RUPIAH_HINT)
    value = str(text).strip().lower()
    if not value:
        return None
    value = re.sub(r"^rp\.?\s*", "", value)
    value = re.sub(r",-$", "", value).replace(" ", "").replace("\u00a0", "")
    whole_part, comma, sen = value.partition(",")
    if comma and not re.fullmatch(r"0{1,2}", sen):
        raise ValueError(RUPIAH_HINT)
    if not re.fullmatch(r"\d{1,3}(\.\d{3})+|\d+", whole_part):
        raise ValueError(RUPIAH_HINT)
    amount = int(whole_part.replace(".", ""))
    if amount > MAX_RUPIAH:
        raise ValueError(RUPIAH_HINT)
    return amount


# --- a picture for every product ---------------------------------------------------------------

PLACEHOLDER_DIR = "img/kategori"
OTHER_PLACEHOLDER = "lainnya"


def placeholder_photo(category, category_name: str = "") -> dict:
    """The illustration of the product's parent category (one SVG per parent in
    ``static/img/kategori/``, served with the static files' long cache), for a product without
    a photo: ``{"src", "alt", "placeholder": True}``. ``category`` is a leaf or parent slug;
    unknown or missing ones get the generic illustration. The alt text says it is an
    illustration (a message id with ``%(category)s``: templates translate it)."""
    slug = category if isinstance(category, str) else ""
    parent = PARENT_OF.get(slug) or (slug if slug in PARENT_SLUGS else OTHER_PLACEHOLDER)
    name = category_name or CATEGORY_NAMES.get(parent, "")
    return {"src": static_url(f"{PLACEHOLDER_DIR}/{parent}.svg"), "placeholder": True, "category": name,
            "category_slug": slug or parent}
