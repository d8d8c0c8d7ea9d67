"""Fixtures of the shared-code tests."""
import pytest

from shared.db import make_engine, make_session_factory


@pytest.fixture
def tables(database_url):
    """``tables(*bases)``: a session factory on the test database (SQLite or PostgreSQL)
    with the tables of the given declarative bases created; engines disposed afterwards."""
    engines = []

    def create(*bases):
        engine = make_engine(database_url)
        engines.append(engine)
        for base in bases:
            base.metadata.create_all(engine)
        return make_session_factory(engine)

    yield create
    for engine in engines:
        engine.dispose()
