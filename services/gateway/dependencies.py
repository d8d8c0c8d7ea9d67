"""Small dependency providers of the gateway."""
from nameko.extensions import DependencyProvider


class Settings(DependencyProvider):
    """Loads the typed settings when the container starts (never at import time) and hands
    the same read-only object to every worker."""

    def __init__(self, settings_cls):
        self.settings_cls = settings_cls
        self.settings = None

    def setup(self):
        self.settings = self.settings_cls.load()

    def get_dependency(self, worker_ctx):
        return self.settings
