"""Who may do what with a campaign: the caller (``shared.actor.Actor``, as the gateway passes
it over RPC) checked against the campaign's owner and the product's owner.

A promoter manages their own campaigns, an admin every campaign; another promoter's campaign
answers NotFound (its existence is not disclosed). Owners act on their own products in
campaigns that are scheduled or active (drafts stay private): they alone join or leave a
campaign (an admin may act for them; the campaign's promoter may not).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.promotion.models import Campaign, MerchantFact, ProductFact
from shared.actor import ADMIN, OWNER, PROMOTER, Actor
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized
from shared.messages import t


def caller(actor: Actor) -> tuple[str, str]:
    """The caller's id and role; Unauthorized when there is no caller (or no id)."""
    if not isinstance(actor, dict) or not actor.get("id"):
        raise Unauthorized()
    return str(actor["id"]), str(actor.get("role") or "")


def promoter(actor: Actor) -> tuple[str, str]:
    """The id and role of a caller who may manage campaigns (a promoter or an admin)."""
    actor_id, role = caller(actor)
    if role not in (PROMOTER, ADMIN):
        raise Forbidden(t("Hanya promotor dan admin yang dapat mengelola kampanye."))
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
        raise NotFound(t("Kampanye tidak ditemukan."), {"campaign_id": t("tidak ditemukan")})
    return campaign


def open_campaign(session: Session, actor: Actor, campaign_id) -> Campaign:
    """A campaign an owner may act on: scheduled or active (drafts stay private)."""
    actor_id, role = caller(actor)
    campaign = find_campaign(session, campaign_id, lock=True)
    hidden = campaign is None or (campaign.status == "draft" and not (
        role == ADMIN or (role == PROMOTER and campaign.owner_id == actor_id)))
    if hidden:
        raise NotFound(t("Kampanye tidak ditemukan."), {"campaign_id": t("tidak ditemukan")})
    if campaign.status in ("ended", "cancelled"):
        raise Conflict(t("Kampanye sudah selesai atau dibatalkan."), {"status": campaign.status})
    return campaign


def _membership_caller(actor: Actor) -> tuple[str, str]:
    """Only a product's owner decides whether it is in a campaign; an admin may act for them.
    Nobody else, not even the campaign's promoter: a price changes only with the owner's consent."""
    actor_id, role = caller(actor)
    if role not in (OWNER, ADMIN):
        raise Forbidden(t("Hanya pemilik produk yang dapat mengatur keikutsertaannya."))
    return actor_id, role


def owned_products(session: Session, actor: Actor, product_ids: list[str], field: str) -> list[ProductFact]:
    """The products (in the order asked) the actor may opt in or out: every one must exist
    (NotFound) and be the actor's (Forbidden), or nothing is done; any for an admin."""
    actor_id, role = _membership_caller(actor)
    facts = {fact.id: fact for fact in session.scalars(select(ProductFact).where(ProductFact.id.in_(product_ids)))}
    missing = [product_id for product_id in product_ids if product_id not in facts]
    if missing:
        raise NotFound(t("Produk tidak ditemukan."), {field: t("tidak ditemukan: %(ids)s", ids=", ".join(missing[:10]))})
    if role != ADMIN:
        merchant_ids = {fact.merchant_id for fact in facts.values()}
        owned = set(session.scalars(select(MerchantFact.id).where(MerchantFact.id.in_(merchant_ids),
                                                                  MerchantFact.owner_id == actor_id)))
        foreign = [product_id for product_id in product_ids if facts[product_id].merchant_id not in owned]
        if foreign:
            raise Forbidden(t("Hanya pemilik produk yang dapat mengatur keikutsertaannya."),
                            {field: t("bukan milik Anda: %(ids)s", ids=", ".join(foreign[:10]))})
    return [facts[product_id] for product_id in product_ids]


def owned_merchant(session: Session, actor: Actor, merchant_id: str) -> str:
    """The merchant whose products the actor may opt in or out all at once: the actor's own
    (Forbidden otherwise), or any for an admin; an unknown one is NotFound."""
    actor_id, role = _membership_caller(actor)
    merchant = session.get(MerchantFact, merchant_id)
    if merchant is None:
        exists_as_seller = session.scalar(select(ProductFact.id).where(ProductFact.merchant_id == merchant_id).limit(1))
        if role != ADMIN or exists_as_seller is None:
            raise NotFound(t("Usaha tidak ditemukan."), {"merchant_id": t("tidak ditemukan")})
        return merchant_id
    if role != ADMIN and merchant.owner_id != actor_id:
        raise Forbidden(t("Hanya pemilik usaha yang dapat mengatur keikutsertaan produknya."),
                        {"merchant_id": t("bukan milik Anda")})
    return merchant_id
