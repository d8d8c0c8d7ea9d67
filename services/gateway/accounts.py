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
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.gateway import passwords, throttle
from services.gateway.models import Account, SessionToken
from shared.api_fields import ACCOUNT, ACCOUNT_APPROVAL
from shared.errors import Conflict, NotFound, PromoterNotApproved, Unauthorized, ValidationFailed
from shared.events import utcnow
from shared.messages import t
from shared.text import clean_field, is_clean

# Limits and enums from the published request description (shared/api_fields.py).
PUBLIC_ROLES = ACCOUNT["role"].enum
ALL_ROLES = ("owner", "promoter", "admin")
MIN_PASSWORD = passwords.MIN_LENGTH
MAX_PASSWORD = passwords.MAX_LENGTH  # an upper bound so a huge password cannot be used to burn CPU
DEFAULT_TTL_DAYS = 30

SIGN_IN_FAILED = t("Email atau kata sandi salah.")
EMAIL_TAKEN = t("Email sudah terdaftar.")

# Account status. Owners and admins are "active"; promoters are approved by an admin
# before a campaign of theirs can be scheduled.
ACTIVE, PENDING, APPROVED, REJECTED, SUSPENDED = "active", "pending", "approved", "rejected", "suspended"
STATUSES = (ACTIVE, PENDING, APPROVED, REJECTED, SUSPENDED)
PROMOTER_STATUSES = (PENDING, APPROVED, REJECTED, SUSPENDED)
STATUS_LABELS = {ACTIVE: t("aktif"), PENDING: t("menunggu persetujuan"), APPROVED: t("disetujui"),
                 REJECTED: t("ditolak"), SUSPENDED: t("dibekukan")}
# decision -> (the statuses it applies to, the status it leads to)
APPROVAL_TRANSITIONS = {
    "approved": ((PENDING, REJECTED), APPROVED),  # rejected -> approved: a second look
    "rejected": ((PENDING,), REJECTED),
    "suspended": ((APPROVED,), SUSPENDED),
    "reinstated": ((SUSPENDED,), APPROVED),
}
REASON_REQUIRED = ("rejected", "suspended")
MAX_REASON = ACCOUNT_APPROVAL["reason"].max_length
NAME_MIN, NAME_MAX = ACCOUNT["name"].min_length, ACCOUNT["name"].max_length

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
    email, name = clean_field(email, "email", errors), clean_field(name, "name", errors)

    if "email" in errors:
        pass  # a control character, already named
    elif not isinstance(email, str) or not email.strip():
        errors["email"] = t("Email wajib diisi.")
    else:
        try:
            checked = validate_email(email.strip(), check_deliverability=False)
            clean["email"] = normalize_email(checked.normalized)
        except EmailNotValidError:
            errors["email"] = t("Format email tidak valid.")

    name = name.strip() if isinstance(name, str) else ""
    if "name" not in errors and not NAME_MIN <= len(name) <= NAME_MAX:
        errors["name"] = t("Nama harus 2 sampai 100 karakter.")
    elif "name" not in errors:
        clean["name"] = name

    # NIST SP 800-63B: length, the list of common passwords, nothing trivial or personal.
    weakness = passwords.problem(password, clean.get("email"), clean.get("name")) if isinstance(password, str) \
        else t("Kata sandi minimal %(min)s karakter.", min=MIN_PASSWORD)
    if weakness is not None:
        errors["password"] = weakness
    else:
        clean["password"] = passwords.normalize(password)

    allowed = ALL_ROLES if allow_admin else PUBLIC_ROLES
    if role not in allowed:
        errors["role"] = t("Peran harus salah satu dari: %(roles)s.", roles=", ".join(allowed))
    else:
        clean["role"] = role

    if errors:
        raise ValidationFailed(t("Data akun tidak valid."), errors)
    return clean


def account_dict(account: Account) -> dict:
    return {"id": account.id, "email": account.email, "name": account.name, "role": account.role,
            "status": account.status}


def initial_status(role: str) -> str:
    return PENDING if role == "promoter" else ACTIVE


def create_account(session: Session, email, password, name, role, allow_admin: bool = False,
                   approved: bool = False) -> dict:
    """A new account; a promoter starts "pending" unless ``approved`` (the demo seed's
    promoters are approved)."""
    clean = validate_account(email, password, name, role, allow_admin=allow_admin)
    # Hash before touching the database, so no connection is held during the slow part.
    password_hash = hash_password(clean["password"])
    taken = session.scalar(select(Account.id).where(Account.email == clean["email"]))
    if taken is not None:
        raise Conflict(EMAIL_TAKEN, {"email": EMAIL_TAKEN})

    account = Account(
        id=str(uuid.uuid4()),
        email=clean["email"],
        name=clean["name"],
        role=clean["role"],
        password_hash=password_hash,
        created_at=utcnow(),
        status=APPROVED if approved and clean["role"] == "promoter" else initial_status(clean["role"]),
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent registration of the same email won the race; the caller rolls back.
        raise Conflict(EMAIL_TAKEN, {"email": EMAIL_TAKEN})
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
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD \
            or not is_clean(email) or not _encodable(password):
        raise Unauthorized(SIGN_IN_FAILED)  # a NUL in the email would fail the query on PostgreSQL
    throttle.check(session, normalize_email(email), ip)
    account = session.scalar(select(Account).where(Account.email == normalize_email(email)))
    if release is not None:
        release()
    if account is None:
        verify_password(_dummy_password_hash(), password)  # same cost as a real check
        _failed(session, email, ip, release)
    normalized = passwords.normalize(password)
    if verify_password(account.password_hash, normalized):
        if _hasher.check_needs_rehash(account.password_hash):
            account.password_hash = hash_password(normalized)
    elif normalized != password and verify_password(account.password_hash, password):
        # Set before passwords were NFKC-normalised: hashed again in the form used from now on.
        account.password_hash = hash_password(normalized)
    else:
        _failed(session, email, ip, release)
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


def _encodable(password: str) -> bool:
    # A lone surrogate (JSON "\ud800") cannot be hashed: it can match no stored password.
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    return {**account_dict(account), "status_reason": account.status_reason}


def sign_out(session: Session, token) -> None:
    """Revoke the token; signing out twice (or with an unknown token) is harmless."""
    if not isinstance(token, str) or not token:
        return
    stored = session.get(SessionToken, hash_token(token))
    if stored is not None and stored.revoked_at is None:
        stored.revoked_at = utcnow()
        session.flush()


# --- promoter approval ------------------------------------------------------------------------


NOT_APPROVED_MESSAGES = {
    PENDING: t("Akun promotor Anda menunggu persetujuan admin; kampanye dapat disimpan sebagai draf dan "
               "dijadwalkan setelah disetujui."),
    REJECTED: t("Pendaftaran promotor Anda ditolak admin; kampanye tidak dapat dijadwalkan."),
    SUSPENDED: t("Akun promotor Anda dibekukan admin; kampanye tidak dapat dijadwalkan."),
}


def require_approved(actor: dict) -> None:
    """A promoter may schedule (or create as scheduled) a campaign only once approved; other
    roles are not concerned. ``actor`` is what ``resolve_token`` returned (it has ``status``)."""
    if actor.get("role") != "promoter" or actor.get("status") == APPROVED:
        return
    status = actor.get("status") or PENDING
    fields = {"status": status}
    if actor.get("status_reason"):
        fields["reason"] = actor["status_reason"]
    raise PromoterNotApproved(NOT_APPROVED_MESSAGES.get(status, NOT_APPROVED_MESSAGES[PENDING]), fields)


def admin_account_dict(account: Account) -> dict:
    """An account as the admin reviews it: who, the status and the last decision."""
    return {
        **account_dict(account),
        "status_reason": account.status_reason,
        "status_decided_by": account.status_decided_by,
        "status_decided_at": _iso(account.status_decided_at),
        "created_at": _iso(account.created_at),
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return _as_utc(value).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def validate_decision(decision, reason) -> tuple[str, str | None]:
    """The decision and its trimmed reason (None when empty), or one ``ValidationFailed``."""
    errors: dict[str, str] = {}
    if not isinstance(decision, str) or decision not in APPROVAL_TRANSITIONS:  # {} is unhashable: a 500 once
        errors["decision"] = t("Harus salah satu dari: %(choices)s.", choices=", ".join(APPROVAL_TRANSITIONS))
    if reason is not None and not isinstance(reason, str):
        errors["reason"] = t("Alasan harus berupa teks.")
        reason = None
    reason = clean_field(reason, "reason", errors, multiline=True)
    reason = (reason or "").strip() or None
    if "reason" in errors:
        pass  # not a text, or a control character: already named
    elif reason is not None and len(reason) > MAX_REASON:
        errors["reason"] = t("Alasan maksimal %(max)s karakter.", max=MAX_REASON)
    elif reason is None and decision in REASON_REQUIRED:
        errors["reason"] = t("Alasan wajib diisi untuk menolak atau membekukan promotor.")
    if errors:
        raise ValidationFailed(t("Keputusan tidak valid."), errors)
    return decision, reason


def _promoter(session: Session, account_id, lock: bool = False) -> Account:
    query = select(Account).where(Account.id == account_id, Account.role == "promoter")
    account = session.scalar(query.with_for_update() if lock else query) if isinstance(account_id, str) else None
    if account is None:
        raise NotFound(t("Akun promotor tidak ditemukan."), {"account_id": t("Tidak dikenal.")})
    return account


def check_transition(account: Account, decision: str) -> None:
    """409 naming the status when ``decision`` does not apply to the account's status."""
    allowed_from, _ = APPROVAL_TRANSITIONS[decision]
    if account.status not in allowed_from:
        label = STATUS_LABELS.get(account.status, account.status)
        raise Conflict(
            t("Keputusan '%(decision)s' tidak berlaku untuk promotor berstatus '%(status)s' (%(label)s).",
              decision=decision, status=account.status, label=label),
            {"decision": t("tidak berlaku untuk status '%(status)s'", status=account.status), "status": account.status},
        )


def check_transition_of(session: Session, account_id, decision: str) -> None:
    """NotFound or Conflict now, before a caller does slow work for the decision."""
    check_transition(_promoter(session, account_id), decision)


def get_promoter(session: Session, account_id) -> dict:
    return admin_account_dict(_promoter(session, account_id))


def decide_approval(session: Session, admin_id: str, account_id, decision, reason=None) -> dict:
    """An admin approves, rejects, suspends or reinstates a promoter (APPROVAL_TRANSITIONS);
    the reason, the admin and the time are kept. Does not commit."""
    decision, reason = validate_decision(decision, reason)
    account = _promoter(session, account_id, lock=True)
    check_transition(account, decision)
    account.status = APPROVAL_TRANSITIONS[decision][1]
    account.status_reason = reason
    account.status_decided_by = admin_id
    account.status_decided_at = utcnow()
    session.flush()
    return admin_account_dict(account)


def list_accounts(session: Session, role: str | None = None, status: str | None = None, page: int = 1,
                  per_page: int = 20) -> dict:
    """Accounts of ``role`` and ``status`` (each optional): those waiting for a decision first,
    then oldest first."""
    conditions = []
    if role is not None:
        conditions.append(Account.role == role)
    if status is not None:
        conditions.append(Account.status == status)
    total = session.scalar(select(func.count()).select_from(Account).where(*conditions)) or 0
    waiting_first = case((Account.status == PENDING, 0), else_=1)
    rows = session.scalars(select(Account).where(*conditions)
                           .order_by(waiting_first, Account.created_at, Account.id)
                           .offset((page - 1) * per_page).limit(per_page))
    return {"total": total, "page": page, "per_page": per_page, "items": [admin_account_dict(a) for a in rows]}
