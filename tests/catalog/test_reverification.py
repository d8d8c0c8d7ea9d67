"""Re-verification (SQLite and PostgreSQL): a verified merchant that changes its name, NIB,
PIRT, halal or koperasi legal number goes back to "pending" (its events and its products'
snapshots say so, so the verified badge leaves search and promotion), and the admin's queue
lists what changed until an admin decides. Other changes, and merchants not verified, keep
their status."""
import pytest

from services.catalog import domain
from shared.contracts import MerchantSnapshot, ProductSnapshot
from shared.errors import ValidationFailed
from shared.events import MERCHANT_CREDENTIALS_CHANGED, MERCHANT_UPDATED

from catalog_helpers import (
    ADMIN,
    MERCHANT_DATA,
    OWNER,
    committed,
    create_product,
    event_of,
    outbox_rows,
    register_merchant,
)

VERIFIED_DATA = {**MERCHANT_DATA, "nib": "9120001234567", "pirt_number": "P-IRT 2157402010123-27"}


def update(catalog_db, merchant_id, data):
    return committed(catalog_db, domain.update_merchant, OWNER, merchant_id, data)


def decide(catalog_db, merchant_id, decision, reason=None):
    return committed(catalog_db, domain.decide_verification, ADMIN, merchant_id, decision, reason)


def queue(catalog_db, status="pending", region=None):
    with catalog_db() as session:
        return domain.list_merchants_by_status(session, ADMIN, status, 1, 50, region)


def events_after(catalog_db, before):
    return [event_of(row) for row in outbox_rows(catalog_db)[before:]]


def verified_merchant(catalog_db, data=None):
    merchant = register_merchant(catalog_db, data or VERIFIED_DATA)
    decide(catalog_db, merchant["id"], "verified")
    return merchant


def test_changing_the_nib_and_name_sends_a_verified_merchant_back_to_review(catalog_db):
    merchant = verified_merchant(catalog_db)
    product = create_product(catalog_db, merchant["id"])
    before = len(outbox_rows(catalog_db))

    changed = update(catalog_db, merchant["id"], {"nib": "9120007654321", "name": "Tenun Masalili Jaya",
                                                  "description": "Kain tenun ikat."})
    assert changed["status"] == "pending" and changed["verified"] is False

    events = events_after(catalog_db, before)
    merchant_events = [e for e in events if e.aggregate_type == "merchant"]
    assert [e.type for e in merchant_events] == [MERCHANT_UPDATED, MERCHANT_CREDENTIALS_CHANGED]
    for event in merchant_events:
        snapshot = MerchantSnapshot.model_validate(event.payload)
        assert snapshot.status == "pending" and snapshot.verified is False
    [product_event] = [e for e in events if e.aggregate_type == "product"]
    snapshot = ProductSnapshot.model_validate(product_event.payload)
    assert snapshot.id == product["id"] and snapshot.merchant.verified is False
    assert snapshot.merchant.status == "pending" and snapshot.status == "published"

    [listed] = queue(catalog_db)["items"]
    assert listed["id"] == merchant["id"]
    assert listed["changes"] == [{"field": "name", "old": "Tenun Masalili", "new": "Tenun Masalili Jaya"},
                                 {"field": "nib", "old": "9120001234567", "new": "9120007654321"}]

    # Further changes while waiting add up; the first old value stays; a field changed back drops out.
    update(catalog_db, merchant["id"], {"nib": "9120001234567", "pirt_number": "P-IRT 2157402010999-27"})
    [listed] = queue(catalog_db)["items"]
    assert listed["changes"] == [
        {"field": "name", "old": "Tenun Masalili", "new": "Tenun Masalili Jaya"},
        {"field": "pirt_number", "old": "P-IRT 2157402010123-27", "new": "P-IRT 2157402010999-27"}]

    verified = decide(catalog_db, merchant["id"], "verified")
    assert verified["status"] == "verified"
    assert queue(catalog_db)["items"] == []
    assert queue(catalog_db, "verified")["items"][0]["changes"] == []


@pytest.mark.parametrize("field, value", [
    ("halal_number", "ID74110000123450124"),
    ("pirt_number", "P-IRT 2157402010124-27"),
    ("name", "Nama Baru Usaha"),
])
def test_each_reviewed_field_sends_it_back(catalog_db, field, value):
    merchant = verified_merchant(catalog_db)
    data = {field: value}
    if field == "halal_number":
        data["halal_expires_on"] = "2030-01-01"
    assert update(catalog_db, merchant["id"], data)["status"] == "pending"
    [listed] = queue(catalog_db)["items"]
    assert [change["field"] for change in listed["changes"]] == [field]


def test_a_koperasi_legal_number_sends_it_back(catalog_db):
    data = {**VERIFIED_DATA, "name": "Koperasi Mete Muna", "kind": "koperasi", "legal_number": "518/BH/XXVI/2005"}
    merchant = verified_merchant(catalog_db, data)
    assert update(catalog_db, merchant["id"], {"legal_number": "518/BH/XXVI/2020"})["status"] == "pending"
    assert queue(catalog_db)["items"][0]["changes"] == [
        {"field": "legal_number", "old": "518/BH/XXVI/2005", "new": "518/BH/XXVI/2020"}]


def test_other_changes_and_other_statuses_keep_the_status(catalog_db):
    merchant = verified_merchant(catalog_db)
    changed = update(catalog_db, merchant["id"], {"description": "Baru.", "whatsapp": "0812-1111-2222",
                                                  "address": "Raha"})
    assert changed["status"] == "verified"
    # Rejected and suspended merchants stay hidden: changing their NIB does not bring them back.
    decide(catalog_db, merchant["id"], "suspended", "Laporan pembeli.")
    assert update(catalog_db, merchant["id"], {"nib": "9120009999999"})["status"] == "suspended"
    other = register_merchant(catalog_db, {**VERIFIED_DATA, "name": "Usaha Lain"})
    decide(catalog_db, other["id"], "rejected", "Dokumen tidak lengkap.")
    assert update(catalog_db, other["id"], {"nib": "9120008888888"})["status"] == "rejected"
    # A new merchant never verified is simply pending: nothing "changed" since a review.
    fresh = register_merchant(catalog_db, {**VERIFIED_DATA, "name": "Usaha Baru"})
    assert update(catalog_db, fresh["id"], {"nib": "9120007777777"})["status"] == "pending"
    assert [m["changes"] for m in queue(catalog_db)["items"]] == [[]]


def test_the_queue_filters_by_region(catalog_db):
    muna = register_merchant(catalog_db, {**MERCHANT_DATA, "region": "7402"})
    kendari = register_merchant(catalog_db, {**MERCHANT_DATA, "name": "Usaha Kendari", "region": "7471"})
    assert [m["id"] for m in queue(catalog_db, region="7471")["items"]] == [kendari["id"]]
    assert queue(catalog_db, region="7471")["total"] == 1
    assert [m["id"] for m in queue(catalog_db)["items"]] == [muna["id"], kendari["id"]]
    with catalog_db() as session, pytest.raises(ValidationFailed) as info:
        domain.list_merchants_by_status(session, ADMIN, "pending", 1, 50, "9999")
    assert set(info.value.fields) == {"region"}
