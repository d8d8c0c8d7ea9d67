"""The catalog nameko service: entry points only; the logic lives in ``domain``.

Every writing entry point commits before it returns, so the RPC reply follows the commit
(nameko replies before dependency providers see the worker result). The commit wakes the
outbox relay, which publishes the staged events.
"""
from nameko.rpc import rpc
from sqlalchemy import text

from services.catalog import domain
from services.catalog.models import OutboxMessage
from services.catalog.settings import CatalogSettings
from shared.db import Database
from shared.errors import EtalaseError
from shared.outbox import OutboxRelayRunner


class CatalogService:
    name = "catalog"

    db = Database(CatalogSettings)
    relay = OutboxRelayRunner("db", OutboxMessage)

    @rpc
    def health(self):
        self.db.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @rpc
    def list_categories(self):
        return domain.list_categories()

    @rpc(expected_exceptions=EtalaseError)
    def register_merchant(self, actor, data):
        result = domain.register_merchant(self.db.session, actor, data)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def get_merchant(self, merchant_id):
        return domain.get_merchant(self.db.session, merchant_id)

    @rpc(expected_exceptions=EtalaseError)
    def list_owner_merchants(self, owner_id):
        return domain.list_owner_merchants(self.db.session, owner_id)

    @rpc(expected_exceptions=EtalaseError)
    def list_merchant_products(self, merchant_id, page=1, per_page=50):
        return domain.list_merchant_products(self.db.session, merchant_id, page, per_page)

    @rpc(expected_exceptions=EtalaseError)
    def create_product(self, actor, data):
        result = domain.create_product(self.db.session, actor, data)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def get_product(self, product_id):
        return domain.get_product(self.db.session, product_id)

    @rpc(expected_exceptions=EtalaseError)
    def update_product(self, actor, product_id, data, expected_version=None):
        result = domain.update_product(self.db.session, actor, product_id, data, expected_version)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def delete_product(self, actor, product_id, expected_version=None):
        result = domain.delete_product(self.db.session, actor, product_id, expected_version)
        self.db.commit()
        return result
