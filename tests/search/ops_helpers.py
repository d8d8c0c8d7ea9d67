"""A real catalog and a real search service on one fresh vhost, each with its own database
(both SQLite, or both PostgreSQL): what verify and reindex are tested against."""
import os
import time
import uuid

import nameko
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from services.catalog import domain
from services.search.engine_provider import SearchEngineProvider
from shared.db import make_engine, make_session_factory
from shared.migrations import upgrade

OWNER = {"id": "acc-owner-1", "role": "owner"}
MERCHANT = {"name": "Tenun Masalili", "kind": "umkm", "region": "7402", "whatsapp": "0812-3456-7890",
            "description": "Kain tenun khas Muna."}
NAMES = ["Kain Tenun Masalili", "Madu Hutan Buton", "Kopi Kolaka", "Keripik Pisang Kendari", "Jambu Mete Muna"]


@pytest.fixture
def second_database_url(database_url, tmp_path):
    """Another empty database of the same kind as ``database_url`` (for the catalog)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    admin_url = os.environ.get("TEST_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"etalase_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                               {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def platform_dbs(rabbit_config, database_url, second_database_url, tmp_path, monkeypatch):
    """(catalog session factory, search session factory), both migrated, nameko config patched."""
    for name in ("CATALOG_DATABASE_URL", "SEARCH_DATABASE_URL", "SEARCH_ENGINE"):
        monkeypatch.delenv(name, raising=False)
    upgrade("search", database_url)
    upgrade("catalog", second_database_url)
    engines = [make_engine(second_database_url), make_engine(database_url)]
    config = {"SEARCH": {"DATABASE_URL": database_url},
              "CATALOG": {"DATABASE_URL": second_database_url, "MEDIA_ROOT": str(tmp_path / "media")}}
    with nameko.config.patch(config):
        yield tuple(make_session_factory(engine) for engine in engines)
    for engine in engines:
        engine.dispose()


def seed_catalog(catalog_db, names=NAMES) -> list[str]:
    with catalog_db() as session:
        merchant = domain.register_merchant(session, OWNER, MERCHANT)
        ids = [domain.create_product(session, OWNER, {
            "merchant_id": merchant["id"], "name": name, "description": f"{name} asli Sulawesi Tenggara.",
            "price": 10_000 * (n + 1), "stock": 5, "unit": "buah", "category": "tenun", "halal": False,
        })["id"] for n, name in enumerate(names)]
        session.commit()
    return ids


def call(container, method, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(**kwargs)


def search_engine(container):
    return next(ext for ext in container.extensions if isinstance(ext, SearchEngineProvider)).engine


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
