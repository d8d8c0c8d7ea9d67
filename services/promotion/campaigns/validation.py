"""Validation of campaign input: every field of a create (or of an edit of a draft or
scheduled campaign, merged into its current input), each bad field named in one
ValidationFailed. Times are ISO 8601 with an offset ("2026-12-03T08:00:00+08:00" or "...Z");
a start up to ``START_GRACE`` in the past is still accepted (clock skew, slow forms).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from services.promotion.campaigns.times import UTC, aware
from services.promotion.models import Campaign
from shared.api_fields import CAMPAIGN, DISCOUNT, MEMBERSHIP, TARGET
from shared.errors import ValidationFailed
from shared.messages import t
from shared.regions import REGIONS
from shared.taxonomy import ALL_SLUGS
from shared.text import clean_field

START_GRACE = timedelta(minutes=5)  # a start this far in the past is still accepted (clock skew, slow forms)
# Limits and enums from the published request descriptions (shared/api_fields.py), which
# the gateway's OpenAPI document is generated from.
DISCOUNT_TYPES = DISCOUNT["type"].enum
FUNDERS = CAMPAIGN["funded_by"].enum
MERCHANT_KINDS = TARGET["merchant_kind"].enum
NAME_MIN, NAME_MAX = CAMPAIGN["name"].min_length, CAMPAIGN["name"].max_length
DESCRIPTION_MAX = CAMPAIGN["description"].max_length
MAX_TARGET_PRODUCTS = TARGET["product_ids"].max_items
MAX_PRODUCTS_LIMIT = CAMPAIGN["max_products"].maximum
MAX_FIXED_DISCOUNT = DISCOUNT["value"].maximum
MAX_BUDGET = CAMPAIGN["budget"].maximum
MAX_SELECTED_PRODUCTS = MEMBERSHIP["product_ids"].max_items  # product ids in one opt-in or opt-out
MAX_ID = MEMBERSHIP["product_id"].max_length

CATEGORIES = ALL_SLUGS  # a campaign targets parent or leaf categories


def parse_time(value, field: str, errors: dict) -> datetime | None:
    """An ISO 8601 time with an offset, as UTC; None (and what is wrong in ``errors``) otherwise."""
    if value is None or value == "":
        errors[field] = t("Wajib diisi (ISO 8601 dengan zona waktu, mis. 2026-12-03T08:00:00+08:00).")
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            errors[field] = t("Format waktu tidak valid; gunakan ISO 8601, mis. 2026-12-03T08:00:00+08:00.")
            return None
    else:
        errors[field] = t("Harus berupa teks waktu ISO 8601.")
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        errors[field] = t("Waktu harus menyertakan zona waktu (mis. +08:00 untuk WITA atau Z untuk UTC).")
        return None
    return moment.astimezone(UTC)


def int_field(value, field: str, errors: dict, low: int, high: int, message: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = message
        return None
    return value


def bool_field(value, field: str, errors: dict, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        errors[field] = t("Harus true atau false.")
        return default
    return value


def string_list(value, field: str, errors: dict) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        errors[field] = t("Harus berupa daftar teks.")
        return []
    seen: dict[str, None] = {}
    for item in value:
        seen.setdefault(item.strip(), None)
    return list(seen)


def validate_target(target, errors: dict) -> dict:
    if target is None:
        target = {}
    if not isinstance(target, dict):
        errors["target"] = t("Harus berupa objek penargetan.")
        return {}
    product_ids = string_list(target.get("product_ids"), "target.product_ids", errors)
    if len(product_ids) > MAX_TARGET_PRODUCTS:
        errors["target.product_ids"] = t("Paling banyak %(max)s produk.", max=MAX_TARGET_PRODUCTS)
    categories = string_list(target.get("categories"), "target.categories", errors)
    unknown = [slug for slug in categories if slug not in CATEGORIES]
    if unknown:
        errors["target.categories"] = t("Kategori tidak dikenal: %(slugs)s.", slugs=", ".join(unknown[:5]))
    regions = string_list(target.get("regions"), "target.regions", errors)
    unknown = [code for code in regions if code not in REGIONS]
    if unknown:
        errors["target.regions"] = t("Kabupaten/kota tidak dikenal: %(codes)s (gunakan kode BPS, mis. 7402).",
                                     codes=", ".join(unknown[:5]))
    kind = target.get("merchant_kind")
    if kind in ("", None):
        kind = None
    elif kind not in MERCHANT_KINDS:
        errors["target.merchant_kind"] = t("Harus 'umkm' atau 'koperasi'.")
        kind = None
    verified_only = bool_field(target.get("verified_only"), "target.verified_only", errors)
    result = {"product_ids": product_ids, "categories": categories, "regions": regions,
              "merchant_kind": kind, "verified_only": verified_only}
    if not any(result.values()) and not any(key.startswith("target") for key in errors):
        errors["target"] = t("Pilih minimal satu kriteria: daftar produk, kategori, kabupaten/kota, "
                             "jenis usaha atau hanya usaha terverifikasi.")
    return result


def validate_campaign(data, now: datetime, check_start: bool = True) -> dict:
    """The campaign fields from create/update input; ValidationFailed names every bad field."""
    if not isinstance(data, dict):
        raise ValidationFailed(t("Data kampanye tidak valid."), {"data": t("Harus berupa objek.")})
    errors: dict[str, str] = {}
    name = clean_field(data.get("name"), "name", errors)
    if "name" not in errors and (not isinstance(name, str) or not NAME_MIN <= len(name.strip()) <= NAME_MAX):
        errors["name"] = t("Nama kampanye wajib diisi, %(min)s sampai %(max)s karakter.", min=NAME_MIN, max=NAME_MAX)
    description = clean_field(data.get("description"), "description", errors, multiline=True)
    if description is None:
        description = ""
    if "description" not in errors and (not isinstance(description, str) or len(description) > DESCRIPTION_MAX):
        errors["description"] = t("Deskripsi berupa teks, paling banyak %(max)s karakter.", max=DESCRIPTION_MAX)
        description = ""
    starts_at = parse_time(data.get("starts_at"), "starts_at", errors)
    ends_at = parse_time(data.get("ends_at"), "ends_at", errors)
    if starts_at and check_start and starts_at < now - START_GRACE:
        errors["starts_at"] = t("Waktu mulai sudah lewat; pilih waktu sekarang atau yang akan datang.")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = t("Waktu selesai harus setelah waktu mulai.")
    elif ends_at and ends_at <= now:
        errors["ends_at"] = t("Waktu selesai sudah lewat.")

    discount = data.get("discount")
    discount_type, discount_value = None, 0
    if discount is not None:
        if not isinstance(discount, dict):
            errors["discount"] = t("Harus berupa objek {type, value} atau null.")
        else:
            discount_type = discount.get("type")
            value = discount.get("value")
            if discount_type not in DISCOUNT_TYPES:
                errors["discount.type"] = t("Harus 'percent' atau 'fixed'.")
                discount_type = None
            if isinstance(value, bool) or not isinstance(value, int):
                errors["discount.value"] = t("Harus bilangan bulat.")
            elif discount_type == "percent" and not 1 <= value <= 90:
                errors["discount.value"] = t("Diskon persen harus 1 sampai 90.")
            elif discount_type == "fixed" and not 1 <= value <= MAX_FIXED_DISCOUNT:
                errors["discount.value"] = t("Potongan harga minimal Rp 1.")
            else:
                discount_value = value
    featured = bool_field(data.get("featured"), "featured", errors)
    if discount is None and not featured and "featured" not in errors:
        errors["discount"] = t("Kampanye harus memberi diskon atau menampilkan produk unggulan (featured).")

    target = validate_target(data.get("target"), errors)
    max_products = int_field(data.get("max_products"), "max_products", errors, 1, MAX_PRODUCTS_LIMIT,
                        t("Jumlah produk maksimum harus 1 sampai %(max)s.", max=MAX_PRODUCTS_LIMIT))
    budget = int_field(data.get("budget"), "budget", errors, 1, MAX_BUDGET, t("Anggaran minimal Rp 1."))
    funded_by = data.get("funded_by")
    if funded_by in (None, ""):
        funded_by = "promoter" if budget is not None else None
    elif funded_by not in FUNDERS:
        errors["funded_by"] = t("Harus 'seller', 'promoter' atau 'pemda'.")
    open_for_signup = bool_field(data.get("open_for_signup"), "open_for_signup", errors)
    if errors:
        raise ValidationFailed(t("Data kampanye tidak valid."), errors)
    return {
        "name": name.strip(), "description": description.strip(), "starts_at": starts_at, "ends_at": ends_at,
        "discount_type": discount_type, "discount_value": discount_value, "featured": featured,
        "target_product_ids": target["product_ids"], "target_categories": target["categories"],
        "target_regions": target["regions"], "target_merchant_kind": target["merchant_kind"],
        "target_verified_only": target["verified_only"], "max_products": max_products,
        "budget": budget, "funded_by": funded_by, "open_for_signup": open_for_signup,
    }


def campaign_input(campaign: Campaign) -> dict:
    """A campaign as create input (to merge an update into)."""
    return {
        "name": campaign.name, "description": campaign.description, "starts_at": aware(campaign.starts_at),
        "ends_at": aware(campaign.ends_at), "discount": discount_of(campaign), "featured": campaign.featured,
        "target": target_of(campaign), "max_products": campaign.max_products, "budget": campaign.budget,
        "funded_by": campaign.funded_by, "open_for_signup": campaign.open_for_signup,
    }


def discount_of(campaign: Campaign) -> dict | None:
    """A campaign's discount as input and output show it: ``{"type", "value"}`` or None."""
    if not campaign.discount_type:
        return None
    return {"type": campaign.discount_type, "value": campaign.discount_value}


def target_of(campaign: Campaign) -> dict:
    """A campaign's targeting as input and output show it."""
    return {"product_ids": list(campaign.target_product_ids or []), "categories": list(campaign.target_categories or []),
            "regions": list(campaign.target_regions or []), "merchant_kind": campaign.target_merchant_kind,
            "verified_only": bool(campaign.target_verified_only)}


def _id(value) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= MAX_ID


def membership_selection(selection) -> dict:
    """What an opt-in or opt-out names: ``{"product_ids": [...]}`` (1 to 500 ids),
    ``{"merchant_id": "...", "all": true}`` (every product of that merchant the campaign
    invites), or the older ``{"product_id": "..."}`` (also a bare id string). Returns
    ``{"product_ids": [...] | None, "merchant_id": str | None, "field": <the field to name>}``;
    ValidationFailed names what is wrong."""
    if isinstance(selection, str):
        selection = {"product_id": selection}
    if not isinstance(selection, dict):
        raise ValidationFailed(t("Data tidak valid."), {"product_ids": t("Kirim product_ids, atau merchant_id dengan all: true.")})
    shapes = [key for key in ("product_id", "product_ids", "merchant_id") if key in selection]
    if len(shapes) != 1:
        raise ValidationFailed(t("Data tidak valid."), {"product_ids": t("Kirim salah satu: product_ids, atau merchant_id "
                                                                    "dengan all: true.")})
    field = shapes[0]
    value = selection[field]
    if field == "product_id":
        if not _id(value):
            raise ValidationFailed(t("Data tidak valid."), {"product_id": t("Wajib diisi dengan id produk.")})
        return {"product_ids": [value.strip()], "merchant_id": None, "field": field}
    if field == "merchant_id":
        errors = {}
        if not _id(value):
            errors["merchant_id"] = t("Wajib diisi dengan id usaha.")
        if selection.get("all") is not True:
            errors["all"] = t("Harus true: semua produk usaha ini yang diundang.")
        if errors:
            raise ValidationFailed(t("Data tidak valid."), errors)
        return {"product_ids": None, "merchant_id": value.strip(), "field": field}
    if not isinstance(value, list) or not value or not all(_id(item) for item in value):
        raise ValidationFailed(t("Data tidak valid."), {"product_ids": t("Harus berupa daftar id produk (minimal satu).")})
    ids = list(dict.fromkeys(item.strip() for item in value))
    if len(ids) > MAX_SELECTED_PRODUCTS:
        raise ValidationFailed(t("Data tidak valid."), {"product_ids": t("Paling banyak %(max)s produk sekali kirim.",
                                                                    max=MAX_SELECTED_PRODUCTS)})
    return {"product_ids": ids, "merchant_id": None, "field": field}
