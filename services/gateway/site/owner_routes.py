"""HTML routes for owners (pemilik usaha): dashboard, business profile, products, photos, imports, statistics.

A mixin of ``SitePages`` (see routes.py): one-line entry points delegating to view functions."""
from services.gateway.web import http  # noqa: F401 - the routes' decorator


class OwnerPages:
    pass
