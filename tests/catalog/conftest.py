"""Fixtures for the catalog tests: a migrated catalog database and a registered merchant."""
import pytest

from catalog_helpers import MERCHANT_DATA, OWNER
from services.catalog import domain


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
    with catalog_db() as session:
        result = domain.register_merchant(session, OWNER, MERCHANT_DATA)
        session.commit()
    return result
