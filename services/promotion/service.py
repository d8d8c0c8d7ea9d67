"""Promotion service entry points. Campaigns come in a later issue; for now the service
keeps the product facts campaigns will target, fed only by catalog events."""
from nameko.rpc import rpc
from sqlalchemy import text

from services.promotion import facts
from services.promotion.settings import PromotionSettings
from shared.consumer import event_consumer
from shared.db import Database
from shared.errors import EtalaseError
from shared.events import Event


class PromotionService:
    name = "promotion"

    db = Database(PromotionSettings)

    @event_consumer("promotion")
    def handle_event(self, body):
        facts.apply_event(self.db.session, Event.from_dict(body))
        self.db.commit()

    @rpc(expected_exceptions=EtalaseError)
    def health(self):
        self.db.session.execute(text("SELECT 1"))
        return {"status": "ok", "products": facts.product_count(self.db.session)}
