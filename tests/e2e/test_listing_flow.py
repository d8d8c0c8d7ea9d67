"""An owner lists a product and a buyer finds it, through the real platform over RabbitMQ."""

import pytest

from e2e_helpers import unique_word

pytestmark = pytest.mark.e2e


def found(platform, product_id, **params):
    return any(item["id"] == product_id for item in platform.search(**params)["items"])


def test_create_is_searchable_update_is_reflected_delete_is_gone(running_platform):
    p = running_platform
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner, region="7402")
    word = unique_word("mete")
    created = p.http.post("/api/v1/products", headers=owner, json={
        "merchant_id": merchant_id, "name": f"Kacang {word} goreng", "description": "Mete Muna asli, 250 gram.",
        "price": 55000, "stock": 10, "category": "mete-kacang", "halal": True,
    })
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["version"] == 1

    assert p.wait_until(lambda: found(p, product["id"], q=word)), "created product never became searchable"
    hit = next(item for item in p.search(q=word)["items"] if item["id"] == product["id"])
    assert hit["price"] == 55000 and hit["region"] == "7402" and hit["merchant"]["id"] == merchant_id
    assert found(p, product["id"], q=word, region="7402")
    assert not found(p, product["id"], q=word, region="7471")

    renamed = unique_word("kripik")
    patched = p.http.patch(f"/api/v1/products/{product['id']}", headers={**owner, "If-Match": "1"},
                           json={"name": f"Keripik {renamed}", "price": 60000})
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2
    assert p.wait_until(lambda: found(p, product["id"], q=renamed))
    assert not found(p, product["id"], q=word)
    assert next(i for i in p.search(q=renamed)["items"] if i["id"] == product["id"])["price"] == 60000

    stale = p.http.patch(f"/api/v1/products/{product['id']}", headers={**owner, "If-Match": "1"}, json={"price": 1000})
    assert stale.status_code == 409

    deleted = p.http.delete(f"/api/v1/products/{product['id']}", headers=owner)
    assert deleted.status_code == 204
    assert p.wait_until(lambda: not found(p, product["id"], q=renamed))
    assert p.http.get(f"/api/v1/products/{product['id']}").status_code == 404


def test_the_search_page_shows_the_product_escaped(running_platform):
    p = running_platform
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner, region="7407")
    token = unique_word("")
    name = f"<script>alert(1)</script> tenun{token}"
    created = p.http.post("/api/v1/products", headers=owner, json={
        "merchant_id": merchant_id, "name": name, "description": "Sarung tenun Wakatobi.",
        "price": 15000, "stock": 1, "category": "tenun",
    })
    assert created.status_code == 201, created.text
    assert p.wait_until(lambda: found(p, created.json()["id"], q=f"tenun{token}"))
    page = p.http.get("/", params={"q": f"tenun{token}"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Rp 15.000" in page.text


def test_health_names_a_service_that_stops_answering(running_platform):
    p = running_platform
    # without `etalase run`'s status file: the status, and which gateway process answered
    assert p.http.get("/health").json() == {"status": "ok", "answered_by": "gateway"}
    p.supervisor.stop_service("promotion")
    try:
        response = p.http.get("/health")
        assert response.status_code == 503
        assert "promotion" in response.json()["error"]["fields"]
    finally:
        p.supervisor.start_service("promotion")
    assert p.wait_until(lambda: p.http.get("/health").status_code == 200, timeout=30)
