"""Who may do what with a campaign: the caller (``shared.actor.Actor``, as the gateway passes
it over RPC) checked against the campaign's owner and the product's owner.

A promoter manages their own campaigns, an admin every campaign; another promoter's campaign
answers NotFound (its existence is not disclosed). Owners act on their own products in
campaigns that are scheduled or active (drafts stay private).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.promotion.models import Campaign, MerchantFact, ProductFact
from shared.actor import ADMIN, OWNER, PROMOTER, Actor
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized


def caller(actor: Actor) -> tuple[str, str]:
    """The caller's id and role; Unauthorized when there is no caller (or no id)."""
    if not isinstance(actor, dict) or not actor.get("id"):
        raise Unauthorized()
    return str(actor["id"]), str(actor.get("role") or "")


def promoter(actor: Actor) -> tuple[str, str]:
    """The id and role of a caller who may manage campaigns (a promoter or an admin)."""
    actor_id, role = caller(actor)
    if role not in (PROMOTER, ADMIN):
        raise Forbidden("Hanya promotor dan admin yang dapat mengelola kampanye.")
    return actor_id, role


def find_campaign(session: Session, campaign_id, lock: bool = False) -> Campaign | None:
    """The campaign with this id, freshly read (``lock``: FOR UPDATE on PostgreSQL)."""
    if not isinstance(campaign_id, str) or not campaign_id:
        return None
    query = select(Campaign).where(Campaign.id == campaign_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def managed_campaign(session: Session, actor: Actor, campaign_id, lock: bool = False) -> Campaign:
    """The campaign the actor may manage: a promoter's own, any for an admin; another
    promoter's campaign is NotFound (its existence is not disclosed)."""
    actor_id, role = promoter(actor)
    campaign = find_campaign(session, campaign_id, lock)
    if campaign is None or (role != ADMIN and campaign.owner_id != actor_id):
        raise NotFound("Kampanye tidak ditemukan.", {"campaign_id": "tidak ditemukan"})
    return campaign


def open_campaign(session: Session, actor: Actor, campaign_id) -> Campaign:
    """A campaign an owner may act on: scheduled or active (drafts stay private)."""
    actor_id, role = caller(actor)
    campaign = find_campaign(session, campaign_id, lock=True)
    hidden = campaign is None or (campaign.status == "draft" and not (
        role == ADMIN or (role == PROMOTER and campaign.owner_id == actor_id)))
    if hidden:
        raise NotFound("Kampanye tidak ditemukan.", {"campaign_id": "tidak ditemukan"})
    if campaign.status in ("ended", "cancelled"):
        raise Conflict("Kampanye sudah selesai atau dibatalkan.", {"status": campaign.status})
    return campaign


def owned_product(session: Session, actor: Actor, campaign: Campaign, product_id) -> ProductFact:
    """The product the actor may opt in or out of ``campaign``: its owner's, or any for an
    admin or the campaign's promoter."""
    actor_id, role = caller(actor)
    fact = session.get(ProductFact, product_id) if isinstance(product_id, str) and product_id else None
    if fact is None:
        raise NotFound("Produk tidak ditemukan.", {"product_id": "tidak ditemukan"})
    if role == ADMIN or (role == PROMOTER and campaign.owner_id == actor_id):
        return fact
    merchant = session.get(MerchantFact, fact.merchant_id)
    if role != OWNER or merchant is None or merchant.owner_id != actor_id:
        raise Forbidden("Hanya pemilik produk yang dapat mengatur keikutsertaannya.", {"product_id": "bukan milik Anda"})
    return fact
