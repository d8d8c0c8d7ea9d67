"""Test fixtures shared by the whole suite.

nameko runs on eventlet; its pytest plugin no longer monkey patches, so we do it here,
before the test modules import nameko, kombu and the services (several of them bind
``threading.Event``, ``time.sleep`` and the like at import). Everything but ``os``: the
green ``os.read``/``os.write`` wait in eventlet's hub even on a ready pipe, and the browser
tests' Playwright must never wait there (tests/browser/hub_free_playwright.py). Nothing run
in-process needs a green ``os``: subprocess pipes are green through the patched
``subprocess`` module, and sockets through ``socket``.

Under pytest-xdist (``make test`` runs most of the suite with ``-n``) the workers run the
tests and are patched; the controller only hands tests out, through threads that a green
``threading`` would stop, and is never patched. tests/xdist_eventlet.py tells them apart
and keeps the few locks and events that xdist's own threads share in a worker real.
"""
import eventlet

from xdist_eventlet import hands_tests_to_workers, keep_xdist_threads_real

if not hands_tests_to_workers():
    eventlet.monkey_patch(os=False)

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

# The tests give every platform and command its own data directory in ETALASE_VAR_DIR; an
# ETALASE_DATA_DIR exported in the shell (README "Replicas") would win over it everywhere.
os.environ.pop("ETALASE_DATA_DIR", None)
os.environ.pop("ETALASE_REPLICAS", None)

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres"
)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    keep_xdist_threads_real(config)


# Scopes whose fixture outlives one test: a module's platform (tests/platform_fixtures.py),
# a module's index or vocabulary.
SHARED_SCOPES = {"class", "module", "package", "session"}


def xdist_group_of(item) -> str | None:
    """The pytest-xdist group of a test that shares an expensive fixture with others, so that
    they run in one worker (``--dist loadgroup``) and it is made once: the browser tests share
    one platform for the session, and the tests of a module that uses a fixture of a wider
    scope than the test share that. Other tests (most of them) have no group and go to
    whichever worker is free."""
    if "browser" in item.keywords:
        return "browser"
    for name in item.fixturenames:
        definitions = item._fixtureinfo.name2fixturedefs.get(name, ())
        # only the suite's own fixtures: a plugin's (baseid "") such as tmp_path_factory or
        # nameko's vhost pipeline is session-wide but cheap, one per worker
        if any(d.scope in SHARED_SCOPES and d.baseid for d in definitions):
            return item.nodeid.split("::", 1)[0]
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        group = xdist_group_of(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_addoption(parser):
    parser.addoption(
        "--no-postgres", action="store_true", default=False,
        help="run database tests against SQLite only (PostgreSQL is required in CI)",
    )


@pytest.fixture
def web_config():
    """nameko's ``web_config`` (the address of a container's web server, the gateway's) with a
    port of this xdist worker's share: tests/platform_fixtures.py ``free_port``."""
    from nameko import config
    from nameko.constants import WEB_SERVER_CONFIG_KEY

    from platform_fixtures import free_port

    with config.patch({WEB_SERVER_CONFIG_KEY: f"127.0.0.1:{free_port()}"}):
        yield


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"etalase_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request):
    """Every database test runs against both SQLite (the embedded default) and PostgreSQL."""
    if request.param == "postgres":
        if request.config.getoption("--no-postgres"):
            pytest.skip("PostgreSQL disabled with --no-postgres")
        return request.getfixturevalue("postgres_url")
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
def migrated(database_url):
    """``migrated(service)`` brings the test database to the service's head revision and
    returns a session factory for it."""
    from shared.db import make_engine, make_session_factory
    from shared.migrations import upgrade

    engines = []

    def _migrate(service: str):
        upgrade(service, database_url)
        engine = make_engine(database_url)
        engines.append(engine)
        return make_session_factory(engine)

    yield _migrate
    for engine in engines:
        engine.dispose()


@pytest.fixture
def event_tap(rabbit_config):
    """``event_tap(routing_key)``: a queue bound to the events exchange for ``routing_key``
    (e.g. ``"catalog.#"``) before anything is published; the function it returns gives every
    message in it so far, in the broker's order, as JSON."""
    import json

    import nameko
    from kombu import Connection, Exchange, Queue

    from shared.topology import EVENTS_EXCHANGE, declare_topology

    connection = Connection(nameko.config["AMQP_URI"])
    declare_topology(connection)
    channel = connection.channel()

    def tap(routing_key: str):
        queue = Queue(f"test.tap.{uuid.uuid4().hex[:8]}", routing_key=routing_key, auto_delete=True,
                      exchange=Exchange(EVENTS_EXCHANGE, type="topic", durable=True))
        queue(channel).declare()

        def drain() -> list[dict]:
            bodies = []
            while (message := channel.basic_get(queue.name, no_ack=True)) is not None:
                bodies.append(json.loads(message.body))
            return bodies

        return drain

    yield tap
    channel.close()
    connection.release()
