"""The demo data shipped in ``services/catalog/demo/demo_data.json``.

It seeds a fresh installation and the search demos, so it has to cover every
kabupaten/kota, use only leaf categories, pass the catalog's own validation, and contain
the spelling variants sellers really write (kripik/keripik, coklat/cokelat, mente/mete).
"""
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from services.catalog.schemas import MERCHANT_KINDS, validate_merchant, validate_product_create
from shared.regions import REGIONS
from shared.taxonomy import PARENT_OF, leaf_categories

DEMO_PATH = Path(__file__).resolve().parents[2] / "services" / "catalog" / "demo" / "demo_data.json"
WHATSAPP = re.compile(r"^\+628\d{8,11}$")
MERCHANT_KEYS = {"key", "owner", "name", "kind", "region", "whatsapp", "description", "products"}
PRODUCT_KEYS = {"name", "description", "price", "stock", "unit", "category", "halal"}


@pytest.fixture(scope="module")
def data():
    with open(DEMO_PATH, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def merchants(data):
    return data["merchants"]


@pytest.fixture(scope="module")
def products(merchants):
    return [product for merchant in merchants for product in merchant["products"]]


def test_file_is_utf8_json_with_two_space_indent():
    text = DEMO_PATH.read_bytes().decode("utf-8")
    assert text.startswith('{\n  "merchants": [\n    {\n      "key"')
    json.loads(text)


def test_shape(merchants):
    for merchant in merchants:
        keys = MERCHANT_KEYS | ({"koperasi"} if merchant["kind"] == "koperasi" else set())
        assert set(merchant) == keys, merchant.get("key")
        assert set(merchant["owner"]) == {"email", "name"}
        assert merchant["products"], merchant["key"]
        for product in merchant["products"]:
            assert set(product) == PRODUCT_KEYS, (merchant["key"], product.get("name"))


def test_counts(merchants, products):
    assert len(merchants) >= 45
    assert len(products) >= 180


def test_about_a_quarter_are_koperasi(merchants):
    kinds = Counter(merchant["kind"] for merchant in merchants)
    assert set(kinds) <= set(MERCHANT_KINDS)
    share = kinds["koperasi"] / len(merchants)
    assert 0.2 <= share <= 0.35, kinds


def test_every_region_is_covered(merchants):
    merchant_count = Counter()
    product_count = Counter()
    for merchant in merchants:
        assert merchant["region"] in REGIONS, merchant["key"]
        merchant_count[merchant["region"]] += 1
        product_count[merchant["region"]] += len(merchant["products"])
    for code, name in REGIONS.items():
        assert merchant_count[code] >= 2, f"{code} {name}: {merchant_count[code]} merchants"
        assert product_count[code] >= 6, f"{code} {name}: {product_count[code]} products"


def test_categories_are_leaves(products):
    leaves = leaf_categories()
    for product in products:
        assert product["category"] in leaves, product["name"]


def test_every_leaf_category_has_demo_products(products):
    per_category = Counter(product["category"] for product in products)
    assert [slug for slug in leaf_categories() if not per_category[slug]] == []


def test_services_and_tourism_are_sold_per_person_night_or_trip(products):
    """Issue 12: trips, dives, guides, homestays and boat hire are in the demo, in their units."""
    tourism = [product for product in products if PARENT_OF[product["category"]] == "jasa-wisata"]
    assert len(tourism) >= 20
    assert {product["unit"] for product in tourism} <= {"orang", "malam", "paket", "hari", "trip"}
    assert not any(product["halal"] for product in tourism)  # a halal certificate is for food


def test_prices_stock_units_halal(products):
    for product in products:
        price, stock = product["price"], product["stock"]
        assert type(price) is int and price > 0, product["name"]
        assert type(stock) is int and stock >= 0, product["name"]
        assert isinstance(product["unit"], str) and product["unit"].strip(), product["name"]
        assert type(product["halal"]) is bool, product["name"]
    assert any(product["stock"] == 0 for product in products), "a few products should be out of stock"


def test_names_and_descriptions(merchants, products):
    for merchant in merchants:
        assert 3 <= len(merchant["name"].strip()) <= 120
        assert merchant["description"].strip()
        assert merchant["owner"]["name"].strip()
    for product in products:
        assert 3 <= len(product["name"].strip()) <= 120
        assert product["description"].strip(), product["name"]


def test_unique_keys_emails_and_demo_domain(merchants):
    keys = [merchant["key"] for merchant in merchants]
    emails = [merchant["owner"]["email"].lower() for merchant in merchants]
    assert len(keys) == len(set(keys))
    assert len(emails) == len(set(emails))
    for key in keys:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key), key
    for email in emails:
        assert re.fullmatch(r"[a-z0-9._-]+@demo\.etalase\.id", email), email


def test_whatsapp_numbers(merchants):
    for merchant in merchants:
        assert WHATSAPP.match(merchant["whatsapp"]), merchant["whatsapp"]


def test_product_names_unique_within_a_merchant(merchants):
    for merchant in merchants:
        names = [product["name"].lower() for product in merchant["products"]]
        assert len(names) == len(set(names)), merchant["key"]


@pytest.mark.parametrize("variants", [("kripik", "keripik"), ("coklat", "cokelat"), ("mente", "mete")])
def test_spelling_variants_present_in_product_names(products, variants):
    names = [product["name"].lower() for product in products]
    for variant in variants:
        assert any(re.search(rf"\b{variant}\b", name) for name in names), variant


def test_passes_catalog_validation(merchants):
    for merchant in merchants:
        clean = validate_merchant(
            {key: merchant[key] for key in ("name", "kind", "region", "whatsapp", "description")}
        )
        assert clean["whatsapp"] == merchant["whatsapp"]
        for product in merchant["products"]:
            validate_product_create({**product, "merchant_id": merchant["key"]})


def test_every_koperasi_has_legal_data_and_a_rat_year(merchants):
    """The admin dashboard's RAT status needs them; a few are late, as in the province."""
    years = []
    for merchant in (m for m in merchants if m["kind"] == "koperasi"):
        data = merchant["koperasi"]
        assert set(data) == {"legal_number", "member_count", "last_rat_year"}, merchant["key"]
        assert "/BH/" in data["legal_number"] and 20 <= data["member_count"] <= 1000
        years.append(data["last_rat_year"])
    assert min(years) >= 2015 and len(set(years)) > 1
