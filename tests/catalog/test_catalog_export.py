"""``export_products``: live products by id, in pages, as snapshots with their versions."""
import pytest

from services.catalog import domain
from shared.contracts import ProductSnapshot
from shared.errors import ValidationFailed

from catalog_helpers import OWNER, product_data


def test_export_pages_live_products_by_id(session, merchant):
    ids = sorted(domain.create_product(session, OWNER, product_data(merchant["id"], name=f"Kain Tenun {n}"))["id"]
                 for n in range(5))
    domain.delete_product(session, OWNER, ids[2])
    domain.update_product(session, OWNER, ids[0], {"status": "draft"})
    session.commit()

    first = domain.export_products(session, limit=2)
    assert [item["id"] for item in first["items"]] == ids[:2] and first["next_after"] == ids[1]
    assert first["total"] == 4
    rest = domain.export_products(session, after_id=first["next_after"], limit=2)
    assert [item["id"] for item in rest["items"]] == ids[3:] and rest["next_after"] == ids[4]
    assert domain.export_products(session, after_id=ids[4], limit=2) == {"items": [], "total": 4, "next_after": None}
    snapshot = ProductSnapshot.model_validate(first["items"][0])
    assert snapshot.status == "draft" and snapshot.version == 2


@pytest.mark.parametrize("limit", [0, 1001, "10", True])
def test_export_limit_is_bounded(session, limit):
    with pytest.raises(ValidationFailed):
        domain.export_products(session, limit=limit)
