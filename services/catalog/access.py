"""Who may do what in the catalog: the role and ownership checks every use case starts with.

The domain, the photo and logo use cases and the spreadsheet import all check the caller the
same way, so the checks (and their messages) live here once. ``actor`` arrives over RPC and
is checked as untrusted data: anything that is not an actor of the right role is refused with
``Forbidden`` (403), like an actor of another role.
"""
from __future__ import annotations

from services.catalog.models import Merchant
from shared.actor import ADMIN, OWNER, Actor
from shared.errors import Forbidden
from shared.messages import t


def _account_id_with_role(actor: Actor, role: str) -> str | None:
    """The actor's account id if ``actor`` is an actor with ``role``, else None."""
    if not isinstance(actor, dict) or actor.get("role") != role or not actor.get("id"):
        return None
    return str(actor["id"])


def require_owner(actor: Actor) -> str:
    """The actor's account id, if the actor is a business owner."""
    owner_id = _account_id_with_role(actor, OWNER)
    if owner_id is None:
        raise Forbidden(t("Hanya pemilik usaha yang dapat melakukan tindakan ini."))
    return owner_id


def require_admin(actor: Actor) -> str:
    """The actor's account id, if the actor is an admin (a Dinas curator)."""
    admin_id = _account_id_with_role(actor, ADMIN)
    if admin_id is None:
        raise Forbidden(t("Hanya admin (kurator Dinas) yang dapat melakukan tindakan ini."))
    return admin_id


def require_owns(owner_id: str, merchant: Merchant) -> None:
    """Refuse unless the account ``owner_id`` owns ``merchant``."""
    if merchant.owner_id != owner_id:
        raise Forbidden(t("Anda bukan pemilik usaha ini."))
