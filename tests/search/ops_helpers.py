"""Helpers for tests that run service containers: seed the catalog, call an entry point,
reach the search engine, wait for something to happen, or stand in for a container around
one provider (the ``platform_dbs`` fixture is in conftest.py)."""
import time
from types import SimpleNamespace

import eventlet
from nameko.testing.services import entrypoint_hook

from services.catalog import domain
from services.search.engine_provider import SearchEngineProvider

OWNER = {"id": "acc-owner-1", "role": "owner"}
MERCHANT = {"name": "Tenun Masalili", "kind": "umkm", "region": "7402", "whatsapp": "0812-3456-7890",
            "description": "Kain tenun khas Muna."}
NAMES = ["Kain Tenun Masalili", "Madu Hutan Buton", "Kopi Kolaka", "Keripik Pisang Kendari", "Jambu Mete Muna"]


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


class ProviderHost:
    """Just enough of a nameko container for one background provider: green threads, and a
    ``db`` sibling whose session factory is ``session_factory``."""

    def __init__(self, session_factory):
        self.dependencies = [SimpleNamespace(attr_name="db", session_factory=session_factory)]
        self.threads = []

    def spawn_managed_thread(self, target, identifier=None):
        thread = eventlet.spawn(target)
        self.threads.append(thread)
        return thread

    def host(self, provider):
        provider.container = self
        return provider
