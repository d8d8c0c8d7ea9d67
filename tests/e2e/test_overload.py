"""Overload: the gateway answers 503 with Retry-After at once instead of piling requests up
until their deadline (504). The search process is paused with SIGSTOP, so requests to it
wait; a small pending-request limit and RPC queue limit make the thresholds reachable with
a few requests."""
import os
import signal
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager

import httpx
import pytest
from kombu import Connection, Exchange, Producer, Queue

from platform_fixtures import fresh_vhost, platform_on

pytestmark = pytest.mark.e2e

PENDING_LIMIT = 4
QUEUE_LIMIT = 20
PREFETCH = 20  # deploy/nameko.yaml PREFETCH_COUNT: RPC requests a service holds unacked


@pytest.fixture(scope="module")
def small_limits_platform(tmp_path_factory):
    env = {"GATEWAY_MAX_PENDING_REQUESTS": str(PENDING_LIMIT), "GATEWAY_RPC_QUEUE_LIMIT": str(QUEUE_LIMIT),
           "GATEWAY_RPC_TIMEOUT": "3"}
    with fresh_vhost() as amqp_uri, platform_on(amqp_uri, tmp_path_factory.mktemp("overload-var"), env) as platform:
        yield platform


@contextmanager
def search_paused(platform):
    pid = platform.supervisor.processes["search"].pid
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def search_answers(platform) -> bool:
    return platform.http.get("/api/v1/search", params={"q": "madu"}).status_code == 200


def test_requests_past_the_pending_limit_are_shed_at_once(small_limits_platform):
    p = small_limits_platform
    assert search_answers(p)
    with search_paused(p), httpx.Client(base_url=p.base_url, timeout=30) as http:
        def one_search(_):
            return http.get("/api/v1/search", params={"q": f"kopi {uuid.uuid4().hex[:6]}"})

        with ThreadPoolExecutor(max_workers=12) as pool:
            futures = [pool.submit(one_search, n) for n in range(12)]
            wait(futures, timeout=2.5, return_when=FIRST_COMPLETED)
            # The admitted ones still wait for their deadline: a browser is shed with a page.
            page = http.get("/", headers={"Accept": "text/html"})
            health = http.get("/health")  # never shed: it says what is wrong
            responses = [future.result(timeout=30) for future in futures]
    statuses = sorted(r.status_code for r in responses)
    shed = [r for r in responses if r.status_code == 503]
    assert len(shed) >= 12 - PENDING_LIMIT, statuses
    assert set(statuses) <= {503, 504}, statuses  # the admitted ones waited for their deadline
    for response in shed:
        assert response.headers["Retry-After"] == "1"
        assert response.json()["error"]["code"] == "overloaded"
    assert page.status_code == 503 and page.headers["Retry-After"] == "1", page.text
    assert page.headers["Content-Type"].startswith("text/html") and "<html" in page.text
    assert health.status_code == 503 and health.json()["error"]["fields"].get("search"), health.text
    assert p.wait_until(lambda: search_answers(p), timeout=30)


def test_a_service_with_a_full_rpc_queue_is_not_asked(small_limits_platform):
    p = small_limits_platform
    assert search_answers(p)
    with search_paused(p), Connection(p.amqp_uri) as connection:
        # Requests from elsewhere (another gateway, say) waiting in the search queue: health
        # calls whose replies go to a queue of the test's own. The paused process still holds
        # up to its prefetch of them; the rest wait in the queue.
        channel = connection.channel()
        replies = Queue(f"test.replies.{uuid.uuid4().hex[:8]}", exclusive=True, auto_delete=True)
        replies(channel).declare()
        producer = Producer(channel, exchange=Exchange("nameko-rpc", type="topic", durable=True))
        for _ in range(QUEUE_LIMIT + PREFETCH + 10):
            producer.publish(b'{"args": [], "kwargs": {}}', routing_key="search.health", reply_to=replies.name,
                             correlation_id=uuid.uuid4().hex, content_type="application/json",
                             content_encoding="utf-8")
        try:
            assert p.wait_until(
                lambda: p.http.get("/api/v1/search", params={"q": "madu"}).status_code == 503, timeout=10)
            response = p.http.get("/api/v1/search", params={"q": "madu"})
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "overloaded"
            assert response.json()["error"]["fields"] == {"service": "search"}
            assert response.headers["Retry-After"] == "1"
            # Other services are still asked.
            assert p.http.get("/api/v1/categories").status_code == 200
        finally:
            channel.queue_purge("rpc-search")  # the waiting stand-ins never reach search
    assert p.wait_until(lambda: search_answers(p), timeout=30)
