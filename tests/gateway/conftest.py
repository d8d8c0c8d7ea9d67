"""Fixtures of the gateway tests: the real gateway container on a real RabbitMQ (a fresh
vhost per test, from nameko's pytest plugin) and a real database, beside the fake catalog,
search and promotion services of gateway_fakes.py."""
import pytest

from services.gateway.service import GatewayService
from shared.db import make_engine, make_session_factory
from shared.migrations import upgrade

from gateway_fakes import FAKES, FakeCatalog, FakePromotion, FakeSearch
from gateway_helpers import register_and_sign_in, sign_in_admin


@pytest.fixture
def web_session(web_config_port):
    """nameko's own ``web_session`` imports ``werkzeug.urls.url_join``, which werkzeug 3
    removed; this is the same session with the standard library's ``urljoin``."""
    from urllib.parse import urljoin

    from requests import Session

    base = f"http://127.0.0.1:{web_config_port}/"

    class WebSession(Session):
        def request(self, method, url, *args, **kwargs):
            kwargs.setdefault("timeout", 30)
            return super().request(method, urljoin(base, url), *args, **kwargs)

    with WebSession() as session:
        yield session


@pytest.fixture(autouse=True)
def fakes():
    """What the fake services know and were asked: fresh for every test."""
    FAKES.reset()
    return FAKES


@pytest.fixture
def start_gateway(rabbit_config, web_config, runner_factory, sqlite_url):
    """``start_gateway(*fake_services, database_url=..., **settings)`` runs the gateway (on
    SQLite unless told otherwise) beside the given fake services, with GATEWAY settings
    overridden by ``settings``; returns a session factory for the gateway's database."""
    engines = []

    def start(*fake_services, database_url=None, **settings):
        database_url = database_url or sqlite_url
        upgrade("gateway", database_url)
        config = {"GATEWAY": {"DATABASE_URL": database_url, "RPC_TIMEOUT": 2, "HEALTH_TIMEOUT": 1, **settings}}
        runner_factory(config, GatewayService, *fake_services).start()
        engine = make_engine(database_url)
        engines.append(engine)
        return make_session_factory(engine)

    yield start
    FAKES.release_slow_calls()  # before the runner stops: it waits for the calls in progress
    for engine in engines:
        engine.dispose()


@pytest.fixture
def gateway(start_gateway):
    """The gateway beside all three fake services; a module whose tests should see fewer
    services overrides this fixture."""
    return start_gateway(FakeCatalog, FakeSearch, FakePromotion)


@pytest.fixture
def admin_auth(gateway, web_session):
    """The Authorization header of a signed-in admin."""
    return sign_in_admin(gateway, web_session)[0]


@pytest.fixture
def owner_auth(gateway, web_session):
    """The Authorization header of a signed-in business owner (wa.ode@example.com)."""
    return register_and_sign_in(web_session)[0]
