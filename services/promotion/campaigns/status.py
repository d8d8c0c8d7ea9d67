"""The campaign status machine::

    draft --schedule--> scheduled --starts_at--> active --ends_at--> ended
      \\______________________\\_____________________\\--cancel--> cancelled

``advance(session, now)`` (the service's timer, every ``campaign_tick`` seconds and once at
start-up) moves campaigns whose start or end has passed, also one that passed while the
service was down; ``next_due`` tells the timer when the next start or end falls, so one due
before the next tick is moved on the moment rather than up to a tick late. Transitions are
guarded updates (``UPDATE ... WHERE status = <from>``, and for a start or an end also
``WHERE starts_at/ends_at <= now``), so two timers (two replicas during a change of leader),
or a timer and an RPC on another replica, never both apply one, and a timer never applies
one that an edit moved meanwhile: on PostgreSQL the update waits for the row lock of a
concurrent edit or cancel (which lock the campaign first) and then checks its conditions on
the row as that one committed it. Starting materialises the members and reprices them;
ending or cancelling an active campaign reprices its members back
(docs/decisions/singletons.md).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from services.promotion.campaigns.access import find_campaign
from services.promotion.campaigns.fanout import reprice
from services.promotion.campaigns.targeting import materialise, member_ids
from services.promotion.campaigns.times import aware
from services.promotion.models import Campaign

STATUSES = ("draft", "scheduled", "active", "ended", "cancelled")
OPEN_STATUSES = ("draft", "scheduled", "active")


def transition(session: Session, campaign_id: str, from_statuses: tuple[str, ...], to: str, now: datetime,
               *conditions: ColumnElement[bool], **values) -> bool:
    """Guarded: applies only if the campaign is still in one of ``from_statuses`` (and meets
    ``conditions``), as the row stands when the update gets its lock."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(from_statuses), *conditions)
        .values(status=to, version=Campaign.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def activate(session: Session, campaign_id: str, now: datetime) -> bool:
    """Start a scheduled campaign whose start has come: materialise its members and reprice
    them. False when it is no longer scheduled or its start was moved past ``now``."""
    if not transition(session, campaign_id, ("scheduled",), "active", now, Campaign.starts_at <= now,
                      activated_at=now):
        return False
    campaign = find_campaign(session, campaign_id)
    joined = materialise(session, campaign, now)
    reprice(session, joined, now)
    return True


def close(session: Session, campaign_id: str, now: datetime, to: str) -> bool:
    """End (from active, once its end has come) or cancel (from draft, scheduled or
    active); members revert."""
    campaign = find_campaign(session, campaign_id, lock=True)
    if campaign is None:
        return False
    was_active = campaign.status == "active"
    allowed = ("active",) if to == "ended" else OPEN_STATUSES
    due = (Campaign.ends_at <= now,) if to == "ended" else ()  # an end moved later is not due
    if not transition(session, campaign_id, allowed, to, now, *due, closed_at=now):
        return False
    session.refresh(campaign)
    if was_active:
        reprice(session, member_ids(session, campaign_id), now)
    return True


def advance(session: Session, now: datetime) -> dict:
    """Start the scheduled campaigns whose start has passed and end the active ones whose end
    has passed (also those that passed while the service was down). Idempotent."""
    now = aware(now)
    started = list(session.scalars(select(Campaign.id).where(
        Campaign.status == "scheduled", Campaign.starts_at <= now).order_by(Campaign.starts_at, Campaign.id)))
    started = [campaign_id for campaign_id in started if activate(session, campaign_id, now)]
    ending = list(session.scalars(select(Campaign.id).where(
        Campaign.status == "active", Campaign.ends_at <= now).order_by(Campaign.ends_at, Campaign.id)))
    ended = [campaign_id for campaign_id in ending if close(session, campaign_id, now, "ended")]
    return {"started": started, "ended": ended}


def next_due(session: Session) -> datetime | None:
    """The earliest start of a scheduled campaign or end of an active one (None if none)."""
    starts = session.scalar(select(func.min(Campaign.starts_at)).where(Campaign.status == "scheduled"))
    ends = session.scalar(select(func.min(Campaign.ends_at)).where(Campaign.status == "active"))
    moments = [aware(moment) for moment in (starts, ends) if moment is not None]
    return min(moments, default=None)
