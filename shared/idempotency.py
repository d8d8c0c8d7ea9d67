"""Idempotency keys where an aggregate is made: a retried create makes nothing new.

The gateway keeps the first response of each ``Idempotency-Key`` and replays it
(``services/gateway/idempotency.py``). It has nothing to replay when the service committed
and its answer was lost (the service died before replying, the deadline passed: 503/504).
So the key travels with the create RPC as ``idempotency={"key", "fingerprint"}`` and the
service that makes the aggregate records it in the same transaction as the aggregate, under
a unique (scope, key) constraint; a repeat is answered with the aggregate already made.

- scope: who may reuse the key, the caller's account id (``scope_of``);
- fingerprint: the gateway's hash of the request (address and body); a repeat with another
  fingerprint is ``IdempotencyKeyReused`` (422);
- a record older than ``KEY_TTL`` counts as absent (the key is free again) and is pruned
  by a timer in small batches (``prune_expired``).

Contract and decisions: docs/contracts/idempotency.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol, TypeVar

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.errors import IDEMPOTENCY_KEY_HEADER, BadRequest, IdempotencyKeyReused
from shared.events import utcnow
from shared.messages import t

KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
FINGERPRINT_LENGTH = 64  # sha256, hex
MAX_SCOPE_LENGTH = 80
PRUNE_BATCH = 200  # rows deleted per transaction: short write locks on SQLite
PRUNE_BATCHES_PER_RUN = 50  # at most 10,000 rows per timer run; the next run goes on

T = TypeVar("T")


class IdempotencyKeyMixin:
    """Columns of a service's ``idempotency_keys`` table; mix into the service's declarative Base."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(MAX_SCOPE_LENGTH))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(FINGERPRINT_LENGTH))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class UnitOfWorkLike(Protocol):
    @property
    def session(self) -> Session: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


@dataclass(frozen=True)
class KeyedRequest:
    """What the gateway sends along with a create: the client's key and the request's hash."""

    key: str
    fingerprint: str


def keyed_request(value: Any) -> KeyedRequest | None:
    """The ``idempotency`` argument of a create RPC: None, or ``{"key", "fingerprint"}``."""
    if value is None:
        return None
    key = value.get("key") if isinstance(value, dict) else None
    fingerprint = value.get("fingerprint") if isinstance(value, dict) else None
    if (not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH
            or not isinstance(fingerprint, str) or len(fingerprint) != FINGERPRINT_LENGTH):
        raise BadRequest(t("Idempotency-Key tidak valid."), {IDEMPOTENCY_KEY_HEADER: t("Idempotency-Key tidak valid.")})
    return KeyedRequest(key, fingerprint)


def scope_of(actor: Any) -> str:
    """The scope of a signed-in caller's keys: its account id."""
    account_id = actor.get("id") if isinstance(actor, dict) else None
    return f"account:{account_id}"[:MAX_SCOPE_LENGTH]


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def is_expired(created_at: datetime, now: datetime) -> bool:
    return as_utc(created_at) <= now - KEY_TTL


class KeyGuard:
    """One create under one key: ``previous()`` before making anything, ``remember(id)`` in
    the transaction that makes the aggregate, ``twin_after(exc)`` when that commit lost a race."""

    def __init__(self, session: Session, model: type[IdempotencyKeyMixin], scope: str, request: KeyedRequest,
                 now: datetime | None = None):
        self.session = session
        self.model = model
        self.scope = scope
        self.request = request
        self.now = now or utcnow()
        self._expired: IdempotencyKeyMixin | None = None

    def _row(self) -> IdempotencyKeyMixin | None:
        model = self.model
        return self.session.scalar(select(model).where(model.scope == self.scope, model.key == self.request.key))

    def previous(self) -> str | None:
        """The id of the aggregate this key already made, or None (never used, or expired).
        The same key with another fingerprint is ``IdempotencyKeyReused``."""
        row = self._row()
        if row is None:
            return None
        if is_expired(row.created_at, self.now):
            self._expired = row  # reused by remember(): the key is free again
            return None
        if row.fingerprint != self.request.fingerprint:
            raise IdempotencyKeyReused()
        return row.aggregate_id

    def remember(self, aggregate_id: str) -> None:
        """Stage the key in the session, to commit with the aggregate it made."""
        row = self._expired
        if row is None:
            row = self.model()
            row.scope, row.key = self.scope, self.request.key
            self.session.add(row)
        row.fingerprint, row.aggregate_id, row.created_at = self.request.fingerprint, aggregate_id, self.now

    def twin_after(self, exc: IntegrityError) -> str:
        """After a commit failed (and was rolled back): the aggregate a concurrent request
        with the same key made meanwhile, or ``exc`` again when the failure was another one."""
        self._expired = None
        previous = self.previous()
        if previous is None:
            raise exc
        return previous


def key_guard(session: Session, model: type[IdempotencyKeyMixin], scope: str, idempotency: Any) -> KeyGuard | None:
    """A ``KeyGuard`` for a create that commits itself (photos: files and rows), or None
    without a key."""
    request = keyed_request(idempotency)
    return None if request is None else KeyGuard(session, model, scope, request)


def create_once(uow: UnitOfWorkLike, model: type[IdempotencyKeyMixin], scope: str, idempotency: Any,
                create: Callable[[], T], existing: Callable[[str], T],
                aggregate_id: Callable[[T], str] = lambda result: result["id"]) -> T:  # type: ignore[index]
    """Run ``create()`` (which stages the aggregate without committing) and commit, unless
    the key of ``idempotency`` already made one: then ``existing(its id)`` answers. Without a
    key, it is ``create()`` and a commit, as before."""
    request = keyed_request(idempotency)
    if request is None:
        result = create()
        uow.commit()
        return result
    guard = KeyGuard(uow.session, model, scope, request)
    previous = guard.previous()
    if previous is not None:
        return _answered(uow, existing, previous)
    result = create()
    guard.remember(aggregate_id(result))
    try:
        uow.commit()
    except IntegrityError as exc:
        uow.rollback()
        return _answered(uow, existing, guard.twin_after(exc))
    return result


def _answered(uow: UnitOfWorkLike, existing: Callable[[str], T], aggregate_id: str) -> T:
    """The answer to a repeat, read in a transaction that ends here (nothing was written)."""
    result = existing(aggregate_id)
    uow.rollback()
    return result


def prune_expired(uow: UnitOfWorkLike, model: Any, now: datetime | None = None,
                  batch: int = PRUNE_BATCH, max_batches: int = PRUNE_BATCHES_PER_RUN) -> int:
    """Delete records older than ``KEY_TTL``, ``batch`` rows per transaction; how many went.
    ``model``: a mapped class with an integer ``id`` and a ``created_at`` (the services'
    ``IdempotencyKeyMixin`` tables, the gateway's kept responses)."""
    cutoff = (now or utcnow()) - KEY_TTL
    removed = 0
    for _ in range(max_batches):
        ids = list(uow.session.scalars(
            select(model.id).where(model.created_at <= cutoff).order_by(model.id).limit(batch)
        ))
        if ids:
            uow.session.execute(delete(model).where(model.id.in_(ids)))
        uow.commit()
        removed += len(ids)
        if len(ids) < batch:
            break
    return removed
