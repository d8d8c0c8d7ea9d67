"""The promotion service's own store: the product facts it needs for targeting and pricing.

Facts arrive only as catalog events; the service never reads the catalog's database.
"""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
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
