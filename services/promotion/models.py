"""The promotion service's own store: the product and merchant facts it needs for targeting
and pricing, the campaigns, their members, the last pricing published per product and the
outbox of promotion events.

Facts arrive only as catalog events; the service never reads the catalog's database.
Times are stored in UTC (SQLite hands them back naive: ``campaigns.times.aware`` fixes that).
"""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.consumer import AggregateStateMixin, InboxMixin
from shared.events import utcnow
from shared.idempotency import IdempotencyKeyMixin
from shared.outbox import OutboxMixin


class Base(DeclarativeBase):
    pass


class Inbox(InboxMixin, Base):
    pass


class AggregateState(AggregateStateMixin, Base):
    pass


class ProductFact(Base):
    __tablename__ = "product_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(60), index=True)
    parent_category: Mapped[str] = mapped_column(String(60), index=True)
    region: Mapped[str] = mapped_column(String(8), index=True)
    merchant_kind: Mapped[str] = mapped_column(String(20))
    merchant_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    halal: Mapped[bool] = mapped_column(Boolean, default=False)
    slug: Mapped[str | None] = mapped_column(String(220), nullable=True)
    merchant_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    photo_url: Mapped[str | None] = mapped_column(String(500), nullable=True)  # the first photo's thumb
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ProductInteractionDay(Base):
    """Impressions, views and WhatsApp contacts of one product on one day (from search's
    ``search.interactions_recorded`` batches; see ``interactions``)."""

    __tablename__ = "product_interactions_daily"
    __table_args__ = (UniqueConstraint("product_id", "day", name="uq_product_interactions_daily"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date, index=True)
    impressions: Mapped[int] = mapped_column(Integer, default=0)
    views: Mapped[int] = mapped_column(Integer, default=0)
    contacts: Mapped[int] = mapped_column(Integer, default=0)


class Outbox(OutboxMixin, Base):
    """Promotion events waiting for the relay (``promotion.pricing_changed``)."""


class MerchantFact(Base):
    """What promotion knows of a merchant, from ``catalog.merchant_*`` snapshots: enough to
    tell who owns a product (opt-out/opt-in) and whether it may be promoted."""

    __tablename__ = "merchant_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_status_starts", "status", "starts_at"),
                      Index("ix_campaigns_status_ends", "status", "ends_at"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    discount_type: Mapped[str | None] = mapped_column(String(10), nullable=True)  # percent | fixed
    discount_value: Mapped[int] = mapped_column(Integer, default=0)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    target_product_ids: Mapped[list] = mapped_column(JSON, default=list)
    target_categories: Mapped[list] = mapped_column(JSON, default=list)
    target_regions: Mapped[list] = mapped_column(JSON, default=list)
    target_merchant_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    target_verified_only: Mapped[bool] = mapped_column(Boolean, default=False)
    max_products: Mapped[int | None] = mapped_column(Integer, nullable=True)
    open_for_signup: Mapped[bool] = mapped_column(Boolean, default=False)
    budget: Mapped[int | None] = mapped_column(Integer, nullable=True)  # rupiah of discount covered
    funded_by: Mapped[str | None] = mapped_column(String(20), nullable=True)  # seller | promoter | pemda
    budget_spent: Mapped[int] = mapped_column(Integer, default=0)  # estimated discount given
    budget_exhausted: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # draft scheduled active ended cancelled
    version: Mapped[int] = mapped_column(Integer, default=1)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class CampaignMember(Base):
    """A product in a campaign. A product that leaves keeps its row with ``left_at`` set, so
    the campaign's statistics still count what it did while it was in."""

    __tablename__ = "campaign_members"
    __table_args__ = (Index("ix_campaign_members_product", "product_id"),)

    campaign_id: Mapped[str] = mapped_column(String(36), ForeignKey("campaigns.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # target | signup
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CampaignOptOut(Base):
    """An owner took this product out of this campaign: it never joins it again unless the
    owner opts back in."""

    __tablename__ = "campaign_opt_outs"

    campaign_id: Mapped[str] = mapped_column(String(36), ForeignKey("campaigns.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CampaignSignup(Base):
    """An owner signed this product up for a campaign that invites sign-ups."""

    __tablename__ = "campaign_signups"

    campaign_id: Mapped[str] = mapped_column(String(36), ForeignKey("campaigns.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProductPricingState(Base):
    """The pricing last published for a product (its own version sequence): a new
    ``promotion.pricing_changed`` is due only when ``key`` changes."""

    __tablename__ = "product_pricing"

    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(Text)
    normal_price: Mapped[int] = mapped_column(Integer)
    effective_price: Mapped[int] = mapped_column(Integer)
    discount_amount: Mapped[int] = mapped_column(Integer, default=0)
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    badge: Mapped[str | None] = mapped_column(String(120), nullable=True)
    boost: Mapped[float] = mapped_column(Float, default=0.0)
    campaign_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    campaign_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class IdempotencyKey(IdempotencyKeyMixin, Base):
    """The ``Idempotency-Key`` of each campaign a client created with one, committed with
    the campaign (shared/idempotency.py)."""
