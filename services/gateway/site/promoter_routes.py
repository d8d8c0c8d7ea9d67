"""HTML routes for promoters: campaigns list, create with preview, edit, cancel (confirmed), statistics.

A mixin of ``SitePages`` (see routes.py): one-line entry points delegating to view functions."""
from services.gateway.site import promoter
from services.gateway.web import http


class PromoterPages:
    @http("GET", "/promotor")
    def promoter_campaigns(self, request):
        return promoter.campaign_list(self._gateway(), request)

    @http("GET,POST", "/promotor/kampanye/baru")
    def promoter_new_campaign(self, request):
        return promoter.new_campaign(self._gateway(), request)

    @http("GET", "/promotor/kampanye/<string:campaign_id>")
    def promoter_campaign(self, request, campaign_id):
        return promoter.campaign_page(self._gateway(), request, campaign_id)

    @http("GET,POST", "/promotor/kampanye/<string:campaign_id>/ubah")
    def promoter_edit_campaign(self, request, campaign_id):
        return promoter.edit_campaign(self._gateway(), request, campaign_id)

    @http("POST", "/promotor/kampanye/<string:campaign_id>/jadwalkan")
    def promoter_schedule_campaign(self, request, campaign_id):
        return promoter.schedule(self._gateway(), request, campaign_id)

    @http("GET,POST", "/promotor/kampanye/<string:campaign_id>/batal")
    def promoter_cancel_campaign(self, request, campaign_id):
        return promoter.cancel(self._gateway(), request, campaign_id)
