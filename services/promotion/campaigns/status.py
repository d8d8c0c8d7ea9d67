"""The campaign status machine::

    draft --schedule--> scheduled --starts_at--> active --ends_at--> ended
      \\______________________\\_____________________\\--cancel--> cancelled

``advance(session, now)`` (the service's timer, every ``campaign_tick`` seconds and once at
start-up) moves campaigns whose start or end has passed, also one that passed while the
service was down; ``next_due`` tells the timer when the next start or end falls, so one due
before the next tick is moved on the moment rather than up to a tick late. Transitions are guarded updates (``UPDATE ... WHERE status = <from>``), so
two timers, or a timer and a cancel, never both apply one. Starting materialises the
members and reprices them; ending or cancelling an active campaign reprices its members
back.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.promotion.campaigns.access import find_campaign
from services.promotion.campaigns.fanout import reprice
from services.promotion.campaigns.targeting import materialise, member_ids
from services.promotion.campaigns.times import aware
from services.promotion.models import Campaign

STATUSES = ("draft", "scheduled", "active", "ended", "cancelled")
OPEN_STATUSES = ("draft", "scheduled", "active")


def transition(session: Session, campaign_id: str, from_statuses: tuple[str, ...], to: str, now: datetime,
               **values) -> bool:
    """Guarded: applies only if the campaign is still in one of ``from_statuses``."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(from_statuses))
        .values(status=to, version=Campaign.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def activate(session: Session, campaign_id: str, now: datetime) -> bool:
    """Start a scheduled campaign: materialise its members and reprice them."""
    if not transition(session, campaign_id, ("scheduled",), "active", now, activated_at=now):
        return False
    campaign = find_campaign(session, campaign_id)
    joined = materialise(session, campaign, now)
    reprice(session, joined, now)
    return True


def close(session: Session, campaign_id: str, now: datetime, to: str) -> bool:
    """End (from active) or cancel (from draft, scheduled or active); members revert."""
    campaign = find_campaign(session, campaign_id, lock=True)
    if campaign is None:
        return False
    was_active = campaign.status == "active"
    allowed = ("active",) if to == "ended" else OPEN_STATUSES
    if not transition(session, campaign_id, allowed, to, now, closed_at=now):
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
