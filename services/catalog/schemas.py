"""Validation of catalog inputs.

Plain code rather than pydantic: the gateway shows ``fields`` to sellers as they are, so
each field gets one short Indonesian sentence, and every problem is reported at once.
Each ``validate_*`` returns a clean dict or raises ``ValidationFailed``; nothing here
touches the database.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from shared.api_fields import MERCHANT, PRODUCT, VERIFICATION
from shared.errors import ValidationFailed
from shared.messages import t
from shared.regions import REGIONS
from shared.taxonomy import LEAF_SLUGS, PARENT_SLUGS
from shared.text import UnsafeText, clean_text

# Limits, enums and required lists come from the published request descriptions
# (shared/api_fields.py), which the gateway's OpenAPI document is generated from.
MERCHANT_KINDS = MERCHANT["kind"].enum
MAX_PRICE = PRODUCT["price"].maximum
MAX_STOCK = PRODUCT["stock"].maximum
DEFAULT_UNIT = "pcs"

MERCHANT_PROFILE_FIELDS = ("name", "region", "whatsapp", "description", "address")
CREDENTIAL_FIELDS = (
    "nib", "pirt_number", "halal_number", "halal_expires_on", "legal_number", "member_count", "last_rat_year",
)
KOPERASI_ONLY_FIELDS = ("legal_number", "member_count", "last_rat_year")
MERCHANT_FIELDS = tuple(MERCHANT.fields)
MERCHANT_REQUIRED = MERCHANT.required
MAX_MEMBER_COUNT = MERCHANT["member_count"].maximum
FIRST_RAT_YEAR = MERCHANT["last_rat_year"].minimum
PRODUCT_FIELDS = tuple(PRODUCT.fields)
PRODUCT_REQUIRED = PRODUCT.required
PATCHABLE_PRODUCT_FIELDS = tuple(f for f in PRODUCT_FIELDS if f != "merchant_id")

REQUIRED = t("wajib diisi")
INVALID = t("Data tidak valid: periksa kolom yang ditandai.")
NO_CHANGES = t("Tidak ada perubahan: kirim setidaknya satu kolom yang ingin diubah.")


class _Invalid(Exception):
    """One field's problem; collected by ``_validate``."""


# --- single-field checks: return the clean value or raise _Invalid(message) ---


def _text(value, *, min_len: int, max_len: int, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise _Invalid(t("harus berupa teks"))
    value = _clean(value, multiline=multiline).strip()
    if not min_len <= len(value) <= max_len:
        if min_len == 0:
            raise _Invalid(t("paling banyak %(max)s karakter", max=max_len))
        raise _Invalid(t("harus %(min)s–%(max)s karakter", min=min_len, max=max_len))
    return value


def _optional_text(value, *, max_len: int, multiline: bool = False) -> str:
    # None and "" both mean "no description".
    if value is None:
        return ""
    return _text(value, min_len=0, max_len=max_len, multiline=multiline)


def _clean(value: str, *, multiline: bool = False) -> str:
    """NFC, and no control characters (shared/text.py); line breaks only in long texts."""
    try:
        return clean_text(value, multiline=multiline)
    except UnsafeText as problem:
        raise _Invalid(problem.message) from None


def _whole_number(value, *, what: str) -> int:
    # bool is an int subclass in Python: True must not become 1 rupiah.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(t("harus berupa angka bulat (%(what)s)", what=what))
    if isinstance(value, float):
        if not value.is_integer():
            raise _Invalid(t("harus berupa angka bulat tanpa pecahan (%(what)s)", what=what))
        value = int(value)
    return value


def _limits(spec) -> dict:
    return {"min_len": spec.min_length, "max_len": spec.max_length}


def check_name(value) -> str:
    # A merchant's and a product's name have the same limits.
    return _text(value, **_limits(PRODUCT["name"]))


def check_kind(value) -> str:
    if value not in MERCHANT_KINDS:
        raise _Invalid(t("harus 'umkm' atau 'koperasi'"))
    return value


def check_region(value) -> str:
    if not isinstance(value, str) or value.strip() not in REGIONS:
        raise _Invalid(t("kode wilayah tidak dikenal; pilih salah satu dari 17 kabupaten/kota Sulawesi Tenggara "
                         "(mis. 7471 untuk Kota Kendari)"))
    return value.strip()


_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")


def normalize_whatsapp(value) -> str:
    """08…, 628… or +628… (spaces, dashes, dots allowed) -> +628…"""
    message = t("nomor WhatsApp tidak valid; gunakan nomor seluler Indonesia, mis. 0812-3456-7890")
    if not isinstance(value, str):
        raise _Invalid(message)
    number = _PHONE_SEPARATORS.sub("", value)
    if number.startswith("+62"):
        national = number[3:]
    elif number.startswith("62"):
        national = number[2:]
    elif number.startswith("0"):
        national = number[1:]
    else:
        raise _Invalid(message)
    # Indonesian mobile numbers: 8 then 8–11 more digits (08xx-xxxx-xxxx is 10–13 digits).
    if not national.isdigit() or not national.startswith("8") or not 9 <= len(national) <= 12:
        raise _Invalid(message)
    return "+62" + national


def check_price(value) -> int:
    value = _whole_number(value, what=t("rupiah"))
    if not 0 < value <= MAX_PRICE:
        raise _Invalid(t("harus lebih dari Rp 0 dan paling banyak Rp 1.000.000.000"))
    return value


def check_stock(value) -> int:
    value = _whole_number(value, what=t("jumlah barang"))
    if not 0 <= value <= MAX_STOCK:
        raise _Invalid(t("harus antara 0 dan 1.000.000"))
    return value


def check_unit(value) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_UNIT
    return _text(value, min_len=1, max_len=PRODUCT["unit"].max_length)


def check_category(value) -> str:
    if isinstance(value, str) and value in PARENT_SLUGS:
        raise _Invalid(t("pilih subkategori, bukan kategori induk"))
    if not isinstance(value, str) or value not in LEAF_SLUGS:
        raise _Invalid(t("kategori tidak dikenal"))
    return value


def check_halal(value) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _Invalid(t("harus true atau false"))
    return value


def check_merchant_id(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(REQUIRED)
    return value.strip()


PRODUCT_STATUSES = PRODUCT["status"].enum
MAX_TAGS = PRODUCT["tags"].max_items
MAX_TAG_LENGTH = PRODUCT["tags"].items.max_length
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def check_sku(value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _SKU.match(value.strip()):
        raise _Invalid(t("1–64 karakter: huruf, angka, titik, garis bawah, garis miring atau tanda hubung"))
    return value.strip()


def check_compare_at_price(value) -> int | None:
    if value is None:
        return None
    return check_price(value)


def check_tags(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise _Invalid(t("harus berupa daftar teks"))
    tags: list[str] = []
    for tag in value:
        tag = " ".join(_clean(tag, multiline=True).split()).lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise _Invalid(t("setiap tag paling banyak 30 karakter"))
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise _Invalid(t("paling banyak %(max)s tag", max=MAX_TAGS))
    return tags


def check_status(value) -> str:
    if value not in PRODUCT_STATUSES:
        raise _Invalid(t("harus 'draft', 'published' atau 'archived'"))
    return value


def check_member_business(value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, min_len=3, max_len=PRODUCT["member_business"].max_length)


# --- merchant credentials (all optional: None or "" means "none") ---

WITA = timezone(timedelta(hours=8), "WITA")  # Asia/Makassar, no daylight saving


def wita_today() -> date:
    """Today's date in Sulawesi Tenggara (WITA, UTC+8)."""
    return datetime.now(WITA).date()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_NIB = re.compile(r"^[0-9]{13}$")
_PIRT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-]{4,38}[A-Za-z0-9]$")
_HALAL_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./\-]{4,58}[A-Za-z0-9]$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def check_nib(value) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str) or not _NIB.match(value.strip()):
        raise _Invalid(t("NIB harus tepat 13 angka"))
    return value.strip()


def check_pirt_number(value) -> str | None:
    """e.g. "P-IRT 2157401010123-27" or only the digits."""
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise _Invalid(t("harus berupa teks"))
    value = " ".join(value.split())
    if not _PIRT.match(value):
        raise _Invalid(t("harus 6–40 karakter: huruf, angka, spasi, titik atau tanda hubung (mis. P-IRT 2157401010123-27)"))
    return value


def check_halal_number(value) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise _Invalid(t("harus berupa teks"))
    value = " ".join(value.split())
    if not _HALAL_NUMBER.match(value):
        raise _Invalid(t("harus 6–60 karakter: huruf, angka, spasi, titik, garis miring atau tanda hubung"))
    return value


def check_halal_expires_on(value) -> date | None:
    if _blank(value):
        return None
    message = t("harus berupa tanggal dengan format TTTT-BB-HH (mis. 2027-12-31)")
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        raise _Invalid(message)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise _Invalid(message) from None
    if not 2000 <= day.year <= 2100:
        raise _Invalid(t("tahun harus antara 2000 dan 2100"))
    return day


def check_legal_number(value) -> str | None:
    if _blank(value):
        return None
    return _text(value, min_len=3, max_len=MERCHANT["legal_number"].max_length)


def check_member_count(value) -> int | None:
    if value is None:
        return None
    value = _whole_number(value, what=t("jumlah anggota"))
    if not 1 <= value <= MAX_MEMBER_COUNT:
        raise _Invalid(t("harus antara 1 dan 1.000.000"))
    return value


def check_last_rat_year(value) -> int | None:
    if value is None:
        return None
    value = _whole_number(value, what=t("tahun"))
    this_year = wita_today().year
    if not FIRST_RAT_YEAR <= value <= this_year:
        raise _Invalid(t("harus tahun antara %(first)s dan %(last)s", first=FIRST_RAT_YEAR, last=this_year))
    return value


MERCHANT_CHECKS = {
    "name": check_name,
    "kind": check_kind,
    "region": check_region,
    "whatsapp": normalize_whatsapp,
    "description": lambda v: _optional_text(v, max_len=MERCHANT["description"].max_length, multiline=True),
    "address": lambda v: _optional_text(v, max_len=MERCHANT["address"].max_length, multiline=True),
    "nib": check_nib,
    "pirt_number": check_pirt_number,
    "halal_number": check_halal_number,
    "halal_expires_on": check_halal_expires_on,
    "legal_number": check_legal_number,
    "member_count": check_member_count,
    "last_rat_year": check_last_rat_year,
}

PRODUCT_CHECKS = {
    "merchant_id": check_merchant_id,
    "name": check_name,
    "description": lambda v: _optional_text(v, max_len=PRODUCT["description"].max_length, multiline=True),
    "price": check_price,
    "stock": check_stock,
    "unit": check_unit,
    "category": check_category,
    "halal": check_halal,
    "sku": check_sku,
    "compare_at_price": check_compare_at_price,
    "tags": check_tags,
    "status": check_status,
    "member_business": check_member_business,
}

PRODUCT_DEFAULTS = {
    "description": "", "unit": DEFAULT_UNIT, "halal": False, "sku": None, "compare_at_price": None,
    "tags": [], "status": "published", "member_business": None,
}


def check_prices_together(price: int, compare_at_price: int | None) -> None:
    """The "was" price only makes sense above the price."""
    if compare_at_price is not None and compare_at_price <= price:
        raise ValidationFailed(INVALID, fields={"compare_at_price": t("harus lebih besar dari harga")})


# --- whole-payload validation ---


def _require_object(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed(t("Data harus berupa objek JSON."))
    return data


def _validate(data: dict, checks: dict, required: tuple, defaults: dict, read_only: tuple = ()) -> dict:
    errors: dict[str, str] = {}
    clean: dict = {}
    for key in data:
        if key in read_only:
            errors[key] = t("tidak dapat diubah")
        elif key not in checks:
            errors[str(key)] = t("kolom tidak dikenal")
    for field, check in checks.items():
        if field in read_only:
            continue
        if field not in data or (data[field] is None and field in required):
            if field in required:
                errors[field] = REQUIRED
            elif field in defaults:
                clean[field] = defaults[field]
            continue
        try:
            clean[field] = check(data[field])
        except _Invalid as problem:
            errors[field] = str(problem)
    if errors:
        raise ValidationFailed(INVALID, fields=errors)
    return clean


def _merchant_rules(given: dict, merged: dict, errors: dict) -> None:
    """Rules across fields, on the merchant as it would be (``merged``): koperasi-only
    fields, and a halal certificate number always with its expiry date. Adds to ``errors``
    only for fields that have no problem yet."""
    def add(field: str, message: str) -> None:
        errors.setdefault(field, message)

    if merged.get("kind") == "umkm":
        for field in KOPERASI_ONLY_FIELDS:
            if field in given and not _blank(given[field]):
                add(field, t("hanya untuk koperasi"))
    if "halal_number" in errors or "halal_expires_on" in errors:
        return
    if merged.get("halal_number") and merged.get("halal_expires_on") is None:
        add("halal_expires_on", t("wajib diisi bersama nomor sertifikat halal"))
    elif merged.get("halal_expires_on") is not None and not merged.get("halal_number"):
        add("halal_number", t("wajib diisi bersama tanggal berlaku sertifikat halal"))


def _collect(data: dict, **options) -> tuple[dict, dict]:
    """``_validate`` that returns (clean, errors) instead of raising. With errors, ``clean``
    still holds the fields that passed, so the rules across fields can look at them."""
    try:
        return _validate(data, MERCHANT_CHECKS, **options), {}
    except ValidationFailed as failed:
        errors = dict(failed.fields)
    clean = {key: MERCHANT_CHECKS[key](value) for key, value in data.items() if key in MERCHANT_CHECKS and key not in errors}
    return clean, errors


def validate_merchant(data) -> dict:
    """A new merchant. Optional fields left out stay out of the result (the domain fills
    in the model's defaults)."""
    data = _require_object(data)
    clean, errors = _collect(data, required=MERCHANT_REQUIRED, defaults={"description": ""})
    _merchant_rules(data, clean, errors)
    if errors:
        raise ValidationFailed(INVALID, fields=errors)
    return clean


def validate_merchant_patch(data, current: dict | None = None) -> dict:
    """The fields to change, cleaned. ``current`` (the stored merchant's values) lets the
    rules across fields see the merchant as it would be: kind, halal number and date.
    ``kind`` cannot change (sending the current kind again is allowed); at least one field."""
    data = _require_object(data)
    if not data:
        raise ValidationFailed(NO_CHANGES)
    current = current or {}
    data = dict(data)
    errors: dict[str, str] = {}
    if "kind" in data:
        if current.get("kind") is not None and data["kind"] == current["kind"]:
            del data["kind"]
        else:
            errors["kind"] = t("tidak dapat diubah")
            del data["kind"]
    for field in MERCHANT_REQUIRED:
        if field in data and data[field] is None:
            errors[field] = REQUIRED
            del data[field]
    clean, problems = _collect(data, required=(), defaults={})
    errors.update(problems)
    merged = {**current, **clean}
    _merchant_rules(data, merged, errors)
    if errors:
        raise ValidationFailed(INVALID, fields=errors)
    return clean


VERIFICATION_DECISIONS = VERIFICATION["decision"].enum
REASON_REQUIRED_FOR = ("rejected", "suspended")


def validate_verification(decision, reason) -> tuple[str, str | None]:
    """An admin's decision and its reason (required to reject or suspend)."""
    errors = {}
    if decision not in VERIFICATION_DECISIONS:
        errors["decision"] = t("harus 'verified', 'rejected', 'suspended' atau 'reinstated'")
    clean_reason = None
    if not _blank(reason):
        try:
            clean_reason = _text(reason, **_limits(VERIFICATION["reason"]), multiline=True)
        except _Invalid as problem:
            errors["reason"] = str(problem)
    elif decision in REASON_REQUIRED_FOR:
        errors["reason"] = t("wajib diisi untuk menolak atau membekukan usaha")
    if errors:
        raise ValidationFailed(t("Keputusan verifikasi tidak valid."), fields=errors)
    return decision, clean_reason


def validate_product_create(data) -> dict:
    data = _require_object(data)
    clean = _validate(data, PRODUCT_CHECKS, required=PRODUCT_REQUIRED, defaults=PRODUCT_DEFAULTS)
    check_prices_together(clean["price"], clean["compare_at_price"])
    return clean


def validate_product_patch(data) -> dict:
    """Same rules as create for the fields present; at least one; ``merchant_id`` is fixed."""
    data = _require_object(data)
    if not data:
        raise ValidationFailed(NO_CHANGES)
    # In a patch no field is required, and an absent field keeps its value (no defaults).
    return _validate(data, PRODUCT_CHECKS, required=(), defaults={}, read_only=("merchant_id",))
