"""Promotion service entry points: campaign RPCs, the campaign timer, the catalog/analytics
event consumer and the outbox relay of ``promotion.pricing_changed``. The logic lives in
the ``campaigns`` package (and ``facts``/``interactions``); every writing entry point
commits before it returns (nameko replies before dependency providers see the worker
result), and the commit wakes the relay. The RPC contract: docs/contracts/promotion-rpc.md."""
import logging

import eventlet
from sqlalchemy import text

from services.promotion import facts, interactions
from services.promotion.campaigns import operations, queries
from services.promotion.campaigns.status import advance, next_due
from services.promotion.models import IdempotencyKey, Inbox, Outbox
from services.promotion.settings import PromotionSettings
from shared.batching import BatcherProvider, batch_event_consumer
from shared.db import Database
from shared.errors import EtalaseError
from shared.events import utcnow
from shared.extensions import Settings, StartupObjectsFrozen, settings_timer
from shared.idempotency import create_once, prune_expired, scope_of
from shared.leader import Leadership
from shared.outbox import OutboxRelayRunner
from shared.retention import EventRetention
from shared.rpc_transport import rpc  # nameko's @rpc, replies unconfirmed (see there)

log = logging.getLogger(__name__)


class PromotionService:
    name = "promotion"

    startup_objects = StartupObjectsFrozen()

    db = Database(PromotionSettings)
    settings = Settings(PromotionSettings)
    leader = Leadership("db")  # one replica runs the relay, retention and the timers
    relay = OutboxRelayRunner("db", Outbox, leader="leader")
    retention = EventRetention("db", PromotionSettings, outbox_model=Outbox, inbox_model=Inbox,  # old rows pruned
                               leader="leader")
    batcher = BatcherProvider(facts.apply_batch)  # catalog events, group-committed

    @batch_event_consumer("promotion")
    def handle_events(self, bodies):
        # The messages the broker has sent meanwhile, applied in batches (shared/batching.py);
        # one error or None per message, so only a failing message is retried or dead-lettered.
        return self.batcher.apply_bodies(bodies)

    @settings_timer(PromotionSettings, "campaign_tick", eager=True, leader="leader")
    def advance_campaigns(self):
        """Starts and ends campaigns on time; eager, so a start or end that passed while the
        service was down takes effect as soon as it is back. A start or end due before the
        next tick is waited for here, so it takes effect on the moment, not up to a tick late
        (a 10,000-product start otherwise waited half a tick on average)."""
        self._advance()
        due = next_due(self.db.session)
        self.db.session.rollback()  # hold no transaction while waiting
        wait = None if due is None else (due - utcnow()).total_seconds()
        if wait is not None and 0 < wait < self.settings.campaign_tick:
            while (remaining := (due - utcnow()).total_seconds()) > 0:
                eventlet.sleep(remaining)
            if self.leader.is_leader():  # still: another replica may have taken over meanwhile
                self._advance()

    def _advance(self):
        moved = advance(self.db.session, utcnow())
        self.db.commit()
        if moved["started"] or moved["ended"]:
            log.info("campaigns started %s ended %s", moved["started"], moved["ended"])

    @settings_timer(PromotionSettings, "idempotency_prune_interval", leader="leader")
    def prune_idempotency_keys(self):
        """Keys older than 24 hours are free again: their records go, in small batches."""
        prune_expired(self.db, IdempotencyKey)

    @rpc(expected_exceptions=EtalaseError)
    def health(self):
        self.db.session.execute(text("SELECT 1"))
        return {"status": "ok", **queries.counts(self.db.session)}

    @rpc(expected_exceptions=EtalaseError)
    def create_campaign(self, actor, data, idempotency=None):
        # With the gateway's ``idempotency={"key", "fingerprint"}``, a repeat of a key answers
        # with the campaign the first made (shared/idempotency.py).
        return create_once(self.db, IdempotencyKey, scope_of(actor), idempotency,
                           create=lambda: operations.create_campaign(self.db.session, actor, data, utcnow()),
                           existing=lambda campaign_id: queries.get_campaign(self.db.session, actor, campaign_id,
                                                                             utcnow()))

    @rpc(expected_exceptions=EtalaseError)
    def list_campaigns(self, actor, status=None, page=1, per_page=20):
        return queries.list_campaigns(self.db.session, actor, utcnow(), status, page, per_page)

    @rpc(expected_exceptions=EtalaseError)
    def get_campaign(self, actor, campaign_id):
        return queries.get_campaign(self.db.session, actor, campaign_id, utcnow())

    @rpc(expected_exceptions=EtalaseError)
    def update_campaign(self, actor, campaign_id, changes, expected_version=None):
        result = operations.update_campaign(self.db.session, actor, campaign_id, changes, utcnow(), expected_version)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def schedule_campaign(self, actor, campaign_id):
        result = operations.schedule_campaign(self.db.session, actor, campaign_id, utcnow())
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def cancel_campaign(self, actor, campaign_id):
        result = operations.cancel_campaign(self.db.session, actor, campaign_id, utcnow())
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def preview_campaign(self, actor, campaign_id, limit=50):
        return queries.preview_campaign(self.db.session, actor, campaign_id, utcnow(), limit)

    @rpc(expected_exceptions=EtalaseError)
    def opt_out(self, actor, campaign_id, selection):
        result = operations.opt_out(self.db.session, actor, campaign_id, selection, utcnow())
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def opt_in(self, actor, campaign_id, selection):
        result = operations.opt_in(self.db.session, actor, campaign_id, selection, utcnow())
        self.db.commit()
        return result

    @rpc(expected_exceptions=EtalaseError)
    def campaigns_for_owner(self, actor):
        return queries.campaigns_for_owner(self.db.session, actor, utcnow())

    @rpc(expected_exceptions=EtalaseError)
    def product_statistics(self, actor, product_ids, days=30):
        """Views, contacts and impressions per product over the last ``days`` days, for the owner."""
        return interactions.product_statistics(self.db.session, actor, product_ids, days)

    @rpc(expected_exceptions=EtalaseError)
    def popular_products(self, limit=8, days=30):
        return interactions.popular_products(self.db.session, limit, days)

    @rpc(expected_exceptions=EtalaseError)
    def active_campaigns(self, limit=10):
        return queries.active_campaigns(self.db.session, limit)

    @rpc(expected_exceptions=EtalaseError)
    def featured_products(self, slots=8):
        return queries.featured_products(self.db.session, utcnow(), slots, self.settings.featured_rotation_seconds)

    @rpc(expected_exceptions=EtalaseError)
    def pricing_for(self, product_ids):
        return queries.pricing_for(self.db.session, product_ids, utcnow())
