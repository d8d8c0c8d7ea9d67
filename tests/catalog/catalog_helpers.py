"""Test data and helpers for the catalog tests (imported by test modules and conftest)."""
import json

from sqlalchemy import func, select

from services.catalog import domain
from services.catalog.models import Merchant, OutboxMessage, Product
from shared.events import Event

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


# --- domain calls, each in a fresh session and committed -------------------------------


def committed(catalog_db, use_case, *args, **kwargs):
    """``use_case(session, *args, **kwargs)`` in a fresh session, then commit; its result."""
    with catalog_db() as session:
        result = use_case(session, *args, **kwargs)
        session.commit()
    return result


def register_merchant(catalog_db, data=None, actor=OWNER) -> dict:
    """A committed merchant (``MERCHANT_DATA`` unless ``data`` is given)."""
    return committed(catalog_db, domain.register_merchant, actor, data or MERCHANT_DATA)


def create_product(catalog_db, merchant_id: str, actor=OWNER, **overrides) -> dict:
    """A committed product of ``merchant_id``: ``product_data`` with ``overrides``."""
    return committed(catalog_db, domain.create_product, actor, product_data(merchant_id, **overrides))


def update_product(catalog_db, product_id: str, data: dict, actor=OWNER) -> dict:
    return committed(catalog_db, domain.update_product, actor, product_id, data)


# --- what is committed -------------------------------------------------------------------


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


def event_of(row: OutboxMessage) -> Event:
    """The event an outbox row carries."""
    return Event.from_dict(json.loads(row.body))
