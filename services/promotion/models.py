"""The promotion service's own store: the product facts it needs for targeting and pricing.

Facts arrive only as catalog events; the service never reads the catalog's database.
"""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.consumer import AggregateStateMixin, InboxMixin
from shared.events import utcnow


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
