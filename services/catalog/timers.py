"""A nameko timer whose interval comes from the service's settings.

nameko's ``@timer(interval=...)`` fixes the interval when the class is defined, before any
configuration is loaded; this one reads it in ``setup()`` (so tests and deployments can
set it, e.g. ``CATALOG: {HALAL_CHECK_INTERVAL: 0.2}``).
"""
from nameko.timer import Timer


class SettingsTimer(Timer):
    def __init__(self, settings_cls, setting: str, eager: bool = False, **kwargs):
        self.settings_cls = settings_cls
        self.setting = setting
        super().__init__(interval=None, eager=eager, **kwargs)

    def setup(self):
        interval = float(getattr(self.settings_cls.load(), self.setting))
        if interval <= 0:
            raise ValueError(f"{self.setting} must be > 0 seconds, got {interval}")
        self.interval = interval
        super().setup()


settings_timer = SettingsTimer.decorator
