"""Who is calling: the account the gateway authenticated, as it crosses RPC.

The gateway resolves a session to an account and passes ``{"id", "role"}`` with every call
that acts for someone; the services decide what that account may do. On the wire it stays
a plain JSON object (nameko serialises RPC arguments as JSON); in the code it is typed, so a
type checker catches a wrong shape before it crosses the boundary, and ``parse_actor``
refuses one that arrives malformed.
"""
from __future__ import annotations

from typing import Literal, TypedDict, cast, get_args

from shared.errors import Unauthorized

Role = Literal["owner", "promoter", "admin"]
OWNER: Role = "owner"
PROMOTER: Role = "promoter"
ADMIN: Role = "admin"
ROLES: frozenset[str] = frozenset(get_args(Role))


class Actor(TypedDict):
    id: str
    role: Role


def make_actor(account_id: str, role: str) -> Actor:
    """The actor of an account; raises ``ValueError`` for a role that is not one of ``ROLES``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return {"id": account_id, "role": cast(Role, role)}


def parse_actor(value: object) -> Actor:
    """The actor an RPC received, checked: an object with a non-empty string ``id`` and a known
    ``role``. Anything else is ``Unauthorized`` (a caller that cannot say who it is)."""
    if not isinstance(value, dict):
        raise Unauthorized("Silakan masuk terlebih dahulu.")
    account_id, role = value.get("id"), value.get("role")
    if not isinstance(account_id, str) or not account_id or not isinstance(role, str) or role not in ROLES:
        raise Unauthorized("Silakan masuk terlebih dahulu.")
    return make_actor(account_id, role)
