"""Domain functions against real databases (SQLite and PostgreSQL): permissions,
validation without side effects, versions and one outbox event per change."""
import json
from datetime import datetime, timezone

import pytest

from services.catalog import domain
from services.catalog.models import Merchant, Product, ProductPhoto
from shared.contracts import MerchantSnapshot, ProductDeleted, ProductSnapshot
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

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
    product_data,
)

# --- merchants ---


def test_register_merchant_writes_merchant_and_event(catalog_db):
    with catalog_db() as session:
        merchant = domain.register_merchant(session, OWNER, MERCHANT_DATA)
        session.commit()
    assert merchant["owner_id"] == OWNER["id"]
    assert merchant["whatsapp"] == "+6281234567890"
    assert merchant["region_name"] == "Muna"
    assert merchant["verified"] is False and merchant["version"] == 1
    json.dumps(merchant)  # the gateway sends it as JSON
    [row] = outbox_rows(catalog_db)
    event = event_of(row)
    assert (event.type, event.aggregate_id, event.aggregate_version) == ("catalog.merchant_registered", merchant["id"], 1)
    assert MerchantSnapshot.model_validate(event.payload).id == merchant["id"]
    with catalog_db() as session:
        assert domain.get_merchant(session, merchant["id"]) == merchant


@pytest.mark.parametrize("actor", [PROMOTER, ADMIN, None, {"role": "owner"}, {"id": "x"}])
def test_only_owners_register_merchants(catalog_db, actor):
    with catalog_db() as session, pytest.raises(Forbidden):
        domain.register_merchant(session, actor, MERCHANT_DATA)
    assert counts(catalog_db) == {"merchants": 0, "products": 0, "outbox": 0}


def test_invalid_merchant_writes_nothing(catalog_db):
    with catalog_db() as session:
        with pytest.raises(ValidationFailed) as info:
            domain.register_merchant(session, OWNER, {**MERCHANT_DATA, "whatsapp": "12", "region": "9999"})
        session.commit()  # even a caller that commits anyway writes nothing
    assert set(info.value.fields) == {"whatsapp", "region"}
    assert counts(catalog_db) == {"merchants": 0, "products": 0, "outbox": 0}


def test_unknown_merchant_is_not_found(session):
    with pytest.raises(NotFound):
        domain.get_merchant(session, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound):
        domain.list_merchant_products(session, "nope")


# --- products: create ---


def test_create_product_returns_json_ready_dict(catalog_db, merchant):
    product = create_product(catalog_db, merchant["id"])
    json.dumps(product)
    assert product["version"] == 1 and product["status"] == "published"
    assert product["slug"] == "kain-tenun-masalili-motif-bia-bia"
    assert product["category"] == "tenun" and product["category_name"] == "Kain Tenun"
    assert product["region"] == "7402" and product["region_name"] == "Muna"
    assert product["merchant"] == {"id": merchant["id"], "name": "Tenun Masalili", "kind": "umkm", "region": "7402", "verified": False, "status": "pending"}
    assert product["created_at"].endswith("+00:00")
    with catalog_db() as session:
        assert domain.get_product(session, product["id"]) == product
        assert domain.list_merchant_products(session, merchant["id"])["items"] == [product]


def test_slugs_are_unique_per_merchant(catalog_db, merchant):
    first = create_product(catalog_db, merchant["id"], name="Kopi Robusta Kolaka")
    second = create_product(catalog_db, merchant["id"], name="Kopi  Robusta — Kolaka!")
    third = create_product(catalog_db, merchant["id"], name="Kopi Robusta Kolaka")
    assert [first["slug"], second["slug"], third["slug"]] == ["kopi-robusta-kolaka", "kopi-robusta-kolaka-2", "kopi-robusta-kolaka-3"]


def test_slugify():
    assert domain.slugify("Keripik Pisang Ambon (Pedas) 250 gr") == "keripik-pisang-ambon-pedas-250-gr"
    assert domain.slugify("Kopi Kolaka Café") == "kopi-kolaka-cafe"
    assert domain.slugify("!!!") == "produk"


def test_invalid_product_writes_nothing(catalog_db, merchant):
    before = counts(catalog_db)
    with catalog_db() as session:
        with pytest.raises(ValidationFailed) as info:
            domain.create_product(session, OWNER, product_data(merchant["id"], price=12.5, stock=-1, category="fashion", extra=1))
        session.commit()
    assert set(info.value.fields) == {"price", "stock", "category", "extra"}
    assert counts(catalog_db) == before


def test_product_for_unknown_merchant_is_refused(catalog_db, merchant):
    before = counts(catalog_db)
    with catalog_db() as session, pytest.raises(ValidationFailed) as info:
        domain.create_product(session, OWNER, product_data("no-such-merchant"))
    assert list(info.value.fields) == ["merchant_id"]
    assert counts(catalog_db) == before


@pytest.mark.parametrize("actor", [OTHER_OWNER, PROMOTER, ADMIN])
def test_only_the_merchants_owner_creates_products(catalog_db, merchant, actor):
    before = counts(catalog_db)
    with catalog_db() as session, pytest.raises(Forbidden):
        domain.create_product(session, actor, product_data(merchant["id"]))
    assert counts(catalog_db) == before


@pytest.mark.parametrize("halal_active", [True, False])
def test_snapshot_dicts_are_the_snapshots_dumped(halal_active):
    """An import's snapshots are built as plain dicts; they must stay the contract's dump,
    field for field (a field added to ProductSnapshot and not to the dicts fails here)."""
    merchant = Merchant(id="m-1", owner_id="o-1", name="Koperasi Tenun", kind="koperasi", region="7402",
                        whatsapp="+6281234567890", status="verified", halal_active=halal_active)
    naive = datetime(2026, 12, 4, 10, 30, 0, 123456)  # as SQLite hands times back
    aware = datetime(2026, 12, 4, 11, 0, 0, tzinfo=timezone.utc)
    photo = ProductPhoto(id="ph-1", position=0, content_type="image/webp", width=800, height=600, sha256="0" * 64,
                         variants={"thumb": "products/ab/ph-1-320.webp", "large": "products/ab/ph-1-1280.webp"},
                         alt="Kain tenun")
    products = [
        Product(id="p-1", merchant_id="m-1", name="Kain Tenun Bia-bia", slug="kain-tenun-bia-bia",
                description="Tenun ikat.", price=450_000, stock=3, unit="lembar", category="tenun", halal=True,
                status="published", version=4, created_at=naive, updated_at=aware, sku="KT-1",
                compare_at_price=500_000, tags=["tenun", "muna"], member_business="Ibu Wa Ode", photos=[photo]),
        Product(id="p-2", merchant_id="m-1", name="Keripik Pisang", slug="keripik-pisang", description="",
                price=15_000, stock=0, unit="pcs", category="camilan", halal=False, status="draft", version=1,
                created_at=aware, updated_at=aware, sku=None, compare_at_price=None, tags=None,
                member_business=None),
    ]
    dicts = domain.product_snapshot_dicts(products, merchant)
    dumped = [domain.product_snapshot(product, merchant).model_dump() for product in products]
    assert dicts == dumped
    assert all(list(d) == list(ProductSnapshot.model_fields) for d in dicts)
    assert json.loads(json.dumps(dicts)) == json.loads(json.dumps(dumped))


# --- products: versions and events ---


def test_create_update_delete_versions_and_events(catalog_db, merchant):
    product = create_product(catalog_db, merchant["id"])
    with catalog_db() as session:
        updated = domain.update_product(session, OWNER, product["id"], {"price": 475_000, "stock": 10}, expected_version=1)
        session.commit()
    assert (updated["version"], updated["price"], updated["stock"]) == (2, 475_000, 10)
    with catalog_db() as session:
        deleted = domain.delete_product(session, OWNER, product["id"], expected_version=2)
        session.commit()
    assert deleted == {"id": product["id"], "merchant_id": merchant["id"], "version": 3}

    rows = [row for row in outbox_rows(catalog_db) if row.aggregate_id == product["id"]]
    assert [(r.event_type, r.aggregate_version, r.status) for r in rows] == [
        ("catalog.product_published", 1, "pending"),
        ("catalog.product_updated", 2, "pending"),
        ("catalog.product_deleted", 3, "pending"),
    ]
    published, update, delete = (event_of(r) for r in rows)
    assert ProductSnapshot.model_validate(published.payload).version == 1
    snapshot = ProductSnapshot.model_validate(update.payload)
    assert (snapshot.version, snapshot.price) == (2, 475_000)
    assert snapshot.category.parent_slug == "kerajinan" and snapshot.merchant.id == merchant["id"]
    assert ProductDeleted.model_validate(delete.payload).version == 3
    assert delete.is_delete and delete.aggregate_type == "product"

    with catalog_db() as session:
        with pytest.raises(NotFound):
            domain.get_product(session, product["id"])
        with pytest.raises(NotFound):
            domain.update_product(session, OWNER, product["id"], {"price": 1})
        with pytest.raises(NotFound):
            domain.delete_product(session, OWNER, product["id"])
        assert domain.list_merchant_products(session, merchant["id"])["items"] == []


def test_stale_expected_version_is_a_conflict(catalog_db, merchant):
    product = create_product(catalog_db, merchant["id"])
    with catalog_db() as session:
        domain.update_product(session, OWNER, product["id"], {"stock": 5})
        session.commit()
    before = counts(catalog_db)
    for stale in (1, "1", '"1"', 'W/"1"'):
        with catalog_db() as session, pytest.raises(Conflict) as info:
            domain.update_product(session, OWNER, product["id"], {"stock": 4}, expected_version=stale)
        assert info.value.fields == {"version": "2"}
        assert "2" in info.value.message
    with catalog_db() as session, pytest.raises(Conflict):
        domain.delete_product(session, OWNER, product["id"], expected_version=1)
    with catalog_db() as session, pytest.raises(ValidationFailed):
        domain.update_product(session, OWNER, product["id"], {"stock": 4}, expected_version="abc")
    assert counts(catalog_db) == before
    with catalog_db() as session:
        assert domain.get_product(session, product["id"])["stock"] == 5


@pytest.mark.parametrize("actor", [OTHER_OWNER, PROMOTER, ADMIN])
def test_only_the_owner_updates_and_deletes(catalog_db, merchant, actor):
    product = create_product(catalog_db, merchant["id"])
    before = counts(catalog_db)
    with catalog_db() as session:
        with pytest.raises(Forbidden):
            domain.update_product(session, actor, product["id"], {"price": 1000})
        with pytest.raises(Forbidden):
            domain.delete_product(session, actor, product["id"])
        session.commit()
    assert counts(catalog_db) == before
    with catalog_db() as session:
        assert domain.get_product(session, product["id"]) == product


def test_invalid_patch_writes_nothing(catalog_db, merchant):
    product = create_product(catalog_db, merchant["id"])
    before = counts(catalog_db)
    for patch in ({}, {"merchant_id": "other"}, {"price": -1}, {"halal": "ya", "stock": 1.5}, {"warna": "merah"}):
        with catalog_db() as session, pytest.raises(ValidationFailed):
            domain.update_product(session, OWNER, product["id"], patch)
    assert counts(catalog_db) == before
    with catalog_db() as session:
        assert domain.get_product(session, product["id"])["version"] == 1


def test_patch_without_real_change_is_not_a_new_version(catalog_db, merchant):
    product = create_product(catalog_db, merchant["id"])
    before = counts(catalog_db)
    with catalog_db() as session:
        same = domain.update_product(session, OWNER, product["id"], {"price": product["price"]})
        session.commit()
    assert same["version"] == 1
    assert counts(catalog_db) == before


def test_renaming_changes_the_slug_but_keeps_it_unique(catalog_db, merchant):
    create_product(catalog_db, merchant["id"], name="Sarung Tenun Buton")
    other = create_product(catalog_db, merchant["id"], name="Sarung Biasa")
    with catalog_db() as session:
        renamed = domain.update_product(session, OWNER, other["id"], {"name": "Sarung Tenun Buton"})
        session.commit()
    assert renamed["slug"] == "sarung-tenun-buton-2"


# PostgreSQL only: SQLite has one connection per process, so its transactions cannot overlap.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_writer_is_caught_by_the_version_check(database_url, catalog_db, merchant):
    """Two sessions read v1; the second to flush loses instead of writing a second v2."""
    product = create_product(catalog_db, merchant["id"])
    first, second = catalog_db(), catalog_db()
    try:
        # second reads v1 now and keeps it (the identity map holds objects weakly)
        stale = second.get(Product, product["id"])
        assert stale.version == 1
        domain.update_product(first, OWNER, product["id"], {"stock": 1})
        first.commit()
        with pytest.raises(Conflict):
            domain.update_product(second, OWNER, product["id"], {"stock": 2})
        second.rollback()
    finally:
        first.close()
        second.close()
    versions = [r.aggregate_version for r in outbox_rows(catalog_db) if r.aggregate_id == product["id"]]
    assert versions == [1, 2]


def test_list_categories_are_leaves_with_parents():
    categories = domain.list_categories()
    assert {"slug": "madu", "name": "Madu", "parent": {"slug": "makanan-minuman", "name": "Makanan & Minuman"}} in categories


def test_merchant_products_are_paged_and_the_page_size_is_bounded(catalog_db, merchant):
    for n in range(5):
        create_product(catalog_db, merchant["id"], name=f"Produk nomor {n}")
    with catalog_db() as session:
        page = domain.list_merchant_products(session, merchant["id"], page=2, per_page=2)
        assert page["total"] == 5 and page["page"] == 2 and len(page["items"]) == 2
        assert len(domain.list_merchant_products(session, merchant["id"], page=3, per_page=2)["items"]) == 1
        with pytest.raises(ValidationFailed) as error:
            domain.list_merchant_products(session, merchant["id"], page=0, per_page=500)
        assert set(error.value.fields) == {"page", "per_page"}
        assert domain.list_merchant_products(session, merchant["id"], page=domain.MAX_PAGE, per_page=2)["items"] == []
        # Far past it, the offset would overflow the database's integers (a 502 schemathesis found).
        with pytest.raises(ValidationFailed) as error:
            domain.list_merchant_products(session, merchant["id"], page=10**34, per_page=2)
    assert set(error.value.fields) == {"page"}


def test_a_merchants_list_shows_others_only_what_buyers_may_see(catalog_db, merchant):
    published = create_product(catalog_db, merchant["id"], name="Kopi Tayang")
    draft = create_product(catalog_db, merchant["id"], name="Kopi Draf", status="draft")
    archived = create_product(catalog_db, merchant["id"], name="Kopi Arsip", status="archived")

    def listed(actor=None):
        with catalog_db() as session:
            page = domain.list_merchant_products(session, merchant["id"], actor=actor)
        return {item["id"] for item in page["items"]}, page["total"]

    everything = ({published["id"], draft["id"], archived["id"]}, 3)
    assert listed(OWNER) == everything and listed(ADMIN) == everything
    assert listed() == ({published["id"]}, 1) and listed(OTHER_OWNER) == ({published["id"]}, 1)
    committed(catalog_db, domain.decide_verification, ADMIN, merchant["id"], "rejected", "Dokumen tidak sah.")
    assert listed() == (set(), 0)  # a rejected business shows buyers nothing, as search does
    assert listed(OWNER) == everything
