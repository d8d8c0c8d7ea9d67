"""Fixtures of the shared-code tests."""
import pytest

from shared.db import make_engine, make_session_factory
from shared.settings import QUEUE_TYPE_VARIABLE, QUEUE_TYPES


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


@pytest.fixture(params=QUEUE_TYPES)
def queue_type(request, monkeypatch):
    """Tests that declare the event topology run with each queue type (``RABBITMQ_QUEUE_TYPE``):
    classic, and quorum (the local broker is one node, which runs quorum queues too)."""
    monkeypatch.setenv(QUEUE_TYPE_VARIABLE, request.param)
    return request.param
