"""Validation rules, without a database: every problem is named by its field."""
import pytest

from services.catalog import schemas
from shared.errors import ValidationFailed
from shared.regions import REGIONS

MERCHANT = {"name": "Koperasi Mete Muna", "kind": "koperasi", "region": "7402", "whatsapp": "081234567890"}
PRODUCT = {"merchant_id": "m-1", "name": "Kacang Mete Goreng", "price": 85000, "stock": 40, "category": "mete-kacang"}


def fields_of(call, data) -> dict:
    with pytest.raises(ValidationFailed) as info:
        call(data)
    return info.value.fields


# --- merchant ---


def test_valid_merchant_is_cleaned():
    clean = schemas.validate_merchant({**MERCHANT, "name": "  Koperasi Mete Muna  "})
    assert clean == {**MERCHANT, "name": "Koperasi Mete Muna", "whatsapp": "+6281234567890", "description": ""}


@pytest.mark.parametrize("raw", ["081234567890", "6281234567890", "+6281234567890", "+62 812-3456-7890", "0812 3456 7890", "0812.3456.789"])
def test_whatsapp_forms_are_normalized(raw):
    assert schemas.validate_merchant({**MERCHANT, "whatsapp": raw})["whatsapp"].startswith("+62812345")


@pytest.mark.parametrize("raw", ["", "12345", "0401-123456", "+6221234567", "08123", "0812345678901234", "08123abc567", 81234567890, None, "+1 812 3456 7890"])
def test_bad_whatsapp_is_refused(raw):
    assert "whatsapp" in fields_of(schemas.validate_merchant, {**MERCHANT, "whatsapp": raw})


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "AB"),
        ("name", "   ab   "),
        ("name", "x" * 121),
        ("name", 123),
        ("kind", "pt"),
        ("kind", "UMKM "),
        ("region", "7499"),
        ("region", "7371"),
        ("region", 7402),
        ("description", "x" * 2001),
        ("description", 5),
    ],
)
def test_bad_merchant_field_is_named(field, value):
    fields = fields_of(schemas.validate_merchant, {**MERCHANT, field: value})
    assert list(fields) == [field]


def test_all_merchant_problems_are_reported_at_once():
    fields = fields_of(schemas.validate_merchant, {"name": "x", "kind": "pt", "hobby": "mancing"})
    assert fields == {
        "name": "harus 3–120 karakter",
        "kind": "harus 'umkm' atau 'koperasi'",
        "region": "wajib diisi",
        "whatsapp": "wajib diisi",
        "hobby": "kolom tidak dikenal",
    }


def test_every_region_code_is_accepted():
    for code in REGIONS:
        assert schemas.validate_merchant({**MERCHANT, "region": code})["region"] == code


def test_non_object_is_refused():
    with pytest.raises(ValidationFailed):
        schemas.validate_merchant(["nama"])
    with pytest.raises(ValidationFailed):
        schemas.validate_product_create("harga")


# --- product create ---


def test_valid_product_gets_defaults():
    clean = schemas.validate_product_create(PRODUCT)
    assert clean == {
        **PRODUCT, "description": "", "unit": "pcs", "halal": False, "sku": None, "compare_at_price": None,
        "tags": [], "status": "published", "member_business": None,
    }


@pytest.mark.parametrize(
    "field,value",
    [
        ("sku", "kode dengan spasi"), ("sku", "x" * 65), ("compare_at_price", 0), ("compare_at_price", "mahal"),
        ("tags", "a" * 31), ("tags", [1, 2]), ("tags", [f"t{n}" for n in range(11)]), ("status", "dijual"),
        ("member_business", "ab"),
    ],
)
def test_new_product_fields_are_checked(field, value):
    with pytest.raises(ValidationFailed) as error:
        schemas.validate_product_create({**PRODUCT, field: value})
    assert set(error.value.fields) == {field}


def test_compare_at_price_must_be_above_the_price():
    with pytest.raises(ValidationFailed) as error:
        schemas.validate_product_create({**PRODUCT, "price": 50000, "compare_at_price": 50000})
    assert error.value.fields == {"compare_at_price": "harus lebih besar dari harga"}
    ok = schemas.validate_product_create({**PRODUCT, "price": 50000, "compare_at_price": 60000, "tags": "Oleh-oleh, Mete ,mete"})
    assert ok["compare_at_price"] == 60000 and ok["tags"] == ["oleh-oleh", "mete"]


def test_whole_float_price_is_accepted():
    assert schemas.validate_product_create({**PRODUCT, "price": 85000.0})["price"] == 85000


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "ab"),
        ("name", "x" * 121),
        ("description", "x" * 5001),
        ("price", 0),
        ("price", -5),
        ("price", 1_000_000_001),
        ("price", 1500.5),
        ("price", "15000"),
        ("price", True),
        ("price", None),
        ("stock", -1),
        ("stock", 1_000_001),
        ("stock", 2.5),
        ("stock", "10"),
        ("stock", False),
        ("category", "makanan-minuman"),  # a parent, not a leaf
        ("category", "elektronik"),
        ("category", None),
        ("unit", "x" * 31),
        ("unit", 3),
        ("halal", "ya"),
        ("halal", 1),
        ("merchant_id", ""),
        ("merchant_id", 42),
    ],
)
def test_bad_product_field_is_named(field, value):
    fields = fields_of(schemas.validate_product_create, {**PRODUCT, field: value})
    assert list(fields) == [field], fields


def test_price_limits_are_inclusive():
    assert schemas.validate_product_create({**PRODUCT, "price": 1})["price"] == 1
    assert schemas.validate_product_create({**PRODUCT, "price": 1_000_000_000})["price"] == 1_000_000_000
    assert schemas.validate_product_create({**PRODUCT, "stock": 0})["stock"] == 0


def test_parent_category_gets_a_helpful_message():
    fields = fields_of(schemas.validate_product_create, {**PRODUCT, "category": "kerajinan"})
    assert fields["category"] == "pilih subkategori, bukan kategori induk"


def test_missing_product_fields_and_unknown_fields():
    fields = fields_of(schemas.validate_product_create, {"name": "Madu Hutan Buton", "diskon": 10, "id": "x"})
    assert fields == {
        "merchant_id": "wajib diisi",
        "price": "wajib diisi",
        "stock": "wajib diisi",
        "category": "wajib diisi",
        "diskon": "kolom tidak dikenal",
        "id": "kolom tidak dikenal",
    }


# --- product patch ---


def test_patch_keeps_only_present_fields():
    assert schemas.validate_product_patch({"price": 90000}) == {"price": 90000}


def test_empty_patch_is_refused():
    with pytest.raises(ValidationFailed) as info:
        schemas.validate_product_patch({})
    assert "setidaknya satu" in info.value.message


def test_patch_cannot_move_a_product_to_another_merchant():
    assert fields_of(schemas.validate_product_patch, {"merchant_id": "m-2"}) == {"merchant_id": "tidak dapat diubah"}


def test_patch_applies_the_same_rules():
    fields = fields_of(schemas.validate_product_patch, {"price": 0, "name": None, "category": "fashion", "warna": "biru"})
    assert set(fields) == {"price", "name", "category", "warna"}


# --- text hygiene (shared/text.py) ---

TEXT_PRODUCT = {"merchant_id": "m1", "name": "Kopi Kolaka", "price": 45000, "stock": 3, "category": "kopi-teh"}
TEXT_MERCHANT = {"name": "Tenun Masalili", "kind": "koperasi", "region": "7402", "whatsapp": "0812-3456-7890"}


@pytest.mark.parametrize("field, value", [
    ("name", "Kopi\x00Kolaka"), ("name", "Kopi\x85Kolaka"), ("name", "Kopi\ud800"), ("name", "Kopi\nKolaka"),
    ("name", "Kopi\tKolaka"), ("description", "Enak\x00"), ("unit", "bks\x1b"), ("tags", ["kopi\x00"]),
    ("member_business", "Ibu\x7fSitti"),
])
def test_a_product_text_with_a_control_character_is_refused_naming_the_field(field, value):
    with pytest.raises(ValidationFailed) as info:
        schemas.validate_product_create({**TEXT_PRODUCT, field: value})
    assert set(info.value.fields) == {field}


def test_product_texts_are_nfc_and_a_description_keeps_its_line_breaks():
    clean = schemas.validate_product_create({**TEXT_PRODUCT, "name": "Kafe\u0301 Kolaka",
                                             "description": "Baris satu\r\nBaris\tdua", "tags": ["kafe\u0301"]})
    assert clean["name"] == "Kaf\u00e9 Kolaka" and clean["tags"] == ["kaf\u00e9"]
    assert clean["description"] == "Baris satu\nBaris\tdua"


def test_lengths_count_composed_characters():
    # 120 "é" typed decomposed are 240 code points, still within the 120-character limit
    assert schemas.validate_product_create({**TEXT_PRODUCT, "name": "e\u0301" * 120})["name"] == "\u00e9" * 120


@pytest.mark.parametrize("field, value", [("name", "Tenun\x00"), ("address", "Jl.\x85Poros"),
                                          ("legal_number", "AHU\n123"), ("description", "\ufffe")])
def test_a_merchant_text_with_a_control_character_is_refused(field, value):
    with pytest.raises(ValidationFailed) as info:
        schemas.validate_merchant({**TEXT_MERCHANT, field: value})
    assert field in info.value.fields


def test_a_merchant_address_keeps_its_line_breaks_and_a_reason_too():
    assert schemas.validate_merchant({**TEXT_MERCHANT, "address": "Jl. Poros\nRaha"})["address"] == "Jl. Poros\nRaha"
    assert schemas.validate_verification("rejected", "Izin\nkedaluwarsa")[1] == "Izin\nkedaluwarsa"
    with pytest.raises(ValidationFailed) as info:
        schemas.validate_verification("rejected", "Izin\x00kedaluwarsa")
    assert set(info.value.fields) == {"reason"}
