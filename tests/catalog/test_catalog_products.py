"""Product fields of the catalog issue: status and its events, SKU, compare-at price,
tags, koperasi member businesses and the effective halal mark (SQLite and PostgreSQL)."""
import json

import pytest

from services.catalog import domain
from services.catalog.models import Merchant
from shared.errors import ValidationFailed

from catalog_helpers import MERCHANT_DATA, OWNER, counts, create_product, outbox_rows, update_product


def event_types(catalog_db, product_id):
    return [
        (row.event_type, row.aggregate_version)
        for row in outbox_rows(catalog_db)
        if row.aggregate_id == product_id
    ]


def test_status_changes_publish_the_matching_events(catalog_db, merchant):
    draft = create_product(catalog_db, merchant["id"], status="draft")
    update_product(catalog_db, draft["id"], {"status": "published"})
    update_product(catalog_db, draft["id"], {"price": 500_000})
    update_product(catalog_db, draft["id"], {"status": "archived"})
    assert event_types(catalog_db, draft["id"]) == [
        ("catalog.product_updated", 1),
        ("catalog.product_published", 2),
        ("catalog.product_updated", 3),
        ("catalog.product_unpublished", 4),
    ]


def test_sku_is_unique_per_merchant(catalog_db, merchant):
    create_product(catalog_db, merchant["id"], sku="TNB-001")
    before = counts(catalog_db)
    with pytest.raises(ValidationFailed) as error:
        create_product(catalog_db, merchant["id"], name="Sarung lain", sku="TNB-001")
    assert set(error.value.fields) == {"sku"}
    assert counts(catalog_db) == before


def test_compare_at_price_is_checked_against_the_stored_price_on_patch(catalog_db, merchant):
    product = create_product(catalog_db, merchant["id"], price=100_000, compare_at_price=120_000)
    with pytest.raises(ValidationFailed) as error:
        update_product(catalog_db, product["id"], {"price": 130_000})
    assert set(error.value.fields) == {"compare_at_price"}
    assert update_product(catalog_db, product["id"], {"price": 110_000})["compare_at_price"] == 120_000


def test_only_a_koperasi_lists_for_a_member_business(catalog_db, merchant):
    with pytest.raises(ValidationFailed) as error:
        create_product(catalog_db, merchant["id"], member_business="UMKM Wa Ode Sitti")
    assert set(error.value.fields) == {"member_business"}
    with catalog_db() as session:
        koperasi = domain.register_merchant(session, OWNER, {**MERCHANT_DATA, "name": "Koperasi Tenun Muna", "kind": "koperasi"})
        session.commit()
    product = create_product(catalog_db, koperasi["id"], member_business="UMKM Wa Ode Sitti", tags=["Tenun", "oleh-oleh"])
    assert product["member_business"] == "UMKM Wa Ode Sitti" and product["tags"] == ["tenun", "oleh-oleh"]
    [row] = [r for r in outbox_rows(catalog_db) if r.aggregate_id == product["id"]]
    assert json.loads(row.body)["payload"]["member_business"] == "UMKM Wa Ode Sitti"


def test_the_halal_mark_needs_a_valid_merchant_certificate(catalog_db, merchant):
    product = create_product(catalog_db, merchant["id"], halal=True)
    assert product["halal_claimed"] is True and product["halal"] is False
    with catalog_db() as session:
        session.get(Merchant, merchant["id"]).halal_active = True
        session.commit()
        assert domain.get_product(session, product["id"])["halal"] is True
