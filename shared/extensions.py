"""nameko extensions every service may use: typed settings loaded once per container, and a
timer whose interval comes from those settings."""
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from shared.settings import ServiceSettings


class Settings(DependencyProvider):
    """Loads the typed settings when the container starts (never at import time) and hands
    the same read-only object to every worker."""

    def __init__(self, settings_cls: type[ServiceSettings]):
        self.settings_cls = settings_cls
        self.settings: ServiceSettings | None = None

    def setup(self) -> None:
        self.settings = self.settings_cls.load()

    def get_dependency(self, worker_ctx: Any) -> ServiceSettings | None:
        return self.settings


class SettingsTimer(Timer):
    """nameko's ``@timer(interval=...)`` fixes the interval when the class is defined, before
    any configuration is loaded; this one reads it in ``setup()`` (so tests and deployments
    can set it, e.g. ``CATALOG: {HALAL_CHECK_INTERVAL: 0.2}``)."""

    def __init__(self, settings_cls: type[ServiceSettings], setting: str, eager: bool = False, **kwargs: Any):
        self.settings_cls = settings_cls
        self.setting = setting
        super().__init__(interval=None, eager=eager, **kwargs)

    def setup(self) -> None:
        interval = float(getattr(self.settings_cls.load(), self.setting))
        if interval <= 0:
            raise ValueError(f"{self.setting} must be > 0 seconds, got {interval}")
        self.interval = interval
        super().setup()


settings_timer = SettingsTimer.decorator
