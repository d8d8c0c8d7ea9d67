"""Test data and helpers for the catalog tests (imported by test modules and conftest)."""
from sqlalchemy import func, select

from services.catalog.models import Merchant, OutboxMessage, Product

OWNER = {"id": "acc-owner-1", "role": "owner"}
OTHER_OWNER = {"id": "acc-owner-2", "role": "owner"}
PROMOTER = {"id": "acc-promoter-1", "role": "promoter"}
ADMIN = {"id": "acc-admin-1", "role": "admin"}

MERCHANT_DATA = {
    "name": "Tenun Masalili",
    "kind": "umkm",
    "region": "7402",
    "whatsapp": "0812-3456-7890",
    "description": "Kain tenun khas Muna dari Desa Masalili.",
}


def product_data(merchant_id: str, **overrides) -> dict:
    data = {
        "merchant_id": merchant_id,
        "name": "Kain Tenun Masalili Motif Bia-bia",
        "description": "Tenun ikat tangan, benang katun, 2 x 1 meter.",
        "price": 450_000,
        "stock": 12,
        "unit": "lembar",
        "category": "tenun",
        "halal": False,
    }
    data.update(overrides)
    return data


def counts(session_factory) -> dict:
    """Rows per table, read in a fresh session (what is actually committed)."""
    with session_factory() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Merchant, Product, OutboxMessage)
        }


def outbox_rows(session_factory) -> list[OutboxMessage]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
