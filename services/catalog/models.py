"""The catalog's own database: merchants, products and the outbox of catalog events."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.events import utcnow
from shared.outbox import OutboxMixin


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class Merchant(Base):
    """An UMKM or koperasi; ``owner_id`` is the gateway account that registered it."""

    __tablename__ = "merchants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # "umkm" | "koperasi"
    region: Mapped[str] = mapped_column(String(8), index=True)  # BPS code
    whatsapp: Mapped[str] = mapped_column(String(20))  # normalized +628...
    description: Mapped[str] = mapped_column(Text, default="")
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    products: Mapped[list["Product"]] = relationship(back_populates="merchant")


class Product(Base):
    """A listed product. Deleting only sets ``deleted_at`` so the version keeps growing
    and the delete event can carry version + 1."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("merchant_id", "slug", name="uq_products_merchant_slug"),
        Index("ix_products_merchant_live", "merchant_id", "deleted_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(Integer)  # whole rupiah (<= 1e9 fits a 32-bit int)
    stock: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(30), default="pcs")
    category: Mapped[str] = mapped_column(String(60), index=True)  # leaf slug
    halal: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="published")
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    merchant: Mapped[Merchant] = relationship(back_populates="products")

    # Optimistic locking: every UPDATE carries "WHERE version = <the version we read>",
    # so two concurrent writers cannot both produce the same next version (the loser gets
    # StaleDataError). The domain sets the new version itself, so the event can carry it.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class OutboxMessage(OutboxMixin, Base):
    pass
