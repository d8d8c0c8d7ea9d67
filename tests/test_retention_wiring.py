"""Retention in each service that has event tables: its settings (validated, with an env
var each) and its container running the prune on its interval (real broker, both databases)."""
from datetime import timedelta

import nameko
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from waiting import wait_for

from services.catalog.models import OutboxMessage as CatalogOutbox
from services.catalog.service import CatalogService
from services.catalog.settings import CatalogSettings
from services.promotion.models import Inbox as PromotionInbox
from services.promotion.models import Outbox as PromotionOutbox
from services.promotion.service import PromotionService
from services.promotion.settings import PromotionSettings
from services.search.models import Inbox as SearchInbox
from services.search.models import Outbox as SearchOutbox
from services.search.service import SearchService
from services.search.settings import SearchSettings
from shared.db import insert_rows, make_engine, make_session_factory
from shared.events import utcnow
from shared.migrations import upgrade
from shared.outbox import PUBLISHED

SERVICES = {
    "catalog": (CatalogService, CatalogSettings, CatalogOutbox, None),
    "search": (SearchService, SearchSettings, SearchOutbox, SearchInbox),
    "promotion": (PromotionService, PromotionSettings, PromotionOutbox, PromotionInbox),
}
SETTINGS = [CatalogSettings, SearchSettings, PromotionSettings]


def clear_env(monkeypatch, settings_cls):
    prefix = settings_cls.model_config["env_prefix"]
    for name in ("DATABASE_URL", "RETENTION_DAYS", "RETENTION_INTERVAL", "RETENTION_BATCH_SIZE",
                 "RETENTION_BATCH_PAUSE"):
        monkeypatch.delenv(prefix + name, raising=False)


@pytest.mark.parametrize("settings_cls", SETTINGS)
def test_retention_settings_have_defaults_and_an_env_var_each(settings_cls, monkeypatch):
    clear_env(monkeypatch, settings_cls)
    settings = settings_cls.load({})
    assert (settings.retention_days, settings.retention_interval, settings.retention_batch_size,
            settings.retention_batch_pause) == (7, 3600.0, 1000, 0.2)
    assert settings.retention == timedelta(days=7)
    section = settings_cls.config_section
    assert settings_cls.load({section: {"RETENTION_DAYS": 30}}).retention_days == 30
    monkeypatch.setenv(f"{section}_RETENTION_DAYS", "14")
    assert settings_cls.load({section: {"RETENTION_DAYS": 30}}).retention_days == 14  # the env var wins


@pytest.mark.parametrize("settings_cls", SETTINGS)
@pytest.mark.parametrize("name, value", [
    ("RETENTION_DAYS", 0), ("RETENTION_DAYS", "seven"), ("RETENTION_DAYS", 1.5), ("RETENTION_DAYS", 4000),
    ("RETENTION_INTERVAL", 0), ("RETENTION_INTERVAL", -1), ("RETENTION_BATCH_SIZE", 0),
    ("RETENTION_BATCH_SIZE", 100_000), ("RETENTION_BATCH_PAUSE", -0.1), ("RETENTION_BATCH_PAUSE", "soon"),
])
def test_a_bad_retention_setting_is_refused_naming_it(settings_cls, name, value, monkeypatch):
    clear_env(monkeypatch, settings_cls)
    with pytest.raises(ValidationError) as error:
        settings_cls.load({settings_cls.config_section: {name: value}})
    assert [e["loc"] for e in error.value.errors()] == [(name.lower(),)]
    monkeypatch.setenv(f"{settings_cls.config_section}_{name}", str(value))
    with pytest.raises(ValidationError):
        settings_cls.load({})


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_service_container_prunes_on_its_interval(service, database_url, rabbit_config, container_factory,
                                                      tmp_path, monkeypatch):
    service_cls, settings_cls, outbox, inbox = SERVICES[service]
    clear_env(monkeypatch, settings_cls)
    upgrade(service, database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    now = utcnow()
    old, recent = now - timedelta(days=30), now - timedelta(days=1)
    columns = ("event_id", "event_type", "aggregate_id", "aggregate_version", "body", "status", "attempts",
               "created_at", "published_at")
    with sessions() as session:
        insert_rows(session, outbox.__table__, columns, [
            *[(f"old-{n}", "t.old", "a", 1, "{}", PUBLISHED, 1, old, old) for n in range(30)],
            ("recent", "t.recent", "a", 1, "{}", PUBLISHED, 1, recent, recent)])
        if inbox is not None:
            insert_rows(session, inbox.__table__, ("event_id", "event_type", "processed_at"),
                        [*[(f"old-{n}", "t.old", old) for n in range(30)], ("recent", "t.recent", recent)])
        session.commit()
    config = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path), "RETENTION_INTERVAL": 0.05,
              "RETENTION_BATCH_SIZE": 7, "RETENTION_BATCH_PAUSE": 0}
    try:
        with nameko.config.patch({settings_cls.config_section: config}):
            container = container_factory(service_cls)
            container.start()

            def left(model):
                with sessions() as session:
                    return sorted(session.scalars(select(model.event_id)))

            assert wait_for(lambda: left(outbox) == ["recent"], timeout=30), left(outbox)
            if inbox is not None:
                assert wait_for(lambda: left(inbox) == ["recent"], timeout=30), left(inbox)
            container.stop()
    finally:
        engine.dispose()
