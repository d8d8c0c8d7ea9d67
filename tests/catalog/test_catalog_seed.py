"""Demo seeding goes through the domain functions: validated, with events in the outbox."""
import json

import pytest
from sqlalchemy import select

from services.catalog import domain, seed
from services.catalog.models import Merchant, OutboxMessage, Product
from shared.db import make_engine, make_session_factory
from shared.migrations import upgrade

from catalog_helpers import counts

FIXTURE = {
    "merchants": [
        {
            "key": "madu-buton",
            "owner": {"email": "la.ode@demo.etalase.id", "name": "La Ode"},
            "name": "Madu Hutan Buton",
            "kind": "umkm",
            "region": "7401",
            "whatsapp": "+6281200074011",
            "description": "Madu hutan dari Pasarwajo.",
            "products": [
                {"name": "Madu Hutan 500 ml", "description": "Madu murni.", "price": 120000, "stock": 20, "unit": "botol", "category": "madu", "halal": True},
                {"name": "Madu Hutan 250 ml", "description": "Madu murni.", "price": 65000, "stock": 30, "unit": "botol", "category": "madu", "halal": True},
            ],
        },
        {
            "key": "kop-mete",
            "owner": {"email": "wa.ode@demo.etalase.id", "name": "Wa Ode"},
            "name": "Koperasi Mete Muna",
            "kind": "koperasi",
            "region": "7402",
            "whatsapp": "0812-0007-4021",
            "description": "",
            "products": [
                {"name": "Kacang Mete Goreng", "description": "", "price": 85000, "stock": 40, "unit": "bungkus", "category": "mete-kacang", "halal": True},
            ],
        },
    ]
}
OWNER_IDS = {"la.ode@demo.etalase.id": "acc-1", "wa.ode@demo.etalase.id": "acc-2"}


@pytest.fixture
def demo_file(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(FIXTURE), encoding="utf-8")
    return path


def test_seed_creates_merchants_products_and_events(catalog_db, demo_file):
    with catalog_db() as session:
        assert not seed.is_seeded(session)
        result = seed.seed_demo(session, OWNER_IDS, demo_file)
        session.commit()
    assert result == {"merchants": 2, "products": 3, "skipped_merchants": 0}
    # 2 registrations, 2 verifications (two in three demo merchants are verified; the
    # second also holds a halal certificate for its halal mete), 3 products.
    assert counts(catalog_db) == {"merchants": 2, "products": 3, "outbox": 7}
    with catalog_db() as session:
        assert seed.is_seeded(session)
        types = session.scalars(select(OutboxMessage.event_type).order_by(OutboxMessage.id)).all()
        mete = session.scalar(select(Product).where(Product.name == "Kacang Mete Goreng"))
        assert domain.get_product(session, mete.id)["halal"] is True
    assert types.count("catalog.merchant_registered") == 2 and types.count("catalog.product_published") == 3
    assert types.count("catalog.merchant_verified") == 2


def test_seed_twice_adds_nothing(catalog_db, demo_file):
    with catalog_db() as session:
        seed.seed_demo(session, OWNER_IDS, demo_file)
        session.commit()
    with catalog_db() as session:
        again = seed.seed_demo(session, OWNER_IDS, demo_file)
        session.commit()
    assert again == {"merchants": 0, "products": 0, "skipped_merchants": 2}
    assert counts(catalog_db)["merchants"] == 2


def test_seed_needs_every_owner_account(catalog_db, demo_file):
    with catalog_db() as session, pytest.raises(ValueError, match="wa.ode@demo.etalase.id"):
        seed.seed_demo(session, {"la.ode@demo.etalase.id": "acc-1"}, demo_file)


@pytest.mark.skipif(not seed.DEMO_DATA.exists(), reason="demo_data.json not written yet")
def test_the_shipped_demo_data_passes_validation(sqlite_url):
    """Every merchant and product of demo_data.json is accepted by the catalog's rules."""
    upgrade("catalog", sqlite_url)
    engine = make_engine(sqlite_url)
    data = seed.load_demo_data()
    owner_ids = {m["owner"]["email"]: f"acc-{i}" for i, m in enumerate(data["merchants"])}
    try:
        with make_session_factory(engine)() as session:
            result = seed.seed_demo(session, owner_ids)
            session.commit()
            koperasi = session.scalars(select(Merchant).where(Merchant.kind == "koperasi")).all()
            assert koperasi and all(m.last_rat_year and m.member_count and m.legal_number for m in koperasi)
    finally:
        engine.dispose()
    assert result["merchants"] == len(data["merchants"])
    assert result["products"] == sum(len(m.get("products", [])) for m in data["merchants"])
