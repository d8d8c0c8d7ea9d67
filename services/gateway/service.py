"""The gateway's entry points: HTTP only, each one line delegating to ``api`` or ``pages``."""
from services.gateway import (
    api,
    api_accounts,
    api_campaigns,
    api_imports,
    api_media,
    api_merchants,
    api_search_admin,
    api_search_analytics,
    api_search_ops,
    idempotency,
    openapi,
)
from services.gateway.interactions import InteractionReporter
from services.gateway.settings import GatewaySettings
from services.gateway.site import routes  # not "import SitePages": nameko run would take the mixin for a service
from services.gateway.site.render import page_without_worker
from services.gateway.web import http, use_html_error_pages
from shared.db import Database
from shared.extensions import Settings, settings_timer
from shared.leader import Leadership
from shared.rpc import DeadlineRpc

# A browser that asks for an unknown path, or is shed under load, gets the site's error page;
# an API client the JSON error.
use_html_error_pages(page_without_worker)


class GatewayService(routes.SitePages):
    name = "gateway"

    db = Database(GatewaySettings)
    leader = Leadership("db")  # one replica prunes the kept responses
    rpc = DeadlineRpc(queue_limit=lambda: GatewaySettings.load().rpc_queue_limit)
    settings = Settings(GatewaySettings)
    interactions = InteractionReporter("rpc")  # impressions/views/contacts -> search, in batches

    def _gateway(self) -> api.Gateway:
        return api.Gateway(uow=self.db, rpc=self.rpc, settings=self.settings, interactions=self.interactions)

    # --- operations ---

    @http("GET", "/health")
    def health(self, request):
        return api.health(self._gateway())

    @settings_timer(GatewaySettings, "idempotency_prune_interval", leader="leader")
    def prune_idempotency_records(self):
        """Responses kept for Idempotency-Keys older than 24 hours go, in small batches."""
        idempotency.prune(self.db)

    # --- the contract (generated from shared/api_fields.py and openapi.OPERATIONS) ---

    @http("GET", "/api/v1/openapi.json")
    def openapi_document(self, request):
        return openapi.serve()

    # --- reference data ---

    @http("GET", "/api/v1/regions")
    def regions(self, request):
        return api.regions()

    @http("GET", "/api/v1/categories")
    def categories(self, request):
        return api.categories(self._gateway())

    # --- accounts and sessions ---

    @http("POST", "/api/v1/accounts")
    def create_account(self, request):
        return api.create_account(self._gateway(), request)

    @http("POST", "/api/v1/sessions")
    def create_session(self, request):
        return api.create_session(self._gateway(), request)

    @http("DELETE", "/api/v1/sessions/current")
    def delete_session(self, request):
        return api.delete_session(self._gateway(), request)

    @http("GET", "/api/v1/admin/accounts")
    def admin_accounts(self, request):
        return api_accounts.list_accounts(self._gateway(), request)

    @http("POST", "/api/v1/admin/accounts/<string:account_id>/approval")
    def decide_account_approval(self, request, account_id):
        return api_accounts.decide_approval(self._gateway(), request, account_id)

    # --- merchants ---

    @http("POST", "/api/v1/merchants")
    def create_merchant(self, request):
        return api.create_merchant(self._gateway(), request)

    @http("GET", "/api/v1/merchants/<string:merchant_id>")
    def get_merchant(self, request, merchant_id):
        return api.get_merchant(self._gateway(), merchant_id)

    @http("PATCH", "/api/v1/merchants/<string:merchant_id>")
    def update_merchant(self, request, merchant_id):
        return api_merchants.update_merchant(self._gateway(), request, merchant_id)

    @http("POST", "/api/v1/merchants/<string:merchant_id>/verification")
    def decide_verification(self, request, merchant_id):
        return api_merchants.decide_verification(self._gateway(), request, merchant_id)

    @http("GET", "/api/v1/admin/merchants")
    def admin_merchants(self, request):
        return api_merchants.admin_merchants(self._gateway(), request)

    @http("GET", "/api/v1/merchants/<string:merchant_id>/products")
    def merchant_products(self, request, merchant_id):
        return api.merchant_products(self._gateway(), request, merchant_id)

    # --- products ---

    @http("POST", "/api/v1/products")
    def create_product(self, request):
        return api.create_product(self._gateway(), request)

    @http("GET", "/api/v1/products/<string:product_id>")
    def get_product(self, request, product_id):
        return api.get_product(self._gateway(), product_id)

    @http("PATCH", "/api/v1/products/<string:product_id>")
    def update_product(self, request, product_id):
        return api.update_product(self._gateway(), request, product_id)

    @http("DELETE", "/api/v1/products/<string:product_id>")
    def delete_product(self, request, product_id):
        return api.delete_product(self._gateway(), request, product_id)

    # --- photos, logos and the files they are served from ---

    @http("POST", "/api/v1/products/<string:product_id>/photos")
    def add_product_photo(self, request, product_id):
        return api_media.add_product_photo(self._gateway(), request, product_id)

    @http("DELETE", "/api/v1/products/<string:product_id>/photos/<string:photo_id>")
    def delete_product_photo(self, request, product_id, photo_id):
        return api_media.delete_product_photo(self._gateway(), request, product_id, photo_id)

    @http("POST", "/api/v1/merchants/<string:merchant_id>/logo")
    def set_merchant_logo(self, request, merchant_id):
        return api_media.set_merchant_logo(self._gateway(), request, merchant_id)

    @http("GET", "/media/<path:path>")
    def media(self, request, path):
        return api_media.media(self._gateway(), request, path)

    # --- spreadsheet imports (the static template route wins over <import_id>) ---

    @http("GET", "/api/v1/imports/template.xlsx")
    def import_template(self, request):
        return api_imports.template(self._gateway())

    @http("POST", "/api/v1/imports")
    def create_import(self, request):
        return api_imports.create_import(self._gateway(), request)

    @http("GET", "/api/v1/imports/<string:import_id>")
    def get_import(self, request, import_id):
        return api_imports.get_import(self._gateway(), request, import_id)

    # --- search ---

    @http("GET", "/api/v1/search")
    def search(self, request):
        return api.search(self._gateway(), request)

    @http("GET", "/api/v1/suggest")
    def suggest(self, request):
        return api_search_admin.suggest(self._gateway(), request)

    @http("POST", "/api/v1/admin/search/synonyms/reload")
    def reload_synonyms(self, request):
        return api_search_admin.reload_synonyms(self._gateway(), request)

    # --- search operations and dead letters (admin) ---

    @http("POST", "/api/v1/admin/search/verify")
    def admin_search_verify(self, request):
        return api_search_ops.verify(self._gateway(), request)

    @http("POST", "/api/v1/admin/search/reindex")
    def admin_search_reindex(self, request):
        return api_search_ops.start_reindex(self._gateway(), request)

    @http("GET", "/api/v1/admin/search/reindex")
    def admin_search_reindex_status(self, request):
        return api_search_ops.reindex_status(self._gateway(), request)

    @http("GET", "/api/v1/admin/dead-letters")
    def admin_dead_letters(self, request):
        return api_search_ops.list_dead_letters(self._gateway(), request)

    @http("POST", "/api/v1/admin/dead-letters/<string:subscription>/replay")
    def admin_replay_dead_letters(self, request, subscription):
        return api_search_ops.replay_dead_letters(self._gateway(), request, subscription)

    @http("GET", "/api/v1/admin/search/queries")
    def admin_search_queries(self, request):
        return api_search_analytics.search_queries(self._gateway(), request)

    @http("POST", "/api/v1/products/<string:product_id>/contact")
    def contact_product(self, request, product_id):
        return api_search_analytics.contact_product(self._gateway(), request, product_id)

    # --- campaigns (promotion; the static /active route wins over <campaign_id>) ---

    @http("POST", "/api/v1/campaigns")
    def create_campaign(self, request):
        return api_campaigns.create_campaign(self._gateway(), request)

    @http("GET", "/api/v1/campaigns")
    def list_campaigns(self, request):
        return api_campaigns.list_campaigns(self._gateway(), request)

    @http("GET", "/api/v1/campaigns/active")
    def active_campaigns(self, request):
        return api_campaigns.active_campaigns(self._gateway(), request)

    @http("GET", "/api/v1/campaigns/<string:campaign_id>")
    def get_campaign(self, request, campaign_id):
        return api_campaigns.get_campaign(self._gateway(), request, campaign_id)

    @http("PATCH", "/api/v1/campaigns/<string:campaign_id>")
    def update_campaign(self, request, campaign_id):
        return api_campaigns.update_campaign(self._gateway(), request, campaign_id)

    @http("POST", "/api/v1/campaigns/<string:campaign_id>/schedule")
    def schedule_campaign(self, request, campaign_id):
        return api_campaigns.schedule_campaign(self._gateway(), request, campaign_id)

    @http("POST", "/api/v1/campaigns/<string:campaign_id>/cancel")
    def cancel_campaign(self, request, campaign_id):
        return api_campaigns.cancel_campaign(self._gateway(), request, campaign_id)

    @http("GET", "/api/v1/campaigns/<string:campaign_id>/preview")
    def preview_campaign(self, request, campaign_id):
        return api_campaigns.preview_campaign(self._gateway(), request, campaign_id)

    @http("POST", "/api/v1/campaigns/<string:campaign_id>/opt-out")
    def campaign_opt_out(self, request, campaign_id):
        return api_campaigns.opt_out(self._gateway(), request, campaign_id)

    @http("POST", "/api/v1/campaigns/<string:campaign_id>/opt-in")
    def campaign_opt_in(self, request, campaign_id):
        return api_campaigns.opt_in(self._gateway(), request, campaign_id)

    @http("GET", "/api/v1/me/campaigns")
    def my_campaigns(self, request):
        return api_campaigns.my_campaigns(self._gateway(), request)

    @http("GET", "/api/v1/featured")
    def featured(self, request):
        return api_campaigns.featured(self._gateway(), request)
