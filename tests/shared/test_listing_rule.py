"""The one rule of what buyers may see (shared/contracts.py), as every service reads it."""
import pytest

from shared.contracts import (
    HIDDEN_MERCHANT_STATUSES,
    MerchantRef,
    ProductSnapshot,
    merchant_listed,
    product_listed,
)


@pytest.mark.parametrize("status, listed", [
    ("pending", True), ("verified", True), ("rejected", False), ("suspended", False),
])
def test_merchant_listed_by_status(status, listed):
    assert merchant_listed(status) is listed
    ref = MerchantRef(id="m1", name="Usaha", kind="umkm", region="7401", status=status)
    assert ref.listed is listed


@pytest.mark.parametrize("product_status, merchant_status, listed", [
    ("published", "verified", True),
    ("published", "pending", True),
    ("draft", "verified", False),
    ("archived", "verified", False),
    ("published", "rejected", False),
    ("published", "suspended", False),
])
def test_product_listed_needs_published_and_a_listed_merchant(product_status, merchant_status, listed):
    assert product_listed(product_status, merchant_status) is listed
    snapshot = ProductSnapshot.model_validate({
        "id": "p1", "merchant_id": "m1", "name": "Kasuami", "slug": "kasuami", "description": "",
        "price": 15000, "stock": 3, "unit": "pcs",
        "category": {"slug": "makanan-pokok", "name": "Sagu", "parent_slug": "makanan-minuman",
                     "parent_name": "Makanan & Minuman"},
        "halal": True, "status": product_status, "region": "7401", "region_name": "Buton",
        "merchant": {"id": "m1", "name": "Usaha", "kind": "umkm", "region": "7401", "status": merchant_status},
        "version": 1, "created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00",
    })
    assert snapshot.listed is listed


def test_only_rejected_and_suspended_are_hidden():
    assert HIDDEN_MERCHANT_STATUSES == {"rejected", "suspended"}
