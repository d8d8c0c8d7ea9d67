"""The promotion service applies catalog.products_imported batches snapshot by snapshot."""
from sqlalchemy import func, select

from services.promotion import facts
from services.promotion.models import Inbox, ProductFact
from shared.events import Event

from campaign_helpers import catalog_product_event, product_snapshot


def snapshot(product_id, version=1, **snapshot_fields):
    """A snapshot named after its product (a batch carries many)."""
    return product_snapshot(product_id, version, name=f"Kacang Mete {product_id}", slug=f"kacang-{product_id}",
                            **snapshot_fields)


def batch(number, *snapshots, import_id="imp-1"):
    return Event(type="catalog.products_imported", aggregate_id=import_id, aggregate_version=number,
                 payload={"import_id": import_id, "merchant_id": "m-1", "batch": number, "products": list(snapshots)})


def single(kind, product_id, version, **snapshot_fields):
    return catalog_product_event(product_id, version, kind, name=f"Kacang Mete {product_id}",
                                 slug=f"kacang-{product_id}", **snapshot_fields)


def prices(session) -> dict[str, int]:
    return dict(session.execute(select(ProductFact.id, ProductFact.price)).all())


def test_a_batch_is_applied_once(session):
    event = batch(1, snapshot("p1"), snapshot("p2", price=20000))
    assert facts.apply_event(session, event)
    session.commit()
    assert prices(session) == {"p1": 15000, "p2": 20000}
    assert not facts.apply_event(session, event)  # duplicate delivery
    session.commit()
    assert session.scalar(select(func.count()).select_from(Inbox)) == 1


def test_a_stale_snapshot_inside_a_batch_is_dropped(session):
    facts.apply_event(session, single("updated", "p1", 3, price=30000))
    facts.apply_event(session, batch(1, snapshot("p1", 2, price=1), snapshot("p2", 1, price=2000)))
    session.commit()
    assert prices(session) == {"p1": 30000, "p2": 2000}
    assert session.get(ProductFact, "p1").version == 3


def test_a_batch_after_a_delete_does_not_resurrect(session):
    facts.apply_event(session, single("published", "p1", 1))
    facts.apply_event(session, single("deleted", "p1", 2))
    facts.apply_event(session, batch(1, snapshot("p1", 3), snapshot("p2", 1)))
    session.commit()
    assert prices(session) == {"p2": 15000}


def test_a_draft_in_a_batch_removes_the_fact(session):
    facts.apply_event(session, single("published", "p1", 1))
    facts.apply_event(session, batch(1, snapshot("p1", 2, status="draft")))
    session.commit()
    assert facts.product_count(session) == 0
