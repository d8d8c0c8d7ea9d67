from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.search.models import Base
from shared.db import make_engine


def test_migrations_match_the_models(database_url, migrated):
    migrated("search")
    migrated("search")  # a second upgrade is a no-op
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
