"""Demo data for a fresh installation: merchants and products from ``demo/demo_data.json``.

Everything goes through the domain functions, so validation applies and every merchant and
product gets its event in the outbox (search and promotion learn about them the normal way).
The caller commits.
"""
from __future__ import annotations

import json
import zlib
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.catalog import domain
from services.catalog.models import Merchant
from shared import events
from shared.actor import OWNER, make_actor

DEMO_DATA = Path(__file__).resolve().parent / "demo" / "demo_data.json"


def load_demo_data(path: Path | str = DEMO_DATA) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def is_seeded(session: Session) -> bool:
    """True once the catalog has any merchant: demo data never goes into a catalog in use."""
    return session.scalar(select(Merchant.id).limit(1)) is not None


def seed_demo(session: Session, owner_ids: dict[str, str], path: Path | str = DEMO_DATA) -> dict:
    """Create the demo merchants and their products; returns counts.

    ``owner_ids`` maps each demo owner's email to the gateway account id. A merchant that
    already exists for the same owner and name is skipped, so a rerun adds nothing twice.
    """
    data = load_demo_data(path)
    missing = sorted({m["owner"]["email"] for m in data["merchants"]} - set(owner_ids))
    if missing:
        raise ValueError(f"no account id for demo owners: {', '.join(missing)}")
    counts = {"merchants": 0, "products": 0, "skipped_merchants": 0}
    for entry in data["merchants"]:
        owner_id = owner_ids[entry["owner"]["email"]]
        exists = session.scalar(
            select(Merchant.id).where(Merchant.owner_id == owner_id, Merchant.name == entry["name"].strip())
        )
        if exists is not None:
            counts["skipped_merchants"] += 1
            continue
        actor = make_actor(owner_id, OWNER)
        merchant = domain.register_merchant(
            session,
            actor,
            {key: entry[key] for key in ("name", "kind", "region", "whatsapp", "description") if key in entry},
        )
        counts["merchants"] += 1
        _demo_credentials(session, merchant["id"], entry, verified=counts["merchants"] % 3 != 0)
        for item in entry.get("products", []):
            fields = {key: item[key] for key in ("name", "description", "price", "stock", "unit", "category", "halal") if key in item}
            domain.create_product(session, actor, {**fields, "merchant_id": merchant["id"]})
            counts["products"] += 1
    return counts


def _demo_credentials(session: Session, merchant_id: str, entry: dict, verified: bool) -> None:
    """Demo merchants selling halal food hold a (fictional) halal certificate, demo koperasi
    their (fictional) legal data and RAT year, and two in three merchants have been verified
    by the Dinas, so the demo shows every badge and the RAT status."""
    merchant = session.get(Merchant, merchant_id)
    changed = False
    koperasi = entry.get("koperasi")  # badan hukum, members, year of the last RAT
    if koperasi and merchant.kind == "koperasi":
        merchant.legal_number = koperasi["legal_number"]
        merchant.member_count = koperasi["member_count"]
        merchant.last_rat_year = koperasi["last_rat_year"]
        changed = True
    if any(item.get("halal") for item in entry.get("products", [])):
        merchant.halal_number = f"ID{merchant.region}{zlib.crc32(merchant.name.encode()):010d}"
        merchant.halal_expires_on = date(2029, 12, 31)
        merchant.halal_active = True
        changed = True
    if verified:
        merchant.status = "verified"
        merchant.status_changed_by = "demo"
        changed = True
    if changed:
        merchant.version += 1
        merchant.status_changed_at = merchant.updated_at = domain.utcnow()
        event_type = events.MERCHANT_VERIFIED if verified else events.MERCHANT_CREDENTIALS_CHANGED
        domain.emit_event(session, event_type, merchant.id, merchant.version, domain.merchant_snapshot(merchant))
