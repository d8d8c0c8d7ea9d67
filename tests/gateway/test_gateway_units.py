"""Small pure pieces of the gateway: formatting, header parsing, migrations vs models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.gateway.api import parse_if_match, parse_int_param
from services.gateway.formatting import format_rupiah
from services.gateway.models import Base
from services.gateway.pages import present_item
from shared.errors import BadRequest, ValidationFailed


@pytest.mark.parametrize(
    "amount, text", [(0, "Rp 0"), (500, "Rp 500"), (15000, "Rp 15.000"), (1250000, "Rp 1.250.000"), (-2000, "-Rp 2.000")]
)
def test_format_rupiah(amount, text):
    assert format_rupiah(amount) == text


@pytest.mark.parametrize("header, version", [(None, None), ("", None), ("3", 3), ('"3"', 3), ('W/"12"', 12)])
def test_if_match_accepts_plain_and_quoted_versions(header, version):
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ["abc", '"v1"', "-1", "1.5"])
def test_if_match_rejects_anything_else_naming_the_header(header):
    with pytest.raises(BadRequest) as info:
        parse_if_match(header)
    assert "If-Match" in info.value.fields


def test_int_params():
    assert parse_int_param({}, "page", 1) == 1
    assert parse_int_param({"page": "3"}, "page", 1) == 3
    with pytest.raises(ValidationFailed) as info:
        parse_int_param({"per_page": "banyak"}, "per_page", 20)
    assert set(info.value.fields) == {"per_page"}


def test_present_item_accepts_region_codes_and_merchant_dicts():
    item = present_item({"name": "Tenun Masalili", "price": 450000, "region": "7402", "merchant": {"name": "Koperasi Tenun"}})
    assert item == {"name": "Tenun Masalili", "price": 450000, "region": "Muna", "merchant": "Koperasi Tenun"}
    item = present_item({"name": "Kopi", "price": 25000, "region": {"code": "7401", "name": "Buton"}, "merchant_name": "UD Kopi"})
    assert item["region"] == "Buton" and item["merchant"] == "UD Kopi"


def test_migrations_match_the_models(migrated, database_url):
    factory = migrated("gateway")
    with factory() as session:
        context = MigrationContext.configure(session.connection(), opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
