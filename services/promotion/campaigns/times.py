"""Campaign times: stored in UTC, shown and counted in WITA days.

SQLite hands stored times back naive; ``aware`` makes every time UTC-aware before it is
compared or shown.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from shared.formatting import WITA

UTC = timezone.utc


def aware(moment: datetime | None) -> datetime | None:
    """UTC-aware (SQLite returns stored UTC times naive)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def wita_day(moment: datetime) -> date:
    return aware(moment).astimezone(WITA).date()
