"""HTML routes for owners (pemilik usaha): dashboard, business profile, products, photos, imports, statistics.

A mixin of ``SitePages`` (see routes.py): one-line entry points delegating to view functions
in ``owner.py`` (which documents each path). Static paths (``/baru``) win over ``<string:...>``."""
from services.gateway.site import owner
from services.gateway.web import http


class OwnerPages:
    @http("GET", "/pemilik")
    def owner_home(self, request):
        return owner.home(self._gateway(), request)

    @http("POST", "/pemilik/kampanye/<string:campaign_id>/<any(ikut,keluar):action>")
    def owner_campaign_membership(self, request, campaign_id, action):
        return owner.campaign_membership(self._gateway(), request, campaign_id, action)

    # --- business ---

    @http("GET,POST", "/pemilik/usaha/baru")
    def owner_business_new(self, request):
        return owner.business_new(self._gateway(), request)

    @http("GET,POST", "/pemilik/usaha/<string:merchant_id>")
    def owner_business_edit(self, request, merchant_id):
        return owner.business_edit(self._gateway(), request, merchant_id)

    @http("POST", "/pemilik/usaha/<string:merchant_id>/logo")
    def owner_business_logo(self, request, merchant_id):
        return owner.business_logo(self._gateway(), request, merchant_id)

    # --- products ---

    @http("GET,POST", "/pemilik/produk/baru")
    def owner_product_new(self, request):
        return owner.product_new(self._gateway(), request)

    @http("GET,POST", "/pemilik/produk/<string:product_id>")
    def owner_product_edit(self, request, product_id):
        return owner.product_edit(self._gateway(), request, product_id)

    @http("GET,POST", "/pemilik/produk/<string:product_id>/hapus")
    def owner_product_delete(self, request, product_id):
        return owner.product_delete(self._gateway(), request, product_id)

    @http("POST", "/pemilik/produk/<string:product_id>/foto")
    def owner_product_photo_add(self, request, product_id):
        return owner.product_photo_add(self._gateway(), request, product_id)

    @http("POST", "/pemilik/produk/<string:product_id>/foto/<string:photo_id>/hapus")
    def owner_product_photo_delete(self, request, product_id, photo_id):
        return owner.product_photo_delete(self._gateway(), request, product_id, photo_id)

    # --- spreadsheet imports ---

    @http("GET,POST", "/pemilik/impor")
    def owner_import(self, request):
        return owner.import_page(self._gateway(), request)

    @http("GET", "/pemilik/impor/<string:import_id>")
    def owner_import_status(self, request, import_id):
        return owner.import_status(self._gateway(), request, import_id)
