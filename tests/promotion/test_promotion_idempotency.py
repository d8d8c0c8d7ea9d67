"""A campaign created under an idempotency key (shared/idempotency.py), on SQLite and
PostgreSQL: the promotion service answers a repeat with the campaign it made."""
import hashlib

import pytest
from sqlalchemy import func, select

from services.promotion.campaigns import operations, queries
from services.promotion.models import Campaign, IdempotencyKey
from shared.db import UnitOfWork
from shared.errors import IdempotencyKeyReused
from shared.idempotency import create_once, scope_of

from campaign_helpers import NOW, OTHER_PROMOTER, PROMOTER, campaign_data


def keyed(body="a"):
    return {"key": "kunci-kampanye", "fingerprint": hashlib.sha256(body.encode()).hexdigest()}


def create(uow, data, idempotency, actor=PROMOTER):
    return create_once(uow, IdempotencyKey, scope_of(actor), idempotency,
                       create=lambda: operations.create_campaign(uow.session, actor, data, NOW),
                       existing=lambda campaign_id: queries.get_campaign(uow.session, actor, campaign_id, NOW))


def campaigns(promotion_db) -> int:
    with promotion_db() as session:
        return session.scalar(select(func.count()).select_from(Campaign))


def test_a_repeated_create_campaign_makes_one_campaign(promotion_db):
    uow = UnitOfWork(promotion_db, [])
    data = campaign_data(draft=True)
    first = create(uow, data, keyed())
    repeat = create(uow, data, keyed())
    assert repeat["id"] == first["id"] and repeat["status"] == "draft"
    assert campaigns(promotion_db) == 1

    with pytest.raises(IdempotencyKeyReused):
        create(uow, campaign_data(name="Festival Lain", draft=True), keyed("b"))
    uow.rollback()
    # Another promoter's same key is its own.
    assert create(uow, data, keyed(), actor=OTHER_PROMOTER)["id"] != first["id"]
    assert campaigns(promotion_db) == 2
    uow.close()
