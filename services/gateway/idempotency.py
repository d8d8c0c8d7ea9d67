"""``Idempotency-Key`` on the POSTs that create something: a retry never makes a second one.

A client sends ``Idempotency-Key: <1-255 printable ASCII>`` (a UUID is a good one). Within
24 hours, per scope (the signed-in account; for ``POST /api/v1/accounts``, the e-mail being
registered):

- the same key with the same request (address and body) answers the first response again
  (status, body, ``Location``/``ETag``) with ``Idempotent-Replayed: true``;
- the same key with another request is 422 ``idempotency_key_reused``;
- while the first is still being answered, 409 ``idempotency_key_in_use`` with ``Retry-After``;
- only a 2xx is kept; a 4xx or 5xx lets the key go, so the client may retry it (after a 5xx
  the service may have made the aggregate anyway: the key travels with the RPC and the
  service answers a repeat with what it made, shared/idempotency.py).

The record is taken (``in_progress``) and committed before any RPC, and finished after it.
A gateway that dies in between leaves a record that stops holding the key after
``idempotency_lock_seconds``. Records older than 24 hours are pruned by a timer.

Contract and decisions: docs/contracts/idempotency.md.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any, Callable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from services.gateway.models import IdempotencyRecord
from services.gateway.web import JSON_HEADERS
from shared.errors import IDEMPOTENCY_KEY_HEADER, Conflict, IdempotencyKeyReused, ValidationFailed
from shared.events import utcnow
from shared.idempotency import MAX_KEY_LENGTH, MAX_SCOPE_LENGTH, as_utc, is_expired, prune_expired
from shared.messages import t

log = logging.getLogger(__name__)

REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag")  # what a replay repeats besides the JSON headers
IN_PROGRESS, DONE = "in_progress", "done"
RETRY_AFTER_SECONDS = 1

Response = tuple[int, dict, str]


class IdempotencyKeyInUse(Conflict):
    """The first request with this key is still being answered."""

    code = "idempotency_key_in_use"
    status = 409
    default_message = t("Permintaan dengan Idempotency-Key ini masih diproses. Coba lagi sebentar lagi.")

    def __init__(self) -> None:
        super().__init__(self.default_message, {IDEMPOTENCY_KEY_HEADER: self.default_message})
        self.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}


# --- the request's key, scope and fingerprint -----------------------------------------------


def request_key(request) -> str | None:
    """The ``Idempotency-Key`` header: None when absent, else 1-255 printable ASCII (422)."""
    value = request.headers.get(IDEMPOTENCY_KEY_HEADER)
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in value):
        message = t("Harus 1 sampai %(max)s karakter ASCII yang dapat dicetak (misalnya sebuah UUID).",
                    max=MAX_KEY_LENGTH)
        raise ValidationFailed(t("Header Idempotency-Key tidak valid."), {IDEMPOTENCY_KEY_HEADER: message})
    return value


def account_scope(actor: dict) -> str:
    """A signed-in caller's keys are its own."""
    return f"account:{actor['id']}"[:MAX_SCOPE_LENGTH]


def registration_scope(data: dict) -> str:
    """``POST /api/v1/accounts`` has no account yet: its keys belong to the e-mail being
    registered (hashed, as the sign-in throttle keeps e-mails), so two people who pick the
    same key never meet, and nobody reads another's answer without sending the same body."""
    email = data.get("email")
    normalized = email.strip().lower() if isinstance(email, str) else ""
    return "registration:" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def fingerprint(method: str, path: str, payload: Any) -> str:
    """A hash of what the request asks: its method, its address and its body as parsed (JSON
    in any key order or spacing is the same request; a file counts by its bytes)."""
    canonical = json.dumps({"method": method, "path": path, "body": payload}, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- the record ----------------------------------------------------------------------------


def _replay(record: IdempotencyRecord) -> Response:
    headers = {**JSON_HEADERS, **(record.headers or {}), REPLAYED_HEADER: "true"}
    return int(record.status or 200), headers, record.body or ""


def begin(uow, scope: str, key: str, fingerprint: str, lock_seconds: float) -> Response | None:
    """Take the key for this request (committed), or answer without running it: the first
    response again, 422 for another request, 409 while the first runs."""
    session = uow.session
    now = utcnow()
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope == scope,
                                                            IdempotencyRecord.key == key))
    if record is not None and is_expired(record.created_at, now):
        session.delete(record)  # older than 24 hours: the key is free again
        session.flush()
        record = None
    if record is None:
        session.add(IdempotencyRecord(scope=scope, key=key, fingerprint=fingerprint, state=IN_PROGRESS,
                                      locked_until=now + timedelta(seconds=lock_seconds), created_at=now))
        try:
            uow.commit()
        except IntegrityError:  # a twin with the same key took it a moment ago
            uow.rollback()
            raise IdempotencyKeyInUse() from None
        return None
    uow.commit()  # end the read before answering
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.state == DONE:
        return _replay(record)
    if record.locked_until is not None and as_utc(record.locked_until) > now:
        raise IdempotencyKeyInUse()
    # The gateway that took the key died before finishing: take it over, unless a twin just did.
    taken = session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record.id, IdempotencyRecord.state == IN_PROGRESS,
               IdempotencyRecord.locked_until == record.locked_until)
        .values(locked_until=now + timedelta(seconds=lock_seconds))
    ).rowcount
    uow.commit()
    if taken != 1:
        raise IdempotencyKeyInUse()
    return None


def finish(uow, scope: str, key: str, response: Response) -> None:
    """Keep a 2xx response as the key's answer; let the key go after anything else. Commits,
    with whatever the request itself staged (a new account commits with its answer)."""
    status, headers, body = response
    where = (IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    if 200 <= status < 300:
        kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
        uow.session.execute(update(IdempotencyRecord).where(*where).values(
            state=DONE, status=status, headers=kept, body=body, locked_until=None))
    else:
        uow.session.execute(delete(IdempotencyRecord).where(*where))
    uow.commit()


def release(uow, scope: str, key: str) -> None:
    """After an error: nothing of the request is kept and the key is free for a retry."""
    uow.rollback()
    try:
        uow.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope == scope,
                                                            IdempotencyRecord.key == key))
        uow.commit()
    except Exception:  # noqa: BLE001 - the lock expires by itself; the error the client gets matters more
        log.warning("could not release idempotency key of %s", scope, exc_info=True)
        uow.rollback()


def idempotent(gw, request, scope: str, payload: Any, run: Callable[[dict | None], Response]) -> Response:
    """Run ``run(idempotency)`` under the request's ``Idempotency-Key``, if it has one.
    ``idempotency`` is what the create RPC takes (``{"key", "fingerprint"}``, or None);
    ``payload`` is the request's parsed body, for its fingerprint. Database work ``run``
    stages is committed here, with the response it is kept as."""
    key = request_key(request)
    if key is None:
        response = run(None)
        gw.uow.commit()
        return response
    digest = fingerprint(request.method, request.path, payload)
    replayed = begin(gw.uow, scope, key, digest, gw.settings.idempotency_lock_seconds)
    if replayed is not None:
        return replayed
    try:
        response = run({"key": key, "fingerprint": digest})
    except BaseException:
        release(gw.uow, scope, key)
        raise
    finish(gw.uow, scope, key, response)
    return response


def with_key(idempotency: dict | None) -> dict:
    """The keyword argument a create RPC gets: none without a key (older services take none)."""
    return {} if idempotency is None else {"idempotency": idempotency}


def prune(uow) -> int:
    """Delete records older than 24 hours, in small batches (the gateway's timer)."""
    return prune_expired(uow, IdempotencyRecord)
