"""Fixtures for the catalog tests: a migrated catalog database, a registered merchant and
its product, a media directory, and the catalog service's settings for a real container."""
import nameko
import pytest

from catalog_helpers import create_product, register_merchant


@pytest.fixture
def catalog_db(migrated):
    """A session factory on a fresh, migrated catalog database (SQLite and PostgreSQL)."""
    return migrated("catalog")


@pytest.fixture
def session(catalog_db):
    with catalog_db() as session:
        yield session


@pytest.fixture
def merchant(catalog_db):
    """A committed merchant owned by OWNER."""
    return register_merchant(catalog_db)


@pytest.fixture
def product(catalog_db, merchant):
    """A committed product of ``merchant``."""
    return create_product(catalog_db, merchant["id"])


@pytest.fixture
def media_root(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def catalog_config(database_url, catalog_db, rabbit_config, media_root, monkeypatch):
    """Point the catalog service's settings at the migrated test database and ``media_root``
    (CATALOG_* environment variables would win, so they are removed for the test)."""
    for name in ("CATALOG_DATABASE_URL", "CATALOG_MEDIA_ROOT", "CATALOG_HALAL_CHECK_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    with nameko.config.patch({"CATALOG": {"DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root)}}):
        yield
