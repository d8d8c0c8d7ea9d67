"""Search replicas with the embedded engine stay equal (docs/decisions/search-replicas.md):
every replica's memory index follows the search store's change log, and a replica that
starts, late or again, loads the store before it consumes anything.

One platform, three search processes planned and two gateways on one port:

1. a burst of 1,000 products written through the gateways while ``search-1`` and
   ``search-2`` run; ``search-1`` is SIGKILLed after 400 of them: none is lost;
2. ``search-1`` is started again and 100 more are written while both run: 50 consecutive
   searches, each on a new connection (so both gateways and both replicas answer), give the
   same total;
3. ``search-3`` starts after all that and the other two stop: the first searches it answers
   alone already count everything.
"""
import re
import threading
import time

import httpx
import pytest

from e2e_helpers import unique_word
from platform_fixtures import platform_on

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

REPLICAS = {"search": 3, "gateway": 2}
FIRST_BURST, KILL_AFTER, SECOND_BURST = 1_000, 400, 100
WRITERS = 8  # concurrent clients writing
SETTLE = 120  # seconds a burst may take to show in search (bounds a stuck run; not a timing)
READY = re.compile(r"search engine \w+ ready with (\d+) documents")


def owner(p) -> dict:
    headers = p.sign_up("owner")
    return {"headers": headers, "merchant_id": p.new_merchant(headers)}


def write_products(p, seller: dict, word: str, numbers: range, on_count=None) -> list[int]:
    """Create one product per number, ``WRITERS`` at a time, each writer on its own
    connections (spread over the gateways); ``on_count(n)`` after each created. The HTTP
    statuses that were not 201."""
    pending = iter(numbers)
    lock, created, failures = threading.Lock(), [0], []

    def writer():
        with httpx.Client(base_url=p.base_url, timeout=30) as client:
            while True:
                with lock:
                    number = next(pending, None)
                if number is None:
                    return
                response = client.post("/api/v1/products", headers=seller["headers"], json={
                    "merchant_id": seller["merchant_id"], "name": f"Keripik {word} {number}", "price": 15000,
                    "stock": 5, "category": "camilan", "status": "published"})
                with lock:
                    if response.status_code != 201:
                        failures.append(response.status_code)
                        continue
                    created[0] += 1
                    count = created[0]
                if on_count is not None:
                    on_count(count)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def total(p, word: str) -> int:
    """The search total for ``word``, on a new connection (any gateway, any search replica)."""
    response = httpx.get(f"{p.base_url}/api/v1/search", params={"q": word, "per_page": 1}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def settled(p, word: str, expected: int) -> bool:
    """Every replica shows ``expected``: five answers in a row say so (each may be another replica)."""
    deadline = time.monotonic() + SETTLE
    streak = 0
    while time.monotonic() < deadline:
        streak = streak + 1 if total(p, word) == expected else 0
        if streak == 5:
            return True
        time.sleep(0.2)
    return False


def wait_ready(p, name: str, since: int) -> int:
    """The document count replica ``name`` reported as loaded, once its log (past byte
    ``since``) says its index is ready: it consumes nothing before that."""
    log = p.supervisor.log_file(name)
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        process = p.supervisor.processes[name]
        assert process.poll() is None, f"{name} exited: {log.read_bytes()[since:].decode(errors='replace')[-2000:]}"
        found = READY.search(log.read_bytes()[since:].decode(errors="replace")) if log.exists() else None
        if found:
            return int(found.group(1))
        time.sleep(0.2)
    raise AssertionError(f"{name} not ready within {SETTLE} s")


def log_size(p, name: str) -> int:
    log = p.supervisor.log_file(name)
    return log.stat().st_size if log.exists() else 0


def test_search_replicas_stay_equal_through_a_burst_a_kill_a_restart_and_a_late_start(vhost_uri, tmp_path):
    with platform_on(vhost_uri, tmp_path / "var", replicas=REPLICAS, start=lambda name: name != "search-3") as p:
        seller = owner(p)
        word = unique_word("replika")

        # 1. the burst; search-1 dies without a word after 400 products
        killed = threading.Event()

        def kill_search_1(count):
            if count >= KILL_AFTER and not killed.is_set():
                killed.set()
                p.supervisor.processes["search-1"].kill()

        assert write_products(p, seller, word, range(FIRST_BURST), on_count=kill_search_1) == []
        assert killed.is_set()
        assert settled(p, word, FIRST_BURST), f"search shows {total(p, word)} of {FIRST_BURST}"

        # 2. search-1 again: it loads the store, then follows what search-2 indexes and back
        since = log_size(p, "search-1")
        p.supervisor.processes.pop("search-1").wait()
        p.supervisor.start_service("search-1")
        assert wait_ready(p, "search-1", since) >= FIRST_BURST
        assert write_products(p, seller, word, range(FIRST_BURST, FIRST_BURST + SECOND_BURST)) == []
        expected = FIRST_BURST + SECOND_BURST
        assert settled(p, word, expected)
        assert [total(p, word) for _ in range(50)] == [expected] * 50

        # 3. a replica started afterwards answers alone, everything counted from its first answer
        since = log_size(p, "search-3")
        p.supervisor.start_service("search-3")
        assert wait_ready(p, "search-3", since) >= expected
        p.supervisor.stop_service("search-1")
        p.supervisor.stop_service("search-2")
        assert [total(p, word) for _ in range(10)] == [expected] * 10
