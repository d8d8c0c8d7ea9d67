"""End-to-end fixtures: the four services as real processes on a fresh RabbitMQ vhost.

The fixtures live in tests/platform_fixtures.py, shared with the browser tests."""
from platform_fixtures import RABBIT_API, RunningPlatform, free_port, running_platform, vhost_uri  # noqa: F401
