"""The catalog's own database: merchants, products and the outbox of catalog events."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.events import utcnow
from shared.idempotency import IdempotencyKeyMixin
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
    address: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Verification by an admin: pending -> verified | rejected; verified -> suspended -> verified.
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status_changed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Re-verification: what a verified merchant changed that sent it back to "pending", as
    # [{"field", "old", "new"}], for the admin's queue; cleared by the admin's next decision.
    review_changes: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # Logo: the photo id whose files live under the media root (see ProductPhoto for the layout).
    logo: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Credentials, all optional.
    nib: Mapped[str | None] = mapped_column(String(13), nullable=True)
    pirt_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    halal_number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    halal_expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # What was last published about the halal certificate; the expiry timer flips it.
    halal_active: Mapped[bool] = mapped_column(Boolean, default=False)
    # Koperasi only.
    legal_number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    member_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_rat_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    products: Mapped[list["Product"]] = relationship(back_populates="merchant")

    @property
    def verified(self) -> bool:
        return self.status == "verified"


class Product(Base):
    """A listed product. Deleting only sets ``deleted_at`` so the version keeps growing
    and the delete event can carry version + 1."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("merchant_id", "slug", name="uq_products_merchant_slug"),
        Index("ix_products_merchant_live", "merchant_id", "deleted_at"),
        # The merchant's own stock-keeping code: imports upsert by it.
        UniqueConstraint("merchant_id", "sku", name="uq_products_merchant_sku"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    sku: Mapped[str | None] = mapped_column(String(64), nullable=True)
    price: Mapped[int] = mapped_column(Integer)  # whole rupiah (<= 1e9 fits a 32-bit int)
    compare_at_price: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the "was" price, > price
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # A koperasi may list on behalf of a member business; shown on the product.
    member_business: Mapped[str | None] = mapped_column(String(120), nullable=True)
    stock: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(30), default="pcs")
    category: Mapped[str] = mapped_column(String(60), index=True)  # leaf slug
    halal: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="published")  # draft | published | archived
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    merchant: Mapped[Merchant] = relationship(back_populates="products")
    photos: Mapped[list["ProductPhoto"]] = relationship(
        back_populates="product", order_by="ProductPhoto.position", cascade="all, delete-orphan"
    )

    # Optimistic locking: every UPDATE carries "WHERE version = <the version we read>",
    # so two concurrent writers cannot both produce the same next version (the loser gets
    # StaleDataError). The domain sets the new version itself, so the event can carry it.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ProductPhoto(Base):
    """A product photo. ``variants`` maps a size name to the file's path under the media
    root, e.g. {"thumb": "products/ab/<id>-320.webp", "medium": ..., "large": ...}."""

    __tablename__ = "product_photos"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(40))  # of the upload: image/jpeg | image/png | image/webp
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    variants: Mapped[dict] = mapped_column(JSON)
    alt: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    product: Mapped[Product] = relationship(back_populates="photos")


class ImportJob(Base):
    """A spreadsheet import: the uploaded file, its progress and its counts."""

    __tablename__ = "imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    actor_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # dropped once processed
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending | running | done | failed
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)  # rows saved with a problem (a photo not fetched)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # a whole-file problem
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    row_errors: Mapped[list["ImportRowError"]] = relationship(
        back_populates="job", order_by="ImportRowError.id", cascade="all, delete-orphan"
    )


class ImportRowError(Base):
    __tablename__ = "import_row_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)  # as the seller sees it in the sheet (header = row 1)
    column: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)
    # "error": the row was not saved; "warning": the row was saved, with a problem (a photo).
    severity: Mapped[str] = mapped_column(String(10), default="error")

    job: Mapped[ImportJob] = relationship(back_populates="row_errors")


class OutboxMessage(OutboxMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    """The ``Idempotency-Key`` of each merchant, product, photo and import a client made
    with one, committed with what it made (shared/idempotency.py)."""
