"""Builders for the promotion tests: product facts straight into the database, catalog and
search events as the service receives them, campaign input, and readers of the staged
pricing events."""
import json
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.promotion.models import MerchantFact, Outbox, ProductFact
from shared.events import Event

NOW = datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc)  # 08.00 WITA
PROMOTER = {"id": "promoter-1", "role": "promoter"}
OTHER_PROMOTER = {"id": "promoter-2", "role": "promoter"}
ADMIN = {"id": "admin-1", "role": "admin"}
OWNER = {"id": "owner-1", "role": "owner"}
OTHER_OWNER = {"id": "owner-2", "role": "owner"}


def at(hours: float = 0, minutes: float = 0) -> datetime:
    return NOW + timedelta(hours=hours, minutes=minutes)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def add_products(session, count=1, prefix="p", price=100_000, category="mete-kacang",
                 parent="pertanian-perkebunan", region="7402", merchant_id="m-1", kind="umkm", verified=True,
                 start=0):
    facts = []
    for n in range(start, start + count):
        facts.append({"id": f"{prefix}{n:05d}", "merchant_id": merchant_id, "name": f"Produk {n}", "price": price,
                      "category": category, "parent_category": parent, "region": region, "merchant_kind": kind,
                      "merchant_verified": verified, "halal": True, "slug": f"produk-{n}",
                      "merchant_name": "UMKM Sejahtera", "photo_url": None, "version": 1,
                      "updated_at": NOW})
    session.execute(ProductFact.__table__.insert(), facts)
    session.flush()
    return [fact["id"] for fact in facts]


def add_merchant(session, merchant_id="m-1", owner_id="owner-1"):
    session.add(MerchantFact(id=merchant_id, owner_id=owner_id, name="UMKM Sejahtera", kind="umkm",
                             status="verified", verified=True, version=1))
    session.flush()


def campaign_data(**overrides):
    data = {"name": "Festival Mete Muna", "description": "Diskon mete", "starts_at": iso(at(hours=1)),
            "ends_at": iso(at(hours=25)), "discount": {"type": "percent", "value": 20}, "featured": False,
            "target": {"regions": ["7402"]}}
    data.update(overrides)
    return data


def pricing_events(session, since_id=0):
    """Staged pricing payloads by product id, in order; ``(payloads, last row id)``."""
    rows = session.execute(select(Outbox.id, Outbox.body).where(Outbox.id > since_id).order_by(Outbox.id)).all()
    events = [json.loads(row.body) for row in rows]
    assert all(event["type"] == "promotion.pricing_changed" for event in events)
    return events, (rows[-1].id if rows else since_id)


def last_outbox_id(session):
    return pricing_events(session)[1]


def product_snapshot(product_id="p-1", version=1, price=15000, status="published", region="7402",
                     name="Kacang Mete Goreng", slug="kacang-mete-goreng", verified=False, merchant_status=None,
                     photos=None):
    """A catalog product snapshot of merchant m-1 (the payload of catalog.product_* events);
    the merchant's ``status`` and the ``photos`` only when given."""
    merchant = {"id": "m-1", "name": "Mete Muna", "kind": "koperasi", "region": region, "verified": verified}
    if merchant_status is not None:
        merchant["status"] = merchant_status
    snapshot = {
        "id": product_id, "merchant_id": "m-1", "name": name, "slug": slug,
        "description": "", "price": price, "stock": 3, "unit": "bungkus",
        "category": {"slug": "mete-kacang", "name": "Jambu Mete & Kacang",
                     "parent_slug": "pertanian-perkebunan", "parent_name": "Pertanian & Perkebunan"},
        "halal": True, "status": status, "region": region, "region_name": "Muna",
        "merchant": merchant,
        "version": version, "created_at": "2026-11-26T00:00:00+00:00", "updated_at": "2026-11-26T00:00:00+00:00",
    }
    if photos is not None:
        snapshot["photos"] = photos
    return snapshot


def catalog_product_event(product_id, version, kind="updated", **snapshot_fields):
    """A ``catalog.product_<kind>`` event: a deletion carries ids only, the others a snapshot."""
    payload = ({"id": product_id, "merchant_id": "m-1", "version": version} if kind == "deleted"
               else product_snapshot(product_id, version, **snapshot_fields))
    return Event(type=f"catalog.product_{kind}", aggregate_id=product_id, aggregate_version=version, payload=payload)


def interactions_batch(*counts, batch_id=None):
    """A ``search.interactions_recorded`` batch of ``(product_id, day, kind, count)`` tuples
    (the day a date or its ISO text)."""
    batch_id = batch_id or str(uuid.uuid4())
    return Event(type="search.interactions_recorded", aggregate_id=batch_id, aggregate_version=1, payload={
        "batch_id": batch_id,
        "counts": [{"product_id": p, "day": str(d), "kind": k, "count": c} for p, d, k, c in counts]})


def join_all(session, campaign_id, merchant_id="m-1", now=NOW):
    """The merchant's owner (here an admin acting for them) joins every product of
    ``merchant_id`` the campaign invites: a discount applies only to joined products."""
    from services.promotion import campaigns
    return campaigns.opt_in(session, ADMIN, campaign_id, {"merchant_id": merchant_id, "all": True}, now)
