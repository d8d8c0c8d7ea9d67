"""HTML routes for admins (kurator Dinas): verification queue, suspend/reinstate, province dashboard,
promoter approval.

A mixin of ``SitePages`` (see routes.py): one-line entry points delegating to view functions."""
from services.gateway.site import admin_accounts, admin_pages
from services.gateway.web import http


class AdminPages:
    @http("GET", "/admin")
    def admin_queue(self, request):
        return admin_pages.queue(self._gateway(), request)

    @http("POST", "/admin/usaha/<string:merchant_id>/keputusan")
    def admin_decide(self, request, merchant_id):
        return admin_pages.decide(self._gateway(), request, merchant_id)

    @http("GET", "/admin/dasbor")
    def admin_dashboard(self, request):
        return admin_pages.dashboard(self._gateway(), request)

    @http("GET", "/admin/promotor")
    def admin_promoters(self, request):
        return admin_accounts.promoters(self._gateway(), request)

    @http("POST", "/admin/promotor/<string:account_id>/keputusan")
    def admin_decide_promoter(self, request, account_id):
        return admin_accounts.decide(self._gateway(), request, account_id)
