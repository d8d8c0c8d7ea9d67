"""HTML routes for admins (kurator Dinas): verification queue, suspend/reinstate, province dashboard.

A mixin of ``SitePages`` (see routes.py): one-line entry points delegating to view functions."""
from services.gateway.web import http  # noqa: F401 - the routes' decorator


class AdminPages:
    pass
