"""Accounts and sessions against real databases (SQLite and PostgreSQL)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.gateway import accounts
from services.gateway.admin import create_admin
from services.gateway.models import Account, SessionToken
from shared.errors import Conflict, Unauthorized, ValidationFailed

GOOD = {"email": "Wa.Ode@Example.com", "password": "kain-tenun-123", "name": "Wa Ode Sitti", "role": "owner"}


@pytest.fixture
def session(migrated):
    factory = migrated("gateway")
    with factory() as session:
        yield session


def _register(session, **overrides):
    data = {**GOOD, **overrides}
    result = accounts.create_account(session, data["email"], data["password"], data["name"], data["role"])
    session.commit()
    return result


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_create_account_stores_lowercased_email_and_argon2id_hash(session):
    created = _register(session)
    assert created["email"] == "wa.ode@example.com"
    assert set(created) == {"id", "email", "name", "role", "status"} and created["status"] == "active"
    stored = session.get(Account, created["id"])
    assert stored.password_hash.startswith("$argon2id$")
    assert "kain-tenun-123" not in stored.password_hash


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "bukan-email"),
        ("email", ""),
        ("email", None),
        ("password", "pendek"),
        ("password", "x" * 257),
        ("password", None),
        ("name", "A"),
        ("name", "x" * 101),
        ("name", "   "),
        ("role", "admin"),
        ("role", "pembeli"),
    ],
)
def test_each_invalid_field_is_named_and_nothing_is_written(session, field, value):
    with pytest.raises(ValidationFailed) as info:
        _register(session, **{field: value})
    assert info.value.status == 422
    assert set(info.value.fields) == {field}
    session.rollback()
    assert _count(session, Account) == 0


def test_all_invalid_fields_are_reported_together(session):
    with pytest.raises(ValidationFailed) as info:
        accounts.create_account(session, "x", "1", "", "boss")
    assert set(info.value.fields) == {"email", "password", "name", "role"}


def test_duplicate_email_is_a_conflict_naming_email_whatever_the_case(session):
    _register(session)
    with pytest.raises(Conflict) as info:
        _register(session, email="WA.ODE@example.COM")
    assert info.value.status == 409
    assert "email" in info.value.fields
    session.rollback()
    assert _count(session, Account) == 1


def test_admin_only_through_the_admin_helper(session):
    admin = create_admin(session, "kurator@example.com", "Kurator Dinas", "sangat-rahasia")
    session.commit()
    assert admin["role"] == "admin"


def test_sign_in_resolve_and_sign_out(session):
    created = _register(session)
    token = accounts.sign_in(session, "WA.ODE@example.com", GOOD["password"])
    session.commit()
    assert len(token) >= 40

    stored = session.scalars(select(SessionToken)).one()
    assert stored.token_hash == accounts.hash_token(token)
    assert token not in stored.token_hash  # only the hash is stored

    actor = accounts.resolve_token(session, token)
    assert actor == {"id": created["id"], "email": "wa.ode@example.com", "name": "Wa Ode Sitti", "role": "owner",
                     "status": "active", "status_reason": None}

    accounts.sign_out(session, token)
    session.commit()
    assert accounts.resolve_token(session, token) is None
    accounts.sign_out(session, token)  # twice is harmless


@pytest.mark.parametrize("email, password", [("wa.ode@example.com", "salah-sandi"), ("tidak.ada@example.com", "kain-tenun-123")])
def test_wrong_email_or_password_fail_with_the_same_message(session, email, password):
    _register(session)
    with pytest.raises(Unauthorized) as info:
        accounts.sign_in(session, email, password)
    assert info.value.message == accounts.SIGN_IN_FAILED
    assert _count(session, SessionToken) == 0


def test_expired_token_resolves_to_none(session):
    _register(session)
    token = accounts.sign_in(session, GOOD["email"], GOOD["password"])
    session.commit()
    stored = session.get(SessionToken, accounts.hash_token(token))
    stored.expires_at = stored.created_at - timedelta(seconds=1)
    session.commit()
    assert accounts.resolve_token(session, token) is None


def test_unknown_or_empty_token_resolves_to_none(session):
    assert accounts.resolve_token(session, "tidak-ada") is None
    assert accounts.resolve_token(session, "") is None
    assert accounts.resolve_token(session, None) is None


def test_password_hashing_does_not_block_other_green_threads():
    import eventlet

    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            eventlet.sleep(0.001)

    thread = eventlet.spawn(ticker)
    try:
        eventlet.sleep(0)
        for _ in range(3):
            accounts.hash_password("kain-tenun-123")
    finally:
        thread.kill()
    # On the hub, three argon2 hashes would allow only a tick or two.
    assert len(ticks) > 10


def test_sign_in_calls_release_before_the_password_check(session):
    _register(session)
    released = []
    token = accounts.sign_in(session, GOOD["email"], GOOD["password"], release=lambda: released.append(session.commit()))
    session.commit()
    assert released and accounts.resolve_token(session, token) is not None


@pytest.mark.parametrize("password, reason", [
    ("password", "pernah bocor"), ("12345678", "berurutan"), ("aaaaaaaa", "berulang"), ("Password1!", "pernah bocor"),
    ("waode2024", "nama atau email"), ("x" * 257, "maksimal 256"), ("kain\x00tenun", "karakter kendali"),
])
def test_a_weak_password_is_refused_naming_why_and_nothing_is_written(session, password, reason):
    with pytest.raises(ValidationFailed) as info:
        _register(session, password=password)
    assert set(info.value.fields) == {"password"} and reason in info.value.fields["password"]
    session.rollback()
    assert _count(session, Account) == 0


@pytest.mark.parametrize("field, value", [("name", "Wa\x00Ode"), ("name", "Wa Ode\n"), ("name", "Wa\x85Ode"),
                                          ("email", "wa\x00ode@example.com"), ("name", "Wa\ud800Ode")])
def test_control_characters_in_name_or_email_are_refused_naming_the_field(session, field, value):
    with pytest.raises(ValidationFailed) as info:
        _register(session, **{field: value})
    assert set(info.value.fields) == {field}
    session.rollback()
    assert _count(session, Account) == 0


def test_the_name_is_stored_nfc_and_the_password_compared_as_nfkc(session):
    created = _register(session, name="Rene\u0301 Sitti", password="ｋａｉｎ-ｔｅｎｕｎ-１２３")  # full-width
    assert session.get(Account, created["id"]).name == "Ren\u00e9 Sitti"
    assert accounts.sign_in(session, GOOD["email"], "kain-tenun-123")
    assert accounts.sign_in(session, GOOD["email"], "ｋａｉｎ-ｔｅｎｕｎ-１２３")


def test_a_password_hashed_before_nfkc_still_signs_in_and_is_hashed_again(session):
    created = _register(session)
    stored = session.get(Account, created["id"])
    stored.password_hash = accounts.hash_password("ｋａｉｎ-ｔｅｎｕｎ-１２３")  # as set before normalisation
    session.commit()
    assert accounts.sign_in(session, GOOD["email"], "ｋａｉｎ-ｔｅｎｕｎ-１２３")
    session.commit()
    assert accounts.verify_password(session.get(Account, created["id"]).password_hash, "kain-tenun-123")


@pytest.mark.parametrize("email, password", [("wa.ode@example.com", "kain\ud800tenun"),
                                             ("wa.ode\x00@example.com", "kain-tenun-123")])
def test_signing_in_with_a_lone_surrogate_or_a_nul_is_a_plain_failure(session, email, password):
    _register(session)
    with pytest.raises(Unauthorized):
        accounts.sign_in(session, email, password)
