"""Fixtures for the promotion tests: a migrated promotion database (SQLite and PostgreSQL)
and a session on it. Builders of test data are in campaign_helpers.py."""
import pytest


@pytest.fixture
def promotion_db(migrated):
    """A session factory on a fresh, migrated promotion database."""
    return migrated("promotion")


@pytest.fixture
def session(promotion_db):
    with promotion_db() as session:
        yield session
