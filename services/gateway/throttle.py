"""Sign-in throttling: plain functions on a SQLAlchemy session (the caller commits).

After ``MAX_PER_EMAIL`` failed sign-ins for one email, or ``MAX_PER_IP`` from one client
address, within ``WINDOW``, further attempts are refused with ``TooManyRequests`` (429)
*before* the password is checked, until the oldest counted failure leaves the window
(``retry_after`` seconds). A successful sign-in clears the email's failures.

Used by ``accounts.sign_in`` (so both the JSON API ``POST /api/v1/sessions`` and the web
form ``/masuk`` are throttled). Failures are stored in the gateway database
(``sign_in_failures``) so every gateway process sees the same counts; keys are sha256
digests, never the typed email in clear text.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.gateway.models import SignInFailure
from shared.errors import EtalaseError
from shared.events import utcnow
from shared.messages import t

WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
MAX_PER_IP = 20


class TooManyRequests(EtalaseError):
    """429; ``retry_after`` (seconds) is also in ``headers`` as ``Retry-After``."""

    code = "too_many_requests"
    status = 429
    default_message = t("Terlalu banyak percobaan masuk yang gagal. Silakan coba lagi nanti.")

    def __init__(self, message: str = "", fields: dict | None = None, retry_after: int = 60):
        super().__init__(message, {"retry_after": str(retry_after), **(fields or {})})
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


def email_key(email: str) -> str:
    return hashlib.sha256(("email:" + email.strip().lower()).encode("utf-8")).hexdigest()


def ip_key(ip: str) -> str:
    return hashlib.sha256(("ip:" + ip.strip()).encode("utf-8")).hexdigest()


def _keys(email, ip) -> list[tuple[str, int]]:
    keys = []
    if isinstance(email, str) and email.strip():
        keys.append((email_key(email), MAX_PER_EMAIL))
    if isinstance(ip, str) and ip.strip():
        keys.append((ip_key(ip), MAX_PER_IP))
    return keys


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def retry_after(session: Session, email, ip, now: datetime | None = None) -> int | None:
    """Seconds until a sign-in may be tried again, or None when it may be tried now."""
    now = now or utcnow()
    since = now - WINDOW
    wait = 0.0
    for key, limit in _keys(email, ip):
        count, oldest = session.execute(
            select(func.count(), func.min(SignInFailure.failed_at))
            .where(SignInFailure.key == key, SignInFailure.failed_at > since)
        ).one()
        if count >= limit and oldest is not None:
            wait = max(wait, (_as_utc(oldest) + WINDOW - now).total_seconds())
    return max(1, math.ceil(wait)) if wait > 0 else None


def check(session: Session, email, ip, now: datetime | None = None) -> None:
    """Raise ``TooManyRequests`` when the email or the address has too many recent failures."""
    wait = retry_after(session, email, ip, now)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        raise TooManyRequests(
            t("Terlalu banyak percobaan masuk yang gagal. Silakan coba lagi dalam %(minutes)s menit.", minutes=minutes),
            retry_after=wait,
        )


def record_failure(session: Session, email, ip, now: datetime | None = None) -> None:
    """Count one failed sign-in for the email and the address; forget their old failures."""
    now = now or utcnow()
    for key, _limit in _keys(email, ip):
        session.execute(delete(SignInFailure).where(SignInFailure.key == key,
                                                    SignInFailure.failed_at <= now - WINDOW))
        session.add(SignInFailure(key=key, failed_at=now))
    session.flush()


def clear(session: Session, email) -> None:
    """A successful sign-in forgets the email's failures (the address keeps its count)."""
    if isinstance(email, str) and email.strip():
        session.execute(delete(SignInFailure).where(SignInFailure.key == email_key(email)))
