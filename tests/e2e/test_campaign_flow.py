"""A promoter runs a discount campaign and a buyer sees it everywhere, through the real
platform over RabbitMQ: the campaign only invites the owner's products (no price changes
without the owner's consent); once the owner joins ("Ikut semua"), search and the product
JSON show the discounted price and badge; the owner takes a product out, a price change is
repriced, and every price reverts when the campaign is cancelled."""
from datetime import datetime, timedelta, timezone

import pytest

from e2e_helpers import unique_word

pytestmark = pytest.mark.e2e


def hit(platform, product_id, **params):
    return next((item for item in platform.search(**params)["items"] if item["id"] == product_id), None)


def create_product(p, owner, merchant_id, name, price):
    response = p.http.post("/api/v1/products", headers=owner, json={
        "merchant_id": merchant_id, "name": name, "description": "Kopi robusta dari Kolaka, 250 gram.",
        "price": price, "stock": 10, "category": "kopi-teh", "halal": True,
    })
    assert response.status_code == 201, response.text
    return response.json()


def test_discount_campaign_reaches_search_and_product_and_reverts(running_platform):
    p = running_platform
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner, region="7401")
    word = unique_word("kopi")
    first = create_product(p, owner, merchant_id, f"Kopi {word} bubuk", 40000)
    second = create_product(p, owner, merchant_id, f"Kopi {word} biji", 60000)
    assert p.wait_until(lambda: hit(p, first["id"], q=word) and hit(p, second["id"], q=word))

    promoter = p.sign_up("promoter")
    starts_at = datetime.now(timezone.utc) + timedelta(seconds=2)
    body = {
        "name": "Festival Kopi Kolaka", "starts_at": starts_at.astimezone(timezone(timedelta(hours=8))).isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(), "discount": {"type": "percent", "value": 25},
        "featured": True, "target": {"categories": ["kopi-teh"], "regions": ["7401"]},
    }
    # a bad window is refused, naming the field
    bad = p.http.post("/api/v1/campaigns", headers=promoter, json={**body, "ends_at": starts_at.isoformat()})
    assert bad.status_code == 422 and "ends_at" in bad.json()["error"]["fields"], bad.text
    # an owner cannot create campaigns
    assert p.http.post("/api/v1/campaigns", headers=owner, json=body).status_code == 403

    created = p.http.post("/api/v1/campaigns", headers=promoter, json=body)
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    assert created.json()["status"] == "scheduled"
    preview = p.http.get(f"/api/v1/campaigns/{campaign_id}/preview", headers=promoter).json()
    assert {first["id"], second["id"]} <= {item["id"] for item in preview["products"]}

    def discounted(product_id, price):
        item = hit(p, product_id, q=word)
        return item is not None and item["effective_price"] == price and item["promoted"]

    # it starts, but only invites: the owner sees the invitation and no price has changed
    assert p.wait_until(lambda: p.http.get(f"/api/v1/campaigns/{campaign_id}", headers=promoter).json()["status"]
                        == "active", timeout=20)
    invitations = p.http.get("/api/v1/me/campaigns", headers=owner).json()["items"]
    invitation = next(item for item in invitations if item["id"] == campaign_id)
    assert invitation["requires_join"] is True and invitation["discount"] == {"type": "percent", "value": 25}
    assert {(entry["product_id"], entry["state"]) for entry in invitation["my_products"]} == {
        (first["id"], "invited"), (second["id"], "invited")}
    assert not hit(p, first["id"], q=word)["promoted"]
    assert p.http.get(f"/api/v1/products/{first['id']}").json().get("pricing") is None
    # the promoter cannot join for the owner
    assert p.http.post(f"/api/v1/campaigns/{campaign_id}/opt-in", headers=promoter,
                       json={"merchant_id": merchant_id, "all": True}).status_code == 403
    joined = p.http.post(f"/api/v1/campaigns/{campaign_id}/opt-in", headers=owner,
                         json={"merchant_id": merchant_id, "all": True})
    assert joined.status_code == 200 and set(joined.json()["product_ids"]) == {first["id"], second["id"]}, joined.text

    assert p.wait_until(lambda: discounted(first["id"], 30000) and discounted(second["id"], 45000), timeout=20), \
        p.search(q=word)
    item = hit(p, first["id"], q=word)
    assert item["discount_percent"] == 25 and "Diskon 25%" in item["badge"]
    assert hit(p, first["id"], q=word, on_promo="true") is not None
    product = p.http.get(f"/api/v1/products/{first['id']}").json()
    assert product["pricing"]["effective_price"] == 30000 and product["pricing"]["campaign_id"] == campaign_id
    assert p.http.get(f"/api/v1/campaigns/{campaign_id}", headers=promoter).json()["status"] == "active"

    # another promoter does not see it
    other = p.sign_up("promoter")
    assert p.http.get(f"/api/v1/campaigns/{campaign_id}", headers=other).status_code in (403, 404)

    # the owner takes the second product out: its price reverts
    out = p.http.post(f"/api/v1/campaigns/{campaign_id}/opt-out", headers=owner, json={"product_ids": [second["id"]]})
    assert out.status_code == 200, out.text
    assert p.wait_until(lambda: (hit(p, second["id"], q=word) or {}).get("effective_price") == 60000)

    # a price change of a member is repriced
    patched = p.http.patch(f"/api/v1/products/{first['id']}", headers={**owner, "If-Match": "1"}, json={"price": 48000})
    assert patched.status_code == 200, patched.text
    assert p.wait_until(lambda: discounted(first["id"], 36000), timeout=20)

    cancelled = p.http.post(f"/api/v1/campaigns/{campaign_id}/cancel", headers=promoter)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    assert p.wait_until(lambda: (hit(p, first["id"], q=word) or {}).get("effective_price") == 48000, timeout=20)
    assert not hit(p, first["id"], q=word)["promoted"]
    assert hit(p, first["id"], q=word, on_promo="true") is None
