"""Every HTML route of the gateway, as a mixin of ``GatewayService``.

Each entry point is one line delegating to a view function (``buyer``, ``auth``, ...),
the same way service.py delegates the JSON API to ``api``. The mixin relies on
``GatewayService._gateway()``. To add pages, add a view module under ``site/`` (see
``render.py``) and its routes here, grouped by audience. Static paths win over
``<string:...>`` ones in werkzeug's router, so ``/produk/<id>/hubungi`` is safe.
"""
from services.gateway.site import api_docs, auth, buyer, static
from services.gateway.site.admin_routes import AdminPages
from services.gateway.site.owner_routes import OwnerPages
from services.gateway.site.promoter_routes import PromoterPages
from services.gateway.web import http


class SitePages(OwnerPages, PromoterPages, AdminPages):
    # --- buyers ---

    @http("GET", "/")
    def search_page(self, request):
        return buyer.home_or_search(self._gateway(), request)

    @http("GET", "/produk/<string:product_id>")
    def product_page(self, request, product_id):
        return buyer.product_page(self._gateway(), request, product_id)

    @http("GET", "/produk/<string:product_id>/hubungi")
    def product_contact(self, request, product_id):
        return buyer.contact(self._gateway(), request, product_id)

    @http("GET", "/usaha/<string:merchant_id>")
    def merchant_page(self, request, merchant_id):
        return buyer.merchant_page(self._gateway(), request, merchant_id)

    @http("GET", "/wilayah/<string:region_code>")
    def region_page(self, request, region_code):
        return buyer.region_page(self._gateway(), request, region_code)

    # --- accounts ---

    @http("GET,POST", "/masuk")
    def sign_in_page(self, request):
        return auth.sign_in_page(self._gateway(), request)

    @http("GET,POST", "/daftar")
    def register_page(self, request):
        return auth.register_page(self._gateway(), request)

    @http("POST", "/keluar")
    def sign_out_page(self, request):
        return auth.sign_out(self._gateway(), request)

    @http("GET", "/bahasa")
    def switch_language(self, request):
        return auth.switch_language(self._gateway(), request)

    # --- static files ---

    @http("GET", "/static/<path:path>")
    def static_file(self, request, path):
        return static.serve(request, path)

    # --- the API reference (Swagger UI over /api/v1/openapi.json) ---

    @http("GET", "/api/docs")
    def api_docs_page(self, request):
        return api_docs.page(request)

    @http("GET", "/api/docs/assets/<string:name>")
    def api_docs_asset(self, request, name):
        return api_docs.asset(request, name)
