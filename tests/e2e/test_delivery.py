"""Nothing is lost: events wait for a stopped consumer, and a broker restart mid-stream.

Serial (make test runs it alone, after the parallel phase): the restart stops the machine's
one RabbitMQ, which every other test running meanwhile would lose."""
import subprocess
import time

import httpx
import pytest

from e2e_helpers import unique_word

pytestmark = [pytest.mark.e2e, pytest.mark.serial]


def create(p, owner, merchant_id, name):
    return p.http.post("/api/v1/products", headers=owner, json={
        "merchant_id": merchant_id, "name": name, "description": "Produk uji.", "price": 12000,
        "stock": 5, "category": "camilan",
    })


def search_ids(p, q):
    return {item["id"] for item in p.search(q=q, per_page=50)["items"]}


def test_events_written_while_search_is_stopped_are_indexed_when_it_starts(running_platform):
    p = running_platform
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner)
    tag = unique_word("bagea")
    p.supervisor.stop_service("search")
    try:
        ids = set()
        for n in range(5):
            response = create(p, owner, merchant_id, f"Kue {tag} rasa {n}")
            assert response.status_code == 201, response.text
            ids.add(response.json()["id"])
        time.sleep(1.5)  # the relay has published them; only the queue holds them now
    finally:
        p.supervisor.start_service("search")
    assert p.wait_until(lambda: p.http.get("/health").status_code == 200, timeout=30)
    assert p.wait_until(lambda: search_ids(p, tag) == ids, timeout=20)


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def test_a_broker_restart_during_a_stream_of_writes_loses_nothing(running_platform):
    p = running_platform
    owner = p.sign_up()
    merchant_id = p.new_merchant(owner)
    tag = unique_word("kasuami")
    accepted, refused = set(), 0
    try:
        for n in range(40):
            if n == 10:
                rabbitmqctl("stop_app")
            if n == 25:
                rabbitmqctl("start_app")
                rabbitmqctl("await_startup")
            try:
                response = create(p, owner, merchant_id, f"Kasuami {tag} nomor {n}")
            except httpx.HTTPError:
                refused += 1
                continue
            if response.status_code == 201:
                accepted.add(response.json()["id"])
            else:
                assert response.status_code in (503, 504), response.text
                assert "error" in response.json()
                refused += 1
            time.sleep(0.1)
    finally:
        rabbitmqctl("start_app")
    assert refused > 0, "the outage did not refuse any write"
    assert len(accepted) >= 20
    # Everything the catalog holds (including writes whose reply was lost) reaches search.
    def catalog_ids():
        response = p.http.get(f"/api/v1/merchants/{merchant_id}/products")
        if response.status_code != 200:
            return None
        return {item["id"] for item in response.json()["items"]}

    assert p.wait_until(lambda: catalog_ids() is not None, timeout=60)
    assert accepted <= catalog_ids()
    assert p.wait_until(lambda: search_ids(p, tag) == catalog_ids(), timeout=60), (
        f"search {len(search_ids(p, tag))} vs catalog {len(catalog_ids())}"
    )
