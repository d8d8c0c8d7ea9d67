from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from services.catalog.models import Base
from shared.migrations import upgrade


def test_upgrade_creates_tables_and_matches_models(catalog_db):
    engine = catalog_db.kw["bind"]
    tables = set(inspect(engine).get_table_names())
    assert {"merchants", "products", "outbox", "alembic_version"} <= tables
    # The hand-tidied revision must describe exactly what the models declare.
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_upgrade_twice_is_a_noop(database_url, catalog_db):
    upgrade("catalog", database_url)
