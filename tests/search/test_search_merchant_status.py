"""A merchant's status reaches search through catalog events: products of an unverified
merchant are listed and marked unverified; a rejected or suspended merchant's products leave
search (what the product page refuses is never listed) and come back when it is verified or
reinstated; a verified merchant changing its credentials loses the badge until reviewed. The catalog (its real domain, on its own SQLite
file) produces the events; they go through the real indexer into a search database
(SQLite and PostgreSQL). Promotion facts follow the same events."""
import json

import pytest
from sqlalchemy import select

from services.catalog import domain
from services.catalog.models import OutboxMessage
from services.promotion import facts
from services.promotion.models import ProductFact
from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchQuery, result_item
from services.search.indexer import process_event
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.events import Event
from shared.migrations import upgrade

OWNER = {"id": "acc-owner-1", "role": "owner"}
OTHER_OWNER = {"id": "acc-owner-2", "role": "owner"}
ADMIN = {"id": "acc-admin-1", "role": "admin"}


class Pipe:
    """Carries the catalog's outbox events, in order, to the search indexer and to the
    promotion facts (what the relay and the consumers do, without a broker)."""

    def __init__(self, catalog_db, search_db, promotion_db, engine):
        self.catalog_db = catalog_db
        self.search_db = search_db
        self.promotion_db = promotion_db
        self.engine = engine
        self.last_id = 0

    def flush(self) -> int:
        with self.catalog_db() as session:
            rows = list(session.scalars(
                select(OutboxMessage).where(OutboxMessage.id > self.last_id).order_by(OutboxMessage.id)
            ))
        for row in rows:
            event = Event.from_dict(json.loads(row.body))
            process_event(UnitOfWork(self.search_db, []), self.engine, event)
            with self.promotion_db() as session:
                facts.apply_event(session, event)
                session.commit()
            self.last_id = row.id
        return len(rows)


@pytest.fixture
def world(tmp_path, migrated):
    catalog_url = f"sqlite:///{tmp_path / 'catalog.db'}"
    upgrade("catalog", catalog_url)
    catalog_engine = make_engine(catalog_url)
    catalog_db = make_session_factory(catalog_engine)
    search_db = migrated("search")  # SQLite and PostgreSQL
    promotion_url = f"sqlite:///{tmp_path / 'promotion.db'}"
    upgrade("promotion", promotion_url)
    promotion_engine = make_engine(promotion_url)
    engine = EmbeddedEngine(search_db)
    engine.start()
    yield Pipe(catalog_db, search_db, make_session_factory(promotion_engine), engine)
    catalog_engine.dispose()
    promotion_engine.dispose()


def in_catalog(world, fn, *args):
    with world.catalog_db() as session:
        result = fn(session, *args)
        session.commit()
    return result


def search(engine, q="") -> list[dict]:
    return [result_item(doc) for doc in engine.search(SearchQuery(q=q, per_page=100)).items]


def fact_ids(world) -> set[str]:
    with world.promotion_db() as session:
        return set(session.scalars(select(ProductFact.id)))


def test_suspended_merchant_leaves_search_and_returns_when_reinstated(world):
    merchant = in_catalog(world, domain.register_merchant, OWNER, {
        "name": "Tenun Masalili", "kind": "umkm", "region": "7402", "whatsapp": "081234567890",
    })
    other = in_catalog(world, domain.register_merchant, OTHER_OWNER, {
        "name": "Koperasi Tenun Buton", "kind": "koperasi", "region": "7401", "whatsapp": "081298765432",
    })

    def product(actor, merchant_id, name):
        return in_catalog(world, domain.create_product, actor, {
            "merchant_id": merchant_id, "name": name, "price": 350_000, "stock": 4, "category": "tenun",
        })

    sarung = product(OWNER, merchant["id"], "Sarung Tenun Masalili")
    kain = product(OWNER, merchant["id"], "Kain Tenun Ikat Muna")
    buton = product(OTHER_OWNER, other["id"], "Kain Tenun Buton")
    world.flush()

    # Unverified merchants are listed, marked unverified.
    hits = {item["id"]: item for item in search(world.engine, "tenun")}
    assert set(hits) == {sarung["id"], kain["id"], buton["id"]}
    assert hits[sarung["id"]]["merchant"]["verified"] is False

    in_catalog(world, domain.decide_verification, ADMIN, merchant["id"], "verified", None)
    world.flush()
    hits = {item["id"]: item for item in search(world.engine, "tenun")}
    assert hits[sarung["id"]]["merchant"]["verified"] is True
    assert hits[buton["id"]]["merchant"]["verified"] is False
    assert fact_ids(world) == {sarung["id"], kain["id"], buton["id"]}

    in_catalog(world, domain.decide_verification, ADMIN, merchant["id"], "suspended", "Laporan produk palsu.")
    world.flush()
    assert [item["id"] for item in search(world.engine, "tenun")] == [buton["id"]]
    assert [item["id"] for item in search(world.engine)] == [buton["id"]]
    assert search(world.engine, "masalili") == []
    assert fact_ids(world) == {buton["id"]}
    # Still hidden after a restart (the index is rebuilt from the search database).
    world.engine = EmbeddedEngine(world.search_db)
    world.engine.start()
    assert [item["id"] for item in search(world.engine, "tenun")] == [buton["id"]]

    # A suspended merchant's product changed meanwhile stays hidden.
    in_catalog(world, domain.update_product, OWNER, kain["id"], {"price": 375_000})
    world.flush()
    assert search(world.engine, "masalili") == []

    in_catalog(world, domain.decide_verification, ADMIN, merchant["id"], "reinstated", None)
    world.flush()
    hits = {item["id"]: item for item in search(world.engine, "tenun")}
    assert set(hits) == {sarung["id"], kain["id"], buton["id"]}
    assert hits[kain["id"]]["merchant"]["verified"] is True and hits[kain["id"]]["price"] == 375_000
    assert fact_ids(world) == {sarung["id"], kain["id"], buton["id"]}


def test_a_renamed_merchant_is_found_by_its_new_name(world):
    merchant = in_catalog(world, domain.register_merchant, OWNER, {
        "name": "Usaha Lama", "kind": "umkm", "region": "7471", "whatsapp": "081234567890",
    })
    in_catalog(world, domain.create_product, OWNER, {
        "merchant_id": merchant["id"], "name": "Kopi Bubuk", "price": 25_000, "stock": 4, "category": "kopi-teh",
    })
    in_catalog(world, domain.update_merchant, OWNER, merchant["id"], {"name": "Kopi Mekongga"})
    world.flush()
    [hit] = search(world.engine, "mekongga")
    assert hit["merchant"]["name"] == "Kopi Mekongga"


def test_a_rejected_merchant_leaves_search_and_its_region_and_returns_when_verified(world):
    """What the product page refuses, search does not list: a rejected merchant's products
    leave the text search, the empty query and the region filter (the region page), and the
    promotion facts (featured slots); verifying it after a re-review brings them back."""
    merchant = in_catalog(world, domain.register_merchant, OWNER, {
        "name": "Madu Hutan Kolaka", "kind": "umkm", "region": "7404", "whatsapp": "081234567890",
    })
    other = in_catalog(world, domain.register_merchant, OTHER_OWNER, {
        "name": "Madu Konawe", "kind": "umkm", "region": "7404", "whatsapp": "081298765432",
    })
    madu = in_catalog(world, domain.create_product, OWNER, {
        "merchant_id": merchant["id"], "name": "Madu Hutan Asli", "price": 120_000, "stock": 4, "category": "madu",
    })
    lain = in_catalog(world, domain.create_product, OTHER_OWNER, {
        "merchant_id": other["id"], "name": "Madu Kelulut", "price": 150_000, "stock": 4, "category": "madu",
    })
    world.flush()
    assert {item["id"] for item in search(world.engine, "madu")} == {madu["id"], lain["id"]}  # pending: listed

    in_catalog(world, domain.decide_verification, ADMIN, merchant["id"], "rejected", "NIB tidak ditemukan di OSS.")
    world.flush()
    assert [item["id"] for item in search(world.engine, "madu")] == [lain["id"]]
    assert [item["id"] for item in search(world.engine)] == [lain["id"]]
    region = world.engine.search(SearchQuery(q="", region="7404", per_page=100))
    assert [doc["id"] for doc in region.items] == [lain["id"]] and region.total == 1
    assert fact_ids(world) == {lain["id"]}

    in_catalog(world, domain.decide_verification, ADMIN, merchant["id"], "verified", None)
    world.flush()
    hits = {item["id"]: item for item in search(world.engine, "madu")}
    assert set(hits) == {madu["id"], lain["id"]} and hits[madu["id"]]["merchant"]["verified"] is True
    assert fact_ids(world) == {madu["id"], lain["id"]}


def test_an_archived_or_deleted_product_leaves_search(world):
    merchant = in_catalog(world, domain.register_merchant, OWNER, {
        "name": "Kopi Mekongga", "kind": "umkm", "region": "7404", "whatsapp": "081234567890",
    })

    def kopi(name):
        return in_catalog(world, domain.create_product, OWNER, {
            "merchant_id": merchant["id"], "name": name, "price": 25_000, "stock": 4, "category": "kopi-teh",
        })

    arsip, hapus, tetap = kopi("Kopi Robusta"), kopi("Kopi Arabika"), kopi("Kopi Luwak")
    world.flush()
    in_catalog(world, domain.update_product, OWNER, arsip["id"], {"status": "archived"})
    in_catalog(world, domain.delete_product, OWNER, hapus["id"])
    world.flush()
    assert [item["id"] for item in search(world.engine, "kopi")] == [tetap["id"]]
    assert fact_ids(world) == {tetap["id"]}


def test_a_verified_merchant_changing_its_nib_loses_the_badge_until_verified_again(world):
    """Re-verification reaches search: the products stay listed (pending merchants are), but
    without the verified badge and out of the "verified only" filter."""
    merchant = in_catalog(world, domain.register_merchant, OWNER, {
        "name": "Tenun Masalili", "kind": "umkm", "region": "7402", "whatsapp": "081234567890",
        "nib": "9120001234567",
    })
    sarung = in_catalog(world, domain.create_product, OWNER, {
        "merchant_id": merchant["id"], "name": "Sarung Tenun", "price": 350_000, "stock": 4, "category": "tenun",
    })
    in_catalog(world, domain.decide_verification, ADMIN, merchant["id"], "verified", None)
    world.flush()
    verified_only = SearchQuery(q="sarung", verified=True)
    assert [doc["id"] for doc in world.engine.search(verified_only).items] == [sarung["id"]]

    in_catalog(world, domain.update_merchant, OWNER, merchant["id"], {"nib": "9120007654321"})
    world.flush()
    [hit] = search(world.engine, "sarung")
    assert hit["merchant"]["verified"] is False
    assert world.engine.search(verified_only).items == []

    in_catalog(world, domain.decide_verification, ADMIN, merchant["id"], "verified", None)
    world.flush()
    assert [doc["id"] for doc in world.engine.search(verified_only).items] == [sarung["id"]]
