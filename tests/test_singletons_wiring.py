"""Every singleton of every service asks the service's leader (docs/decisions/singletons.md):
each outbox relay, each retention loop and each timer names a ``Leadership`` provider of the
same service, so a job added later without one fails here rather than running on every
replica."""
import inspect

import pytest
from nameko.extensions import DependencyProvider

from services.catalog.service import CatalogService
from services.gateway.service import GatewayService
from services.promotion.service import PromotionService
from services.search.service import SearchService
from shared.extensions import SettingsTimer
from shared.leader import Leadership
from shared.outbox import OutboxRelayRunner
from shared.retention import EventRetention

SERVICES = [CatalogService, PromotionService, SearchService, GatewayService]


def providers(service) -> dict[str, DependencyProvider]:
    return {name: value for name, value in inspect.getmembers(service)
            if isinstance(value, DependencyProvider)}


def timers(service) -> dict[str, SettingsTimer]:
    found = {}
    for name, method in inspect.getmembers(service, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, SettingsTimer):
                found[name] = entrypoint
    return found


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_relay_retention_and_timer_names_the_services_leader(service):
    own = providers(service)
    leaders = {name for name, provider in own.items() if isinstance(provider, Leadership)}
    singletons = {name: provider.leader for name, provider in own.items()
                  if isinstance(provider, (OutboxRelayRunner, EventRetention))}
    singletons.update({name: timer.leader for name, timer in timers(service).items()})
    assert singletons, "each service has at least one timer or relay"
    unled = {name: leader for name, leader in singletons.items() if leader not in leaders}
    assert unled == {}
    assert len(leaders) == 1
