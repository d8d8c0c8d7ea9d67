"""Search replicas as real processes: two (then three) search services on one store and
one fresh vhost, competing for the event queue, each following the change log
(services/search/changes.py). Searches go through RPC, which the broker spreads over them."""
import json
import signal
import subprocess

import httpx
import nameko
import pytest
from kombu import Connection, Producer
from nameko.standalone.rpc import ClusterRpcClient

from services.platform import DEFAULT_CONFIG, child_env, service_command
from shared.migrations import upgrade
from shared.topology import declare_topology, events_exchange

from ops_helpers import wait_for
from platform_fixtures import RABBIT_API, fresh_vhost
from search_factories import published

pytestmark = pytest.mark.e2e

SEARCHES = 50


@pytest.fixture
def store(database_url):
    """(AMQP URI, search database URL): a fresh vhost and a migrated store (a SQLite file, or
    PostgreSQL, where a killed replica's transaction and its hold on the log's lock end with
    its connection)."""
    url = database_url
    upgrade("search", url)
    with fresh_vhost() as amqp_uri, nameko.config.patch({"AMQP_URI": amqp_uri}):
        yield amqp_uri, url


@pytest.fixture
def start_replica(store, tmp_path):
    amqp_uri, url = store
    processes = []

    def start() -> subprocess.Popen:
        env = child_env({"AMQP_URI": amqp_uri, "SEARCH_DATABASE_URL": url, "SEARCH_CHANGE_LOG": "true",
                         "SEARCH_FOLLOW_INTERVAL": "0.1", "MAX_WORKERS": "4"})
        with open(tmp_path / f"search-{len(processes)}.log", "ab") as log:
            process = subprocess.Popen(service_command("search", DEFAULT_CONFIG), env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rpc_consumers(amqp_uri: str) -> int:
    vhost = amqp_uri.rsplit("/", 1)[1]
    response = httpx.get(f"{RABBIT_API}/api/queues/{vhost}/rpc-search", auth=("guest", "guest"))
    return response.json().get("consumers", 0) if response.status_code == 200 else 0


def publish_products(start: int, count: int) -> None:
    with Connection(nameko.config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        declare_topology(connection)
        producer = Producer(connection.default_channel)
        for n in range(start, start + count):
            event = published(f"p{n}", name=f"Kopi Bubuk Kolaka {n}", region="7402")
            producer.publish(json.dumps(event.to_dict()), exchange=events_exchange(), routing_key=event.type,
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2)


def totals(client, q: str = "kopi") -> list[int]:
    """The totals of SEARCHES consecutive searches (spread over the replicas by the broker)."""
    return [client.search.search(q=q)["total"] for _ in range(SEARCHES)]


def test_replicas_answer_the_same_a_late_one_catches_up_and_a_killed_one_loses_nothing(store, start_replica):
    amqp_uri, _url = store
    first, second = start_replica(), start_replica()
    assert wait_for(lambda: rpc_consumers(amqp_uri) == 2, timeout=60)
    publish_products(0, 1000)
    with ClusterRpcClient(timeout=30) as client:
        assert wait_for(lambda: totals(client) == [1000] * SEARCHES, timeout=90)

        # A third replica takes RPC traffic only once its index has caught up (setup loads it).
        start_replica()
        assert wait_for(lambda: rpc_consumers(amqp_uri) == 3, timeout=60)
        assert totals(client) == [1000] * SEARCHES

        # SIGKILL one replica mid-burst: what it had not acknowledged goes to the others.
        publish_products(1000, 1000)
        assert wait_for(lambda: client.search.search(q="kopi")["total"] > 1000, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert wait_for(lambda: totals(client) == [2000] * SEARCHES, timeout=120)
    assert second.poll() is None
