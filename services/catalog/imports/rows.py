"""One data row of an import file, checked: the product it becomes, or its errors by column.

A row goes through the same validation as a product created in the API
(``schemas.validate_product_create``), after its cells are read the way sellers write them
("Rp 15.000", "ya", a category's name instead of its slug). Which errors need the other rows
or the database (a SKU twice in the file, a deleted product's SKU) is decided by ``chunks``.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from services.catalog import schemas
from services.catalog.imports.parsing import SheetRow
from services.catalog.imports.sheet import COLUMN_FIELDS, COLUMN_NAMES, FIELD_COLUMNS
from services.catalog.models import Merchant, Product
from shared.errors import ValidationFailed
from shared.messages import t
from shared.taxonomy import leaf_categories

MAX_PHOTOS = 8  # photo URLs per row, as many as a product may have

HALAL_VALUES = {"ya": True, "y": True, "true": True, "1": True, "benar": True,
                "tidak": False, "t": False, "false": False, "0": False, "salah": False}
# Sellers write the status in Indonesian (the template offers tayang, draf, arsip).
STATUS_ALIASES = {"tayang": "published", "terbit": "published", "tampil": "published", "draf": "draft",
                  "draft": "draft", "arsip": "archived"}


@dataclass
class RowPlan:
    """One data row, validated: ``clean`` is None when the row fails."""

    number: int
    sku: str
    present: frozenset  # product fields whose columns the file has
    clean: dict | None = None
    photo_urls: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    photo_errors: list[tuple[str, str]] = field(default_factory=list)  # do not fail the row


def _whole_number(text: str) -> int | None:
    """ "15000", "15.000", "15,000", "Rp 15.000", "15000.0" -> 15000; None if not a whole number."""
    cleaned = text.strip().lower().removeprefix("rp").strip().replace(" ", "")
    if cleaned.isdigit():
        return int(cleaned)
    for separator in (".", ","):
        groups = cleaned.split(separator)
        if len(groups) > 1 and groups[0].isdigit() and len(groups[0]) <= 3 \
                and all(len(g) == 3 and g.isdigit() for g in groups[1:]):
            return int("".join(groups))  # thousands separators
        if len(groups) == 2 and groups[0].isdigit() and groups[1] and set(groups[1]) == {"0"}:
            return int(groups[0])  # "15000.0" or "15000,00"
    return None


def _category(text: str) -> str:
    key = text.strip().lower()
    leaves = leaf_categories()
    if key in leaves:
        return key
    for slug, leaf in leaves.items():
        if leaf["name"].lower() == key:
            return slug
    return key  # unknown: the validator says so (and whether it is a parent category)


def closest_category(text: str) -> str | None:
    """The leaf category a seller most likely meant by an unknown ``text`` (its slug), or None:
    a category whose slug or name shares a word with it, else the closest spelling."""
    key = text.strip().lower()
    if not key:
        return None
    leaves = leaf_categories()
    words = set(key.replace("-", " ").split())
    for slug, leaf in leaves.items():
        names = set(slug.split("-")) | set(leaf["name"].lower().replace("&", " ").replace(",", " ").split())
        if words & {name for name in names if len(name) > 3}:
            return slug
    spellings = {slug: slug for slug in leaves} | {leaf["name"].lower(): slug for slug, leaf in leaves.items()}
    match = difflib.get_close_matches(key, list(spellings), n=1, cutoff=0.6)
    return spellings[match[0]] if match else None


def unknown_category_message(text: str) -> str:
    """Names the value the seller wrote and, when one is close, the category to use instead."""
    value = text.strip()[:60]
    suggestion = closest_category(text)
    if suggestion is None:
        return t("kategori '%(value)s' tidak dikenal; lihat daftar kategori di lembar Petunjuk", value=value)
    return t("kategori '%(value)s' tidak dikenal; mungkin maksud Anda '%(slug)s' (%(name)s)",
             value=value, slug=suggestion, name=leaf_categories()[suggestion]["name"])


def plan_row(row: SheetRow, merchant: Merchant, existing: Product | None) -> RowPlan:
    """Turn the cells of one row into a validated product (or errors by column).

    Columns missing from the file keep an existing product's values (so a file with only
    sku, harga and stok updates prices and stock); an empty cell means "not given"."""
    values = row.values
    present = frozenset(COLUMN_FIELDS[name] for name in values if name in COLUMN_FIELDS)
    plan = RowPlan(number=row.number, sku=values.get("sku", "").strip(), present=present)
    errors: dict[str, str] = {}
    if not plan.sku:
        errors["sku"] = schemas.REQUIRED

    data: dict = {"merchant_id": merchant.id}
    if existing is not None:
        for product_field in FIELD_COLUMNS:
            data[product_field] = getattr(existing, product_field)

    def given(column: str) -> str | None:
        text = values.get(column)
        return text if text else None

    for column, product_field in (("nama", "name"), ("deskripsi", "description"), ("satuan", "unit"),
                                  ("anggota", "member_business"), ("tag", "tags")):
        if column in values:
            data[product_field] = given(column)
    data["sku"] = plan.sku or None
    for column, product_field in (("harga", "price"), ("harga_coret", "compare_at_price"), ("stok", "stock")):
        if column not in values:
            continue
        text = given(column)
        number = None if text is None else _whole_number(text)
        if text is not None and number is None:
            errors[column] = t("harus berupa angka bulat, mis. 15000")
        data[product_field] = number
    if "kategori" in values:
        data["category"] = None if given("kategori") is None else _category(values["kategori"])
    if "halal" in values:
        text = (given("halal") or "tidak").lower()
        if text not in HALAL_VALUES:
            errors["halal"] = t("isi ya atau tidak")
        data["halal"] = HALAL_VALUES.get(text, False)
    if "status" in values:
        text = (given("status") or "published").lower()
        data["status"] = STATUS_ALIASES.get(text, text)

    try:
        clean = schemas.validate_product_create(data)
    except ValidationFailed as failed:
        for product_field, message in failed.fields.items():
            column = FIELD_COLUMNS.get(product_field, product_field)
            errors.setdefault(column, str(message))
        if not failed.fields:
            errors.setdefault("", failed.message)
        if errors.get("kategori") == t("kategori tidak dikenal"):
            errors["kategori"] = unknown_category_message(values["kategori"])
        clean = None
    if clean is not None and clean.get("member_business") and merchant.kind != "koperasi":
        errors["anggota"] = t("hanya koperasi yang dapat menjual atas nama anggota")

    urls = (values.get("foto") or "").split()
    if len(urls) > MAX_PHOTOS:
        plan.photo_errors.append(("foto", t("paling banyak %(max)s foto; foto ke-9 dan seterusnya diabaikan", max=MAX_PHOTOS)))
        urls = urls[:MAX_PHOTOS]
    plan.photo_urls = urls

    if errors:
        order = {name: index for index, name in enumerate(COLUMN_NAMES)}  # as the sheet reads
        plan.errors = sorted(errors.items(), key=lambda item: order.get(item[0], len(order)))
        return plan
    plan.clean = {key: value for key, value in clean.items() if key != "merchant_id"}
    return plan
