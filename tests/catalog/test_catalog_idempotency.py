"""Idempotency keys where the catalog makes an aggregate (shared/idempotency.py), on SQLite
and PostgreSQL: a repeat of a key whose first answer was lost makes nothing new."""
import base64
import hashlib
import io
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from services.catalog import domain, imports, photos
from services.catalog.models import IdempotencyKey, ImportJob, Merchant, OutboxMessage, Product, ProductPhoto
from services.catalog.service import CatalogService
from shared.db import UnitOfWork
from shared.errors import IdempotencyKeyReused
from shared.events import utcnow
from shared.idempotency import KEY_TTL, KeyGuard, create_once, keyed_request, prune_expired, scope_of

from catalog_helpers import MERCHANT_DATA, OTHER_OWNER, OWNER, product_data

IMPORT_CSV = (b"sku,nama,deskripsi,harga,harga_coret,stok,satuan,kategori,halal,status,tag\r\n"
              b"A1,Keripik Pisang,Renyah,15000,,10,bungkus,camilan,ya,,\r\n")


def photo_upload() -> dict:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(out, "JPEG")
    return {"filename": "kain.jpg", "content_type": "image/jpeg", "alt": "",
            "data_b64": base64.b64encode(out.getvalue()).decode("ascii")}


def keyed(key="kunci-1", body="a"):
    return {"key": key, "fingerprint": hashlib.sha256(body.encode()).hexdigest()}


def count(catalog_db, model) -> int:
    with catalog_db() as session:
        return session.scalar(select(func.count()).select_from(model))


def age_keys(catalog_db, by=KEY_TTL + timedelta(minutes=1)) -> None:
    """Move the clock past the keys' 24 hours: their records are made older instead."""
    with catalog_db() as session:
        session.execute(update(IdempotencyKey).values(created_at=utcnow() - by))
        session.commit()


def create_product_once(uow, data, idempotency, actor=OWNER):
    return create_once(uow, IdempotencyKey, scope_of(actor), idempotency,
                       create=lambda: domain.create_product(uow.session, actor, data),
                       existing=lambda product_id: domain.get_product(uow.session, product_id))


@pytest.fixture
def uow(catalog_db):
    unit = UnitOfWork(catalog_db, [])
    yield unit
    unit.close()


def test_a_repeat_of_create_product_over_rpc_makes_one_product(catalog_config, catalog_db, container_factory, merchant):
    """The gateway got no answer (the catalog died after committing, or the deadline passed)
    and the client retried: the catalog's create_product is called again with the same key."""
    container = container_factory(CatalogService)
    container.start()
    data = product_data(merchant["id"])
    with entrypoint_hook(container, "create_product") as create_product:
        first = create_product(OWNER, data, idempotency=keyed())
        repeat = create_product(OWNER, data, idempotency=keyed())
        assert repeat == first
        with pytest.raises(IdempotencyKeyReused) as reused:
            create_product(OWNER, {**data, "price": 1}, idempotency=keyed(body="b"))
        assert "Idempotency-Key" in reused.value.fields
        without_key = create_product(OWNER, data)

    assert without_key["id"] != first["id"]
    assert count(catalog_db, Product) == 2
    with catalog_db() as session:
        published = session.scalars(select(OutboxMessage.aggregate_id).where(
            OutboxMessage.event_type == "catalog.product_published")).all()
    assert sorted(published) == sorted([first["id"], without_key["id"]])  # one event per product made


def test_keys_are_scoped_per_account(uow, catalog_db):
    mine = create_once(uow, IdempotencyKey, scope_of(OWNER), keyed(),
                       create=lambda: domain.register_merchant(uow.session, OWNER, MERCHANT_DATA),
                       existing=lambda merchant_id: domain.get_merchant(uow.session, merchant_id))
    theirs = create_once(uow, IdempotencyKey, scope_of(OTHER_OWNER), keyed(),
                         create=lambda: domain.register_merchant(uow.session, OTHER_OWNER, MERCHANT_DATA),
                         existing=lambda merchant_id: domain.get_merchant(uow.session, merchant_id))
    assert mine["id"] != theirs["id"] and theirs["owner_id"] == OTHER_OWNER["id"]
    assert count(catalog_db, Merchant) == 2 and count(catalog_db, IdempotencyKey) == 2


def test_an_expired_key_is_free_again_and_pruned_in_batches(uow, catalog_db, merchant):
    data = product_data(merchant["id"])
    first = create_product_once(uow, data, keyed())
    age_keys(catalog_db)
    # Past 24 hours the key is free: the same request makes a new product, and the key is its.
    second = create_product_once(uow, data, keyed())
    assert second["id"] != first["id"]
    assert create_product_once(uow, data, keyed())["id"] == second["id"]
    with catalog_db() as session:
        assert session.scalars(select(IdempotencyKey.aggregate_id)).all() == [second["id"]]

    for n in range(4):
        create_product_once(uow, product_data(merchant["id"], name=f"Tenun {n}"), keyed(f"lain-{n}", str(n)))
    age_keys(catalog_db)
    create_product_once(uow, product_data(merchant["id"], name="Tenun baru"), keyed("baru"))
    assert prune_expired(uow, IdempotencyKey, batch=2) == 5  # 2 + 2 + 1, each batch its own transaction
    with catalog_db() as session:
        assert session.scalars(select(IdempotencyKey.key)).all() == ["baru"]


def test_a_twin_that_committed_first_is_answered_with_its_product(uow, catalog_db, merchant):
    """Two requests with the same key in flight at once (the gateway's lock had expired): the
    one whose commit hits the unique constraint answers with what the other made."""
    guard = KeyGuard(uow.session, IdempotencyKey, scope_of(OWNER), keyed_request(keyed()))
    assert guard.previous() is None  # this request looked first: the key was unused
    uow.rollback()
    twin = create_product_once(UnitOfWork(catalog_db, []), product_data(merchant["id"], name="Kembar"), keyed())

    guard.remember(domain.create_product(uow.session, OWNER, product_data(merchant["id"]))["id"])
    with pytest.raises(IntegrityError) as failed:
        uow.commit()
    uow.rollback()
    assert guard.twin_after(failed.value) == twin["id"]
    uow.rollback()  # end the read: SQLite's engine has one connection
    assert count(catalog_db, Product) == 1


def test_a_photo_repeat_adds_one_photo(catalog_db, media_root, product):
    data = photo_upload()

    def add_once(expected_version):
        with catalog_db() as session:
            return photos.add_product_photo_once(
                session, media_root, OWNER, product["id"], data, commit=session.commit,
                keys=KeyGuard(session, IdempotencyKey, scope_of(OWNER), keyed_request(keyed())),
                expected_version=expected_version)

    first = add_once(product["version"])
    repeat = add_once(product["version"])  # the If-Match of the first try, stale by now: still the same answer
    assert repeat == first and len(first["photos"]) == 1
    assert count(catalog_db, ProductPhoto) == 1


def test_an_import_repeat_starts_one_job(uow, catalog_db, merchant):
    content = base64.b64encode(IMPORT_CSV).decode()

    def start():
        return create_once(uow, IdempotencyKey, scope_of(OWNER), keyed(),
                           create=lambda: imports.start_import(uow.session, OWNER, merchant["id"], "produk.csv", content),
                           existing=lambda job_id: imports.get_import(uow.session, OWNER, job_id))

    assert start()["id"] == start()["id"]
    assert count(catalog_db, ImportJob) == 1
