"""Interaction reports buffered in the gateway and sent to search in batches
(services/gateway/interactions.py): the buffer and its flush as plain objects, then the real
gateway container beside the fake search service on a real RabbitMQ."""
import logging

import pytest

from services.gateway import interactions
from services.gateway.interactions import InteractionBuffer, Reports, as_entries, send_buffered
from services.gateway.service import GatewayService
from shared.migrations import upgrade

from gateway_fakes import FakeSearch
from gateway_helpers import wait_for

# --- the buffer --------------------------------------------------------------------------


def test_counts_add_up_per_product_and_kind_in_the_order_first_seen():
    buffer = InteractionBuffer()
    buffer.add(["p-1", "p-2"], "impression")
    buffer.add(["p-2", "", None, "p" * 65], "impression")  # not product ids: skipped
    buffer.add(["p-1"], "view")
    assert buffer.pending == 4
    counts = buffer.take()
    assert counts == {("p-1", "impression"): 1, ("p-2", "impression"): 2, ("p-1", "view"): 1}
    assert as_entries(counts) == [{"product_id": "p-1", "kind": "impression"},
                                  {"product_id": "p-2", "kind": "impression", "count": 2},
                                  {"product_id": "p-1", "kind": "view"}]
    assert buffer.take() == {} and buffer.pending == 0


def test_a_full_buffer_drops_the_oldest_with_a_log_line(caplog):
    buffer = InteractionBuffer(max_keys=3)
    buffer.add(["p-1", "p-2", "p-3"], "impression")
    with caplog.at_level(logging.WARNING, logger="services.gateway.interactions"):
        buffer.add(["p-4", "p-5"], "impression")
    assert list(buffer.take()) == [("p-3", "impression"), ("p-4", "impression"), ("p-5", "impression")]
    assert "dropped the 2 oldest" in caplog.text


def test_counts_put_back_after_a_failed_send_come_before_newer_ones():
    buffer = InteractionBuffer(max_keys=3)
    buffer.add(["p-1", "p-2"], "view")
    taken = buffer.take()
    buffer.add(["p-2", "p-3"], "view")
    buffer.put_back(taken)
    assert buffer.pending == 2  # only what pages added: counts put back do not wake the reporter again
    assert buffer.take() == {("p-1", "view"): 1, ("p-2", "view"): 2, ("p-3", "view"): 1}


def test_a_flush_sends_chunks_and_keeps_what_it_could_not_send():
    buffer = InteractionBuffer()
    buffer.add([f"p-{n}" for n in range(250)], "impression")
    sent = []

    def cast(entries):
        if len(sent) == 2:
            raise ConnectionError("broker out of reach")
        sent.append(entries)

    with pytest.raises(ConnectionError):
        send_buffered(buffer, cast)
    assert [len(chunk) for chunk in sent] == [100, 100]
    assert list(buffer.take()) == [(f"p-{n}", "impression") for n in range(200, 250)]  # the third chunk stays
    assert send_buffered(buffer, cast) == 0  # nothing left to send


def test_a_page_only_buffers_and_wakes_the_reporter_when_enough_is_waiting(monkeypatch):
    monkeypatch.setattr(interactions, "FLUSH_AT", 3)
    woken = []
    reports = Reports(InteractionBuffer(), lambda: woken.append(True))
    reports.report(["p-1", "p-2"], "impression")
    assert woken == []
    reports.report(["p-3"], "impression")
    assert woken == [True]
    with pytest.raises(ValueError):
        reports.report(["p-1"], "klik")


# --- the gateway -------------------------------------------------------------------------


@pytest.fixture
def runner(rabbit_config, web_config, runner_factory, sqlite_url, fakes):
    fakes.search.hits = [{"id": "p-1"}, {"id": "p-2"}]
    upgrade("gateway", sqlite_url)
    config = {"GATEWAY": {"DATABASE_URL": sqlite_url, "RPC_TIMEOUT": 2, "HEALTH_TIMEOUT": 1}}
    runner = runner_factory(config, GatewayService, FakeSearch)
    return runner


def counted(fakes) -> dict:
    totals: dict = {}
    for item in fakes.interactions():
        key = (item["product_id"], item["kind"])
        totals[key] = totals.get(key, 0) + item.get("count", 1)
    return totals


def test_searches_are_reported_in_batches_that_add_up(runner, web_session, fakes):
    runner.start()
    for _ in range(12):
        assert web_session.get("/api/v1/search", params={"q": "madu"}).status_code == 200
    assert web_session.post("/api/v1/products/p-2/contact").status_code == 204
    expected = {("p-1", "impression"): 12, ("p-2", "impression"): 12, ("p-2", "contact"): 1}
    assert wait_for(lambda: counted(fakes) == expected), counted(fakes)


def test_what_is_buffered_is_sent_when_the_gateway_stops(runner, web_session, fakes, monkeypatch):
    monkeypatch.setattr(interactions, "INTERVAL", 600)  # no flush but the one at stop
    runner.start()
    for _ in range(3):
        assert web_session.get("/api/v1/search", params={"q": "madu"}).status_code == 200
    assert fakes.search.reported == []  # buffered, not one RPC per search
    gateway = next(container for container in runner.containers if container.service_name == "gateway")
    gateway.stop()
    assert wait_for(lambda: fakes.search.reported)
    assert fakes.search.reported == [[{"product_id": "p-1", "kind": "impression", "count": 3},
                                      {"product_id": "p-2", "kind": "impression", "count": 3}]]
