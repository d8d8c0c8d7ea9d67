"""The gateway's own store: accounts, their session tokens, failed sign-ins and the
responses kept for idempotency keys."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.events import utcnow


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("email", name="uq_accounts_email"),
        Index("ix_accounts_role_status", "role", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Stored lowercased so that uniqueness and sign-in ignore case.
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))  # owner | promoter | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Owners and admins are "active"; a promoter is "pending" until an admin approves it
    # ("approved"), rejects or later suspends it (accounts.APPROVAL_TRANSITIONS).
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    # The last decision: its reason (required to reject or suspend), the admin and when.
    status_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    status_decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status_decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SessionToken(Base):
    __tablename__ = "session_tokens"

    # sha256 hex of the opaque token: a leaked database does not leak usable tokens.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="CASCADE", name="fk_session_tokens_account_id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInFailure(Base):
    """One failed sign-in, counted per email and per client address (see throttle.py).

    ``key`` is a sha256 of "email:<normalized email>" or "ip:<address>", so typed-in
    emails (and passwords typed into the email field) are not kept in clear text."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_failed_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyRecord(Base):
    """One ``Idempotency-Key`` of one scope (an account, or an e-mail being registered): the
    request's fingerprint, ``in_progress`` until the first response is known, then ``done``
    with that response (status, the headers worth replaying, body) for 24 hours.
    See services/gateway/idempotency.py."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_records_scope_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12))  # in_progress | done
    # Until when an in_progress record holds the key (a gateway that died mid-request lets go).
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
