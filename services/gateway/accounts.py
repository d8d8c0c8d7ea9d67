"""Accounts and sessions as plain functions on a SQLAlchemy session.

These functions never commit: the caller (an entry point or the CLI) owns the transaction.

argon2 is deliberately slow and CPU-bound. nameko runs every worker as a green thread on
one OS thread, so hashing on the hub would freeze every request and the AMQP heartbeats;
``eventlet.tpool`` runs it on a real thread instead.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable, NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from eventlet import tpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.gateway import throttle
from services.gateway.models import Account, SessionToken
from shared.errors import Conflict, Unauthorized, ValidationFailed
from shared.events import utcnow

PUBLIC_ROLES = ("owner", "promoter")
ALL_ROLES = ("owner", "promoter", "admin")
MIN_PASSWORD = 8
MAX_PASSWORD = 256  # an upper bound so a huge password cannot be used to burn CPU
DEFAULT_TTL_DAYS = 30

SIGN_IN_FAILED = "Email atau kata sandi salah."

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return tpool.execute(_hasher.verify, password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy_password_hash() -> str:
    # A real hash of a random secret, so an unknown email costs as much as a wrong password.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _as_utc(value: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; every stored time is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def validate_account(email, password, name, role, allow_admin: bool = False) -> dict:
    """Check every field and return the cleaned values, or raise one ``ValidationFailed``
    naming every bad field."""
    errors: dict[str, str] = {}
    clean: dict = {}

    if not isinstance(email, str) or not email.strip():
        errors["email"] = "Email wajib diisi."
    else:
        try:
            checked = validate_email(email.strip(), check_deliverability=False)
            clean["email"] = normalize_email(checked.normalized)
        except EmailNotValidError:
            errors["email"] = "Format email tidak valid."

    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        errors["password"] = f"Kata sandi minimal {MIN_PASSWORD} karakter."
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"Kata sandi maksimal {MAX_PASSWORD} karakter."
    else:
        clean["password"] = password

    name = name.strip() if isinstance(name, str) else ""
    if not 2 <= len(name) <= 100:
        errors["name"] = "Nama harus 2 sampai 100 karakter."
    else:
        clean["name"] = name

    allowed = ALL_ROLES if allow_admin else PUBLIC_ROLES
    if role not in allowed:
        errors["role"] = "Peran harus salah satu dari: " + ", ".join(allowed) + "."
    else:
        clean["role"] = role

    if errors:
        raise ValidationFailed("Data akun tidak valid.", errors)
    return clean


def account_dict(account: Account) -> dict:
    return {"id": account.id, "email": account.email, "name": account.name, "role": account.role}


def create_account(session: Session, email, password, name, role, allow_admin: bool = False) -> dict:
    clean = validate_account(email, password, name, role, allow_admin=allow_admin)
    # Hash before touching the database, so no connection is held during the slow part.
    password_hash = hash_password(clean["password"])
    taken = session.scalar(select(Account.id).where(Account.email == clean["email"]))
    if taken is not None:
        raise Conflict("Email sudah terdaftar.", {"email": "Email sudah terdaftar."})

    account = Account(
        id=str(uuid.uuid4()),
        email=clean["email"],
        name=clean["name"],
        role=clean["role"],
        password_hash=password_hash,
        created_at=utcnow(),
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent registration of the same email won the race; the caller rolls back.
        raise Conflict("Email sudah terdaftar.", {"email": "Email sudah terdaftar."})
    return account_dict(account)


def sign_in(
    session: Session,
    email,
    password,
    ttl_days: int = DEFAULT_TTL_DAYS,
    release: Callable[[], None] | None = None,
    ip: str | None = None,
) -> str:
    """Return a new opaque session token. Unknown email and wrong password fail alike.

    ``release`` (e.g. the unit of work's commit) is called after the account is read and
    before the slow password check, so the caller can end the read transaction and give
    the connection back meanwhile; it is called again after a failure is recorded, so
    the failure counts even though the caller rolls back on the error.

    Throttled (``throttle.py``): too many recent failures for the email or for ``ip`` (the
    client address, when the caller knows it) raise ``TooManyRequests`` (429) before the
    password is even checked.
    """
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD:
        raise Unauthorized(SIGN_IN_FAILED)
    throttle.check(session, normalize_email(email), ip)
    account = session.scalar(select(Account).where(Account.email == normalize_email(email)))
    if release is not None:
        release()
    if account is None:
        verify_password(_dummy_password_hash(), password)  # same cost as a real check
        _failed(session, email, ip, release)
    if not verify_password(account.password_hash, password):
        _failed(session, email, ip, release)
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    throttle.clear(session, normalize_email(email))

    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SessionToken(
            token_hash=hash_token(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + timedelta(days=ttl_days),
        )
    )
    session.flush()
    return token


def _failed(session: Session, email: str, ip, release) -> NoReturn:
    throttle.record_failure(session, normalize_email(email), ip)
    if release is not None:
        release()  # durable even though the caller rolls back after the error
    raise Unauthorized(SIGN_IN_FAILED)


def resolve_token(session: Session, token) -> dict | None:
    """The actor a token belongs to, or None when it is unknown, expired or revoked."""
    if not isinstance(token, str) or not token:
        return None
    row = session.execute(
        select(SessionToken, Account)
        .join(Account, Account.id == SessionToken.account_id)
        .where(SessionToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    stored, account = row
    if stored.revoked_at is not None or _as_utc(stored.expires_at) <= utcnow():
        return None
    return account_dict(account)


def sign_out(session: Session, token) -> None:
    """Revoke the token; signing out twice (or with an unknown token) is harmless."""
    if not isinstance(token, str) or not token:
        return
    stored = session.get(SessionToken, hash_token(token))
    if stored is not None and stored.revoked_at is None:
        stored.revoked_at = utcnow()
        session.flush()
