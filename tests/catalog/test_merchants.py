"""Merchants against real databases (SQLite and PostgreSQL): profile and credentials,
ownership, verification by an admin, halal expiry (by hand and by the service's timer).
Every change is one merchant event of the right type and version, with a payload valid
against ``MerchantSnapshot``; a change that products show re-publishes the products."""
import json
import time
from datetime import date, datetime, timedelta, timezone

import nameko
import pytest
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import select

from services.catalog import domain, schemas
from services.catalog.models import Merchant, Product
from services.catalog.schemas import WITA
from services.catalog.service import CatalogService
from shared.contracts import MerchantSnapshot, ProductSnapshot
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.events import Event

from catalog_helpers import (
    ADMIN,
    MERCHANT_DATA,
    OTHER_OWNER,
    OWNER,
    PROMOTER,
    committed,
    counts,
    create_product,
    event_of,
    outbox_rows,
    register_merchant,
)

KOPERASI_DATA = {
    "name": "Koperasi Mete Muna Sejahtera",
    "kind": "koperasi",
    "region": "7402",
    "whatsapp": "0813-4567-8901",
    "address": "Jl. Poros Raha–Lagasa, Desa Lasunapa, Kec. Duruka",
    "nib": "9120001234567",
    "pirt_number": "P-IRT 2157402010123-27",
    "legal_number": "518/BH/XXVI/2005",
    "member_count": 120,
    "last_rat_year": 2024,
}


def today() -> date:
    return schemas.wita_today()


def new_events(catalog_db, before: int) -> list[Event]:
    return [event_of(row) for row in outbox_rows(catalog_db)[before:]]


def merchant_events(events: list[Event]) -> list[Event]:
    return [e for e in events if e.aggregate_type == "merchant"]


def product_events(events: list[Event]) -> list[Event]:
    return [e for e in events if e.aggregate_type == "product"]


def update(catalog_db, merchant_id, data, actor=OWNER, expected_version=None) -> dict:
    return committed(catalog_db, domain.update_merchant, actor, merchant_id, data, expected_version)


def decide(catalog_db, merchant_id, decision, reason=None, actor=ADMIN) -> dict:
    return committed(catalog_db, domain.decide_verification, actor, merchant_id, decision, reason)


def assert_one_merchant_event(events, event_type, merchant_id, version) -> MerchantSnapshot:
    [event] = merchant_events(events)
    assert (event.type, event.aggregate_id, event.aggregate_version) == (event_type, merchant_id, version)
    snapshot = MerchantSnapshot.model_validate(event.payload)
    assert snapshot.version == version and snapshot.id == merchant_id
    return snapshot


# --- registration with the new fields ---


def test_koperasi_registers_with_every_credential(catalog_db):
    expires = today() + timedelta(days=365)
    data = {**KOPERASI_DATA, "halal_number": "ID74110000123450124", "halal_expires_on": expires.isoformat()}
    merchant = register_merchant(catalog_db, data)
    json.dumps(merchant)
    assert merchant["address"] == KOPERASI_DATA["address"]
    assert merchant["status"] == "pending" and merchant["verified"] is False and merchant["status_reason"] is None
    assert merchant["credentials"] == {
        "nib": "9120001234567",
        "pirt_number": "P-IRT 2157402010123-27",
        "halal_number": "ID74110000123450124",
        "halal_expires_on": expires.isoformat(),
        "halal_valid": True,
        "legal_number": "518/BH/XXVI/2005",
        "member_count": 120,
        "last_rat_year": 2024,
    }
    [event] = new_events(catalog_db, 0)
    assert MerchantSnapshot.model_validate(event.payload).credentials.halal_valid is True
    with catalog_db() as session:
        assert session.get(Merchant, merchant["id"]).halal_active is True
    product = create_product(catalog_db, merchant["id"], halal=True, category="mete-kacang")
    assert product["halal"] is True and product["halal_claimed"] is True


def test_umkm_without_credentials_has_empty_ones(catalog_db):
    merchant = register_merchant(catalog_db)
    assert merchant["address"] == ""
    assert merchant["credentials"]["halal_valid"] is False
    assert all(value is None for key, value in merchant["credentials"].items() if key != "halal_valid")
    product = create_product(catalog_db, merchant["id"], halal=True)
    assert product["halal"] is False and product["halal_claimed"] is True  # no certificate, no mark


BAD_MERCHANT_FIELDS = [
    ("address", "x" * 301),
    ("address", 12),
    ("nib", "123456789012"),
    ("nib", "12345678901234"),
    ("nib", "12345678901a3"),
    ("nib", 1234567890123),
    ("pirt_number", "P-1"),
    ("pirt_number", "x" * 41),
    ("pirt_number", "P-IRT #2157401"),
    ("legal_number", "x"),
    ("member_count", 0),
    ("member_count", 1_000_001),
    ("member_count", "banyak"),
    ("member_count", 2.5),
    ("last_rat_year", 1944),
    ("last_rat_year", date.today().year + 2),
    ("last_rat_year", "2024"),
]


@pytest.mark.parametrize("field, value", BAD_MERCHANT_FIELDS)
def test_bad_credential_is_named_and_writes_nothing(catalog_db, field, value):
    with catalog_db() as session:
        with pytest.raises(ValidationFailed) as info:
            domain.register_merchant(session, OWNER, {**KOPERASI_DATA, field: value})
        session.commit()
    assert list(info.value.fields) == [field]
    assert counts(catalog_db) == {"merchants": 0, "products": 0, "outbox": 0}


@pytest.mark.parametrize("halal, named", [
    ({"halal_number": "ID7402000123"}, "halal_expires_on"),
    ({"halal_expires_on": "2030-01-31"}, "halal_number"),
    ({"halal_number": "ID1", "halal_expires_on": "2030-01-31"}, "halal_number"),
    ({"halal_number": "ID7402000123", "halal_expires_on": "2030-02-30"}, "halal_expires_on"),
    ({"halal_number": "ID7402000123", "halal_expires_on": "31-01-2030"}, "halal_expires_on"),
])
def test_halal_number_and_expiry_come_together(catalog_db, halal, named):
    with catalog_db() as session, pytest.raises(ValidationFailed) as info:
        domain.register_merchant(session, OWNER, {**MERCHANT_DATA, **halal})
    assert list(info.value.fields) == [named]
    assert counts(catalog_db)["merchants"] == 0


def test_umkm_refuses_koperasi_fields_all_at_once(catalog_db):
    data = {**MERCHANT_DATA, "legal_number": "518/BH/XXVI/2005", "member_count": 40, "last_rat_year": 2023,
            "nib": "12", "address": "x" * 400}
    with catalog_db() as session, pytest.raises(ValidationFailed) as info:
        domain.register_merchant(session, OWNER, data)
    assert info.value.fields == {
        "legal_number": "hanya untuk koperasi",
        "member_count": "hanya untuk koperasi",
        "last_rat_year": "hanya untuk koperasi",
        "nib": "NIB harus tepat 13 angka",
        "address": "paling banyak 300 karakter",
    }
    assert counts(catalog_db)["merchants"] == 0


def test_an_umkm_cannot_add_koperasi_fields_later(catalog_db):
    merchant = register_merchant(catalog_db)
    before = counts(catalog_db)
    with catalog_db() as session, pytest.raises(ValidationFailed) as info:
        domain.update_merchant(session, OWNER, merchant["id"], {"member_count": 10, "name": "Tenun Masalili Baru"})
    assert info.value.fields == {"member_count": "hanya untuk koperasi"}
    assert counts(catalog_db) == before


# --- update: ownership, validation, events ---


@pytest.mark.parametrize("actor", [OTHER_OWNER, PROMOTER, ADMIN, None])
def test_only_the_owner_updates_a_merchant(catalog_db, actor):
    merchant = register_merchant(catalog_db)
    before = counts(catalog_db)
    with catalog_db() as session:
        with pytest.raises(Forbidden):
            domain.update_merchant(session, actor, merchant["id"], {"name": "Diambil Alih"})
        session.commit()
    assert counts(catalog_db) == before
    with catalog_db() as session:
        assert domain.get_merchant(session, merchant["id"]) == merchant


@pytest.mark.parametrize("patch, fields", [
    ({}, set()),
    ({"kind": "koperasi"}, {"kind"}),
    ({"name": None, "region": "9999", "whatsapp": "12"}, {"name", "region", "whatsapp"}),
    ({"owner_id": "acc-x", "status": "verified"}, {"owner_id", "status"}),
    ({"halal_number": "ID7402000123"}, {"halal_expires_on"}),
])
def test_invalid_merchant_patch_writes_nothing(catalog_db, patch, fields):
    merchant = register_merchant(catalog_db)
    before = counts(catalog_db)
    with catalog_db() as session:
        with pytest.raises(ValidationFailed) as info:
            domain.update_merchant(session, OWNER, merchant["id"], patch)
        session.commit()
    assert set(info.value.fields) == fields
    assert counts(catalog_db) == before


def test_unknown_merchant_update_is_not_found(catalog_db):
    with catalog_db() as session, pytest.raises(NotFound):
        domain.update_merchant(session, OWNER, "no-such-merchant", {"name": "Apa Saja"})


def test_profile_change_is_one_merchant_updated_event(catalog_db):
    merchant = register_merchant(catalog_db)
    product = create_product(catalog_db, merchant["id"])
    before = len(outbox_rows(catalog_db))
    updated = update(catalog_db, merchant["id"], {"description": "Tenun ikat tangan.", "address": "Desa Masalili"},
                     expected_version=1)
    assert (updated["version"], updated["address"]) == (2, "Desa Masalili")
    events = new_events(catalog_db, before)
    snapshot = assert_one_merchant_event(events, "catalog.merchant_updated", merchant["id"], 2)
    assert snapshot.description == "Tenun ikat tangan."
    assert product_events(events) == []  # products do not show the description
    # The same values again: nothing changes, no event; the kind may be sent back unchanged.
    again = update(catalog_db, merchant["id"], {"description": "Tenun ikat tangan.", "kind": "umkm"})
    assert again["version"] == 2 and len(outbox_rows(catalog_db)) == before + 1
    with catalog_db() as session:
        assert domain.get_product(session, product["id"])["version"] == 1


def test_stale_merchant_version_is_a_conflict(catalog_db):
    merchant = register_merchant(catalog_db)
    update(catalog_db, merchant["id"], {"description": "Versi dua."})
    before = counts(catalog_db)
    for stale in (1, '"1"', 'W/"1"'):
        with catalog_db() as session, pytest.raises(Conflict) as info:
            domain.update_merchant(session, OWNER, merchant["id"], {"description": "Versi tiga."}, stale)
        assert info.value.fields == {"version": "2"}
    assert counts(catalog_db) == before


def test_name_change_republishes_every_live_product(catalog_db):
    merchant = register_merchant(catalog_db)
    first = create_product(catalog_db, merchant["id"], name="Sarung Tenun Muna")
    second = create_product(catalog_db, merchant["id"], name="Selendang Tenun", status="draft")
    gone = create_product(catalog_db, merchant["id"], name="Taplak Tenun")
    with catalog_db() as session:
        domain.delete_product(session, OWNER, gone["id"])
        session.commit()
    before = len(outbox_rows(catalog_db))
    update(catalog_db, merchant["id"], {"name": "Tenun Ikat Masalili"})
    events = new_events(catalog_db, before)
    assert_one_merchant_event(events, "catalog.merchant_updated", merchant["id"], 2)
    products = {e.aggregate_id: e for e in product_events(events)}
    assert set(products) == {first["id"], second["id"]}  # not the deleted one
    assert products[first["id"]].type == "catalog.product_updated" and products[first["id"]].aggregate_version == 2
    assert products[second["id"]].type == "catalog.product_updated"
    for event in products.values():
        assert ProductSnapshot.model_validate(event.payload).merchant.name == "Tenun Ikat Masalili"


def test_credential_change_is_one_credentials_changed_event(catalog_db):
    merchant = register_merchant(catalog_db)
    plain = create_product(catalog_db, merchant["id"], name="Kain Tenun", halal=False)
    food = create_product(catalog_db, merchant["id"], name="Kripik Pisang", category="camilan", halal=True)
    assert food["halal"] is False
    before = len(outbox_rows(catalog_db))
    expires = today() + timedelta(days=30)
    updated = update(catalog_db, merchant["id"], {"halal_number": "ID74020000999", "halal_expires_on": expires.isoformat(),
                                                  "nib": "9120001234567"})
    assert updated["credentials"]["halal_valid"] is True and updated["credentials"]["nib"] == "9120001234567"
    events = new_events(catalog_db, before)
    snapshot = assert_one_merchant_event(events, "catalog.merchant_credentials_changed", merchant["id"], 2)
    assert snapshot.credentials.halal_expires_on == expires.isoformat()
    # The certificate is valid now: the products that claim halal show the mark (and only they change).
    [event] = product_events(events)
    assert event.aggregate_id == food["id"] and ProductSnapshot.model_validate(event.payload).halal is True
    with catalog_db() as session:
        assert domain.get_product(session, food["id"])["halal"] is True
        assert domain.get_product(session, plain["id"])["version"] == 1
    # Removing the certificate takes the mark away again.
    before = len(outbox_rows(catalog_db))
    update(catalog_db, merchant["id"], {"halal_number": None, "halal_expires_on": None})
    events = new_events(catalog_db, before)
    assert_one_merchant_event(events, "catalog.merchant_credentials_changed", merchant["id"], 3)
    [event] = product_events(events)
    assert ProductSnapshot.model_validate(event.payload).halal is False


def test_profile_and_credentials_in_one_patch_are_two_events(catalog_db):
    merchant = register_merchant(catalog_db)
    before = len(outbox_rows(catalog_db))
    updated = update(catalog_db, merchant["id"], {"address": "Raha", "pirt_number": "2157402010123"})
    assert updated["version"] == 3
    events = merchant_events(new_events(catalog_db, before))
    assert [(e.type, e.aggregate_version) for e in events] == [
        ("catalog.merchant_updated", 2), ("catalog.merchant_credentials_changed", 3),
    ]
    for event in events:
        MerchantSnapshot.model_validate(event.payload)


# --- verification ---


DECISION_EVENTS = {
    "verified": "catalog.merchant_verified",
    "rejected": "catalog.merchant_rejected",
    "suspended": "catalog.merchant_suspended",
    "reinstated": "catalog.merchant_reinstated",
}

# (decisions before, decision, the status it leads to)
TRANSITIONS = [
    ([], "verified", "verified"),
    ([], "rejected", "rejected"),
    (["verified"], "suspended", "suspended"),
    (["verified", "suspended"], "reinstated", "verified"),
    (["rejected"], "verified", "verified"),  # a re-review
]


def walk(catalog_db, merchant_id, decisions):
    for decision in decisions:
        decide(catalog_db, merchant_id, decision, reason="Alasan pemeriksaan.")


@pytest.mark.parametrize("earlier, decision, status", TRANSITIONS)
def test_every_verification_transition(catalog_db, earlier, decision, status):
    merchant = register_merchant(catalog_db)
    product = create_product(catalog_db, merchant["id"])
    walk(catalog_db, merchant["id"], earlier)
    version = 1 + len(earlier)
    before = len(outbox_rows(catalog_db))
    reason = "Dokumen NIB tidak sesuai." if decision in ("rejected", "suspended") else None
    result = decide(catalog_db, merchant["id"], decision, reason)
    assert (result["status"], result["verified"], result["version"]) == (status, status == "verified", version + 1)
    assert result["status_reason"] == reason
    events = new_events(catalog_db, before)
    snapshot = assert_one_merchant_event(events, DECISION_EVENTS[decision], merchant["id"], version + 1)
    assert snapshot.status == status and snapshot.verified is (status == "verified")
    # The product follows: its merchant ref carries the new status.
    [event] = product_events(events)
    ref = ProductSnapshot.model_validate(event.payload).merchant
    assert event.aggregate_id == product["id"] and (ref.status, ref.verified) == (status, status == "verified")
    with catalog_db() as session:
        stored = session.get(Merchant, merchant["id"])
        assert stored.status_changed_by == ADMIN["id"] and stored.status_changed_at is not None


# (decisions before, a decision that does not apply, the status it meets)
INVALID = [
    ([], "suspended", "pending"),
    ([], "reinstated", "pending"),
    (["verified"], "verified", "verified"),
    (["verified"], "rejected", "verified"),
    (["verified"], "reinstated", "verified"),
    (["rejected"], "rejected", "rejected"),
    (["rejected"], "suspended", "rejected"),
    (["verified", "suspended"], "suspended", "suspended"),
    (["verified", "suspended"], "verified", "suspended"),
    (["verified", "suspended"], "rejected", "suspended"),
]


@pytest.mark.parametrize("earlier, decision, status", INVALID)
def test_invalid_transition_is_a_conflict_naming_decision_and_status(catalog_db, earlier, decision, status):
    merchant = register_merchant(catalog_db)
    walk(catalog_db, merchant["id"], earlier)
    before = counts(catalog_db)
    with catalog_db() as session, pytest.raises(Conflict) as info:
        domain.decide_verification(session, ADMIN, merchant["id"], decision, "Alasan pemeriksaan.")
    assert "decision" in info.value.fields and info.value.fields["status"] == status
    assert decision in info.value.message and status in info.value.message
    assert counts(catalog_db) == before


@pytest.mark.parametrize("actor", [OWNER, OTHER_OWNER, PROMOTER, None, {"role": "admin"}])
def test_only_admins_decide(catalog_db, actor):
    merchant = register_merchant(catalog_db)
    before = counts(catalog_db)
    with catalog_db() as session:
        with pytest.raises(Forbidden):
            domain.decide_verification(session, actor, merchant["id"], "verified")
        with pytest.raises(Forbidden):
            domain.list_merchants_by_status(session, actor, "pending")
        session.commit()
    assert counts(catalog_db) == before


@pytest.mark.parametrize("decision, reason, fields", [
    ("rejected", None, {"reason"}),
    ("rejected", "   ", {"reason"}),
    ("rejected", "x" * 1001, {"reason"}),
    ("verify", None, {"decision"}),
    (None, 5, {"decision", "reason"}),
])
def test_bad_decision_or_missing_reason_is_named(catalog_db, decision, reason, fields):
    merchant = register_merchant(catalog_db)
    before = counts(catalog_db)
    with catalog_db() as session, pytest.raises(ValidationFailed) as info:
        domain.decide_verification(session, ADMIN, merchant["id"], decision, reason)
    assert set(info.value.fields) == fields
    assert counts(catalog_db) == before


def test_suspending_needs_a_reason(catalog_db):
    merchant = register_merchant(catalog_db)
    decide(catalog_db, merchant["id"], "verified")
    with catalog_db() as session, pytest.raises(ValidationFailed) as info:
        domain.decide_verification(session, ADMIN, merchant["id"], "suspended", "")
    assert list(info.value.fields) == ["reason"]


def test_unknown_merchant_decision_is_not_found(catalog_db):
    with catalog_db() as session, pytest.raises(NotFound):
        domain.decide_verification(session, ADMIN, "no-such-merchant", "verified")


def test_admin_queue_lists_by_status_with_pages(catalog_db):
    ids = [register_merchant(catalog_db, {**MERCHANT_DATA, "name": f"Usaha Nomor {n}"})["id"] for n in range(5)]
    decide(catalog_db, ids[0], "verified")
    decide(catalog_db, ids[1], "rejected", "NIB tidak ditemukan di OSS.")
    with catalog_db() as session:
        pending = domain.list_merchants_by_status(session, ADMIN, "pending", 1, 2)
        assert (pending["total"], pending["page"], pending["per_page"]) == (3, 1, 2)
        assert [m["id"] for m in pending["items"]] == ids[2:4]  # oldest first
        assert [m["id"] for m in domain.list_merchants_by_status(session, ADMIN, "pending", 2, 2)["items"]] == ids[4:]
        rejected = domain.list_merchants_by_status(session, ADMIN, "rejected")
        assert [m["status_reason"] for m in rejected["items"]] == ["NIB tidak ditemukan di OSS."]
        with pytest.raises(ValidationFailed) as info:
            domain.list_merchants_by_status(session, ADMIN, "dibekukan", 0, 101)
        assert set(info.value.fields) == {"status", "page", "per_page"}


# --- halal expiry ---


def certified_merchant(catalog_db, name: str, expires_on: date) -> tuple[dict, dict, dict]:
    """A merchant whose certificate was valid when entered and now ends on ``expires_on``,
    with one product claiming halal and one not."""
    merchant = register_merchant(catalog_db, {**MERCHANT_DATA, "name": name, "halal_number": "ID74020000777",
                                     "halal_expires_on": (today() + timedelta(days=1)).isoformat()})
    food = create_product(catalog_db, merchant["id"], name="Kopi Bubuk Kolaka", category="kopi-teh", halal=True)
    cloth = create_product(catalog_db, merchant["id"], name="Sarung Tenun", halal=False)
    assert food["halal"] is True
    with catalog_db() as session:
        stored = session.get(Merchant, merchant["id"])
        stored.halal_expires_on = expires_on  # as if entered long ago; halal_active stays what was published
        session.commit()
    return merchant, food, cloth


def test_expired_certificate_takes_the_halal_mark_away(catalog_db):
    expired, food, cloth = certified_merchant(catalog_db, "Kopi Expired", today() - timedelta(days=1))
    current, current_food, _ = certified_merchant(catalog_db, "Kopi Masih Berlaku", today() + timedelta(days=1))
    ends_today, today_food, _ = certified_merchant(catalog_db, "Kopi Hari Ini", today())
    before = len(outbox_rows(catalog_db))

    with catalog_db() as session:
        assert domain.expire_halal_certificates(session, today()) == 1
        session.commit()

    events = new_events(catalog_db, before)
    snapshot = assert_one_merchant_event(events, "catalog.merchant_credentials_changed", expired["id"], 2)
    assert snapshot.credentials.halal_valid is False
    [event] = product_events(events)
    assert (event.aggregate_id, event.type, event.aggregate_version) == (food["id"], "catalog.product_updated", 2)
    assert ProductSnapshot.model_validate(event.payload).halal is False
    with catalog_db() as session:
        assert domain.get_product(session, food["id"])["halal"] is False
        assert domain.get_product(session, food["id"])["halal_claimed"] is True
        assert domain.get_product(session, cloth["id"])["version"] == 1
        # Valid through its last day, and tomorrow's is untouched.
        assert domain.get_product(session, today_food["id"])["halal"] is True
        assert domain.get_product(session, current_food["id"])["halal"] is True
        assert session.get(Merchant, current["id"]).version == 1
        assert session.get(Merchant, ends_today["id"]).halal_active is True

    # Running again changes nothing.
    before = len(outbox_rows(catalog_db))
    with catalog_db() as session:
        assert domain.expire_halal_certificates(session, today()) == 0
        session.commit()
    assert len(outbox_rows(catalog_db)) == before

    # The next day, the certificate that ended today has expired too.
    with catalog_db() as session:
        assert domain.expire_halal_certificates(session, today() + timedelta(days=1)) == 1
        session.commit()
    with catalog_db() as session:
        assert domain.get_product(session, today_food["id"])["halal"] is False


def test_renewing_an_expired_certificate_brings_the_mark_back(catalog_db):
    merchant, food, _ = certified_merchant(catalog_db, "Kopi Diperpanjang", today() - timedelta(days=3))
    with catalog_db() as session:
        domain.expire_halal_certificates(session)
        session.commit()
    before = len(outbox_rows(catalog_db))
    renewed = update(catalog_db, merchant["id"], {"halal_expires_on": (today() + timedelta(days=365)).isoformat()})
    assert renewed["credentials"]["halal_valid"] is True
    events = new_events(catalog_db, before)
    assert_one_merchant_event(events, "catalog.merchant_credentials_changed", merchant["id"], 3)
    [event] = product_events(events)
    assert event.aggregate_id == food["id"] and ProductSnapshot.model_validate(event.payload).halal is True


def test_wita_today_is_utc_plus_eight():
    assert datetime(2026, 1, 1, 16, 30, tzinfo=timezone.utc).astimezone(WITA).date() == date(2026, 1, 2)
    assert datetime(2026, 1, 1, 15, 59, tzinfo=timezone.utc).astimezone(WITA).date() == date(2026, 1, 1)


@pytest.fixture
def fast_halal_timer(catalog_config):
    """The catalog service's settings with a halal check every 0.2 s instead of every minute."""
    with nameko.config.patch({"CATALOG": {**nameko.config["CATALOG"], "HALAL_CHECK_INTERVAL": 0.2}}):
        yield


def test_the_service_timer_expires_certificates_without_a_call(fast_halal_timer, catalog_db, container_factory):
    merchant, food, _ = certified_merchant(catalog_db, "Kopi Timer", today() - timedelta(days=1))
    container = container_factory(CatalogService)
    container.start()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with catalog_db() as session:
            if not session.get(Merchant, merchant["id"]).halal_active:
                break
        time.sleep(0.1)
    with catalog_db() as session:
        assert session.get(Merchant, merchant["id"]).halal_active is False
        product = session.scalars(select(Product).where(Product.id == food["id"])).one()
        assert product.version == 2
        assert domain.get_product(session, food["id"])["halal"] is False
    types = [(row.event_type, row.aggregate_id) for row in outbox_rows(catalog_db)]
    assert ("catalog.merchant_credentials_changed", merchant["id"]) in types
    assert types.count(("catalog.product_updated", food["id"])) == 1


def test_rpc_entry_points_commit_and_errors_cross_as_themselves(fast_halal_timer, catalog_db, container_factory):
    container = container_factory(CatalogService)
    container.start()
    with ClusterRpcClient() as client:
        merchant = client.catalog.register_merchant(OWNER, {**KOPERASI_DATA, "halal_number": "ID74020000123",
                                                            "halal_expires_on": "2099-12-31"})
        updated = client.catalog.update_merchant(OWNER, merchant["id"], {"member_count": 150}, "1")
        assert (updated["version"], updated["credentials"]["member_count"]) == (2, 150)
        with pytest.raises(Forbidden):
            client.catalog.update_merchant(OTHER_OWNER, merchant["id"], {"member_count": 1})
        with pytest.raises(Forbidden):
            client.catalog.decide_verification(OWNER, merchant["id"], "verified")
        with pytest.raises(ValidationFailed) as info:
            client.catalog.decide_verification(ADMIN, merchant["id"], "rejected")
        assert list(info.value.fields) == ["reason"]
        assert client.catalog.list_merchants_by_status(ADMIN, "pending")["total"] == 1
        verified = client.catalog.decide_verification(ADMIN, merchant["id"], "verified")
        assert verified["status"] == "verified" and verified["version"] == 3
        with pytest.raises(Conflict):
            client.catalog.decide_verification(ADMIN, merchant["id"], "reinstated")
        queue = client.catalog.list_merchants_by_status(ADMIN, "verified", page=1, per_page=10)
        assert [m["id"] for m in queue["items"]] == [merchant["id"]]
    with catalog_db() as session:
        assert domain.get_merchant(session, merchant["id"]) == verified  # committed before the reply
