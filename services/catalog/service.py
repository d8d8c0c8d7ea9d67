"""The catalog nameko service: entry points only; the logic lives in ``domain``.

Every writing entry point commits before it returns, so the RPC reply follows the commit
(nameko replies before dependency providers see the worker result). The commit wakes the
outbox relay, which publishes the staged events.
"""
import base64

from sqlalchemy import text

from services.catalog import domain, imports, photos
from services.catalog.media import MediaRoot
from services.catalog.models import IdempotencyKey, OutboxMessage
from services.catalog.settings import CatalogSettings
from shared.db import Database
from shared.errors import EtalaseError
from shared.extensions import settings_timer
from shared.idempotency import create_once, key_guard, prune_expired, scope_of
from shared.leader import Leadership
from shared.outbox import OutboxRelayRunner
from shared.retention import EventRetention
from shared.rpc_transport import rpc  # nameko's @rpc, replies unconfirmed (see there)


class CatalogService:
    name = "catalog"

    db = Database(CatalogSettings)
    leader = Leadership("db")  # one replica runs the relay, retention and the timers
    relay = OutboxRelayRunner("db", OutboxMessage, leader="leader")
    retention = EventRetention("db", CatalogSettings, outbox_model=OutboxMessage,  # prunes published rows
                               leader="leader")
    media_root = MediaRoot()  # where photo and logo files are written
    import_runner = imports.ImportRunner("db")  # runs pending spreadsheet imports in the background

    @rpc
    def health(self):
        self.db.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @rpc
    def list_categories(self):
        return domain.list_categories()

    # Creates take an optional ``idempotency={"key", "fingerprint"}`` from the gateway: a
    # repeat of a key answers with what the first made (shared/idempotency.py).
    @rpc(expected_exceptions=EtalaseError)
    def register_merchant(self, actor, data, idempotency=None):
        return create_once(self.db, IdempotencyKey, scope_of(actor), idempotency,
                           create=lambda: domain.register_merchant(self.db.session, actor, data),
                           existing=lambda merchant_id: domain.get_merchant(self.db.session, merchant_id))

    @rpc(expected_exceptions=EtalaseError)
    def get_merchant(self, merchant_id):
        return domain.get_merchant(self.db.session, merchant_id)

    @rpc(expected_exceptions=EtalaseError)
    def list_owner_merchants(self, owner_id):
        return domain.list_owner_merchants(self.db.session, owner_id)

    @rpc(expected_exceptions=EtalaseError)
    def update_merchant(self, actor, merchant_id, data, expected_version=None):
        result = domain.update_merchant(self.db.session, actor, merchant_id, data, expected_version)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def decide_verification(self, actor, merchant_id, decision, reason=None):
        result = domain.decide_verification(self.db.session, actor, merchant_id, decision, reason)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def list_merchants_by_status(self, actor, status="pending", page=1, per_page=50, region=None):
        return domain.list_merchants_by_status(self.db.session, actor, status, page, per_page, region)

    @rpc(expected_exceptions=EtalaseError)
    def province_summary(self, actor):
        """The admin's province dashboard: per-region counts and the koperasi RAT list."""
        return domain.province_summary(self.db.session, actor)

    @settings_timer(CatalogSettings, "idempotency_prune_interval", leader="leader")
    def prune_idempotency_keys(self):
        """Keys older than 24 hours are free again: their records go, in small batches."""
        prune_expired(self.db, IdempotencyKey)

    @settings_timer(CatalogSettings, "halal_check_interval", leader="leader")
    def expire_halal_certificates(self):
        """Products lose the halal mark when the certificate expires, without anyone acting."""
        domain.expire_halal_certificates(self.db.session)
        self.db.commit()

    @rpc(expected_exceptions=EtalaseError)
    def list_merchant_products(self, merchant_id, page=1, per_page=50, actor=None):
        return domain.list_merchant_products(self.db.session, merchant_id, page, per_page, actor)

    @rpc(expected_exceptions=EtalaseError)
    def create_product(self, actor, data, idempotency=None):
        return create_once(self.db, IdempotencyKey, scope_of(actor), idempotency,
                           create=lambda: domain.create_product(self.db.session, actor, data),
                           existing=lambda product_id: domain.get_product(self.db.session, product_id))

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

    # Photos and logos commit themselves (files and rows must agree; see photos.py).
    @rpc(expected_exceptions=EtalaseError)
    def add_product_photo(self, actor, product_id, upload, expected_version=None, idempotency=None):
        return photos.add_product_photo_once(
            self.db.session, self.media_root, actor, product_id, upload, commit=self.db.commit,
            keys=key_guard(self.db.session, IdempotencyKey, scope_of(actor), idempotency),
            expected_version=expected_version,
        )

    @rpc(expected_exceptions=EtalaseError)
    def delete_product_photo(self, actor, product_id, photo_id, expected_version=None):
        return photos.delete_product_photo(
            self.db.session, self.media_root, actor, product_id, photo_id,
            commit=self.db.commit, expected_version=expected_version,
        )

    @rpc(expected_exceptions=EtalaseError)
    def set_merchant_logo(self, actor, merchant_id, upload):
        return photos.set_merchant_logo(self.db.session, self.media_root, actor, merchant_id, upload, commit=self.db.commit)

    # Spreadsheet imports: start_import checks and stores the job; the runner does the rows.
    @rpc(expected_exceptions=EtalaseError)
    def start_import(self, actor, merchant_id, filename, data_b64, idempotency=None):
        result = create_once(self.db, IdempotencyKey, scope_of(actor), idempotency,
                             create=lambda: imports.start_import(self.db.session, actor, merchant_id, filename, data_b64),
                             existing=lambda import_id: imports.get_import(self.db.session, actor, import_id))
        self.import_runner.wake()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def get_import(self, actor, import_id):
        return imports.get_import(self.db.session, actor, import_id)

    @rpc(expected_exceptions=EtalaseError)
    def export_products(self, after_id=None, limit=500):
        """Live products ordered by id after ``after_id`` (search's verify and reindex)."""
        return domain.export_products(self.db.session, after_id, limit)

    @rpc
    def import_template(self):
        """The XLSX template, base64-encoded."""
        return base64.b64encode(imports.build_template()).decode("ascii")
