"""HTML routes for promoters: campaigns list, create with preview, cancel, statistics.

A mixin of ``SitePages`` (see routes.py): one-line entry points delegating to view functions."""
from services.gateway.web import http  # noqa: F401 - the routes' decorator


class PromoterPages:
    pass
