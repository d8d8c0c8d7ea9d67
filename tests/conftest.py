"""Test fixtures shared by the whole suite.

nameko runs on eventlet; its pytest plugin no longer monkey patches, so we do it here,
before the test modules import nameko, kombu and the services (several of them bind
``threading.Event``, ``time.sleep`` and the like at import). Everything but ``os``: the
green ``os.read``/``os.write`` wait in eventlet's hub even on a ready pipe, and the browser
tests' Playwright must never wait there (tests/browser/hub_free_playwright.py). Nothing run
in-process needs a green ``os``: subprocess pipes are green through the patched
``subprocess`` module, and sockets through ``socket``.
"""
import eventlet

eventlet.monkey_patch(os=False)

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres"
)


def pytest_addoption(parser):
    parser.addoption(
        "--no-postgres", action="store_true", default=False,
        help="run database tests against SQLite only (PostgreSQL is required in CI)",
    )


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
