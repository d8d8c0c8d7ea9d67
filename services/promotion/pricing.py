"""What a buyer pays for one product, given the campaigns it belongs to. Pure functions.

Rules (issue 5):
- a campaign applies during its half-open window [starts_at, ends_at);
- discounts never stack: the buyer gets the single best (lowest) price; ties are broken by
  the earlier start, then the campaign id, so every run picks the same campaign;
- the effective price is never below Rp 1 nor above the normal price;
- a featured campaign gives no discount but a badge and the search boost; its badge
  combines with the winning discount ("Produk Unggulan · Diskon 20%");
- a campaign whose budget is spent (``discounting`` False) keeps its badge, not its discount;
- ``valid_until`` is the earliest end among the campaigns that shape the pricing: after it
  the pricing must be recomputed, and search reverts on its own if no update arrives.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from shared.formatting import format_rupiah, iso_utc
from shared.messages import t

MIN_PRICE = 1
MAX_PERCENT = 90
FEATURED_BADGE = t("Produk Unggulan")
BADGE_SEPARATOR = " · "  # the gateway splits a badge on it to translate each part
FEATURED_BOOST = 1.0  # the full share of search's bounded promotion boost


@dataclass(frozen=True)
class Offer:
    """One campaign's terms as they apply to a product it includes."""

    campaign_id: str
    campaign_name: str
    starts_at: datetime
    ends_at: datetime
    discount_type: str | None  # "percent" | "fixed" | None (featured only)
    discount_value: int
    featured: bool
    discounting: bool = True  # False once the campaign's budget is spent

    def open_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class Pricing:
    normal_price: int
    effective_price: int
    discount_amount: int = 0
    discount_percent: int = 0
    promoted: bool = False
    badge: str | None = None
    boost: float = 0.0
    campaign_id: str | None = None
    campaign_name: str | None = None
    valid_until: datetime | None = None

    @property
    def on_campaign(self) -> bool:
        return self.campaign_id is not None

    def key(self) -> tuple:
        """Everything a buyer sees; a pricing event is due only when this changes."""
        return (
            self.normal_price, self.effective_price, self.discount_percent, self.promoted, self.badge,
            self.boost, self.campaign_id, self.campaign_name, iso_utc(self.valid_until),
        )

    def payload(self, product_id: str, version: int) -> dict:
        """The ``promotion.pricing_changed`` payload (shared.contracts.ProductPricing)."""
        return {
            "product_id": product_id,
            "version": version,
            "normal_price": self.normal_price,
            "effective_price": self.effective_price,
            "discount_percent": self.discount_percent,
            "promoted": self.promoted,
            "badge": self.badge,
            "boost": self.boost,
            "campaign_id": self.campaign_id,
            "campaign_name": self.campaign_name,
            "valid_until": iso_utc(self.valid_until),
        }


def discounted_price(price: int, discount_type: str | None, discount_value: int) -> int:
    """``price`` after one discount, clamped to [Rp 1, price]. Percentages round the
    discount down to whole rupiah, so the buyer never pays more than the percentage says
    by more than Rp 1 and the seller never gives more than promised."""
    if price < MIN_PRICE:
        return price  # nothing to discount (the catalog does not list free products)
    if discount_type == "percent":
        discount = price * max(0, min(discount_value, MAX_PERCENT)) // 100
    elif discount_type == "fixed":
        discount = max(0, discount_value)
    else:
        discount = 0
    return max(MIN_PRICE, min(price, price - discount))


def discount_percent(normal: int, effective: int) -> int:
    if normal <= 0 or effective >= normal:
        return 0
    return min(MAX_PERCENT, round((normal - effective) * 100 / normal))


def _tie_break(offer: Offer) -> tuple:
    return (offer.starts_at, offer.campaign_id)


def best_pricing(price: int, offers: Iterable[Offer], now: datetime) -> Pricing:
    """The pricing of a product with normal ``price`` under ``offers`` at ``now``."""
    open_offers = [offer for offer in offers if offer.open_at(now)]
    discounts = [
        offer for offer in open_offers
        if offer.discounting and offer.discount_type and discounted_price(price, offer.discount_type, offer.discount_value) < price
    ]
    featured = sorted((offer for offer in open_offers if offer.featured), key=_tie_break)
    winner = min(
        discounts,
        key=lambda offer: (discounted_price(price, offer.discount_type, offer.discount_value), *_tie_break(offer)),
        default=None,
    )
    if winner is None and not featured:
        return Pricing(normal_price=price, effective_price=price)

    effective = discounted_price(price, winner.discount_type, winner.discount_value) if winner else price
    percent = discount_percent(price, effective)
    badges = []
    if featured:
        badges.append(FEATURED_BADGE)
    if winner:
        badges.append(t("Diskon %(percent)s%%", percent=percent) if percent
                      else t("Hemat %(amount)s", amount=format_rupiah(price - effective)))
    shaping = ([winner] if winner else []) + featured
    lead = winner or featured[0]
    return Pricing(
        normal_price=price,
        effective_price=effective,
        discount_amount=price - effective,
        discount_percent=percent,
        promoted=bool(featured),
        badge=BADGE_SEPARATOR.join(badges),
        boost=FEATURED_BOOST if featured else 0.0,
        campaign_id=lead.campaign_id,
        campaign_name=lead.campaign_name,
        valid_until=min(offer.ends_at for offer in shaping),
    )
