"""Tables of the search database.

``search_documents`` holds every indexed product document, written in the consumer's
transaction. The embedded engine rebuilds its in-memory index from it at start; it is
also what a rebuild of an Elasticsearch index would read.
"""
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.consumer import AggregateStateMixin, InboxMixin
from shared.events import utcnow


class Base(DeclarativeBase):
    pass


class Inbox(InboxMixin, Base):
    pass


class AggregateState(AggregateStateMixin, Base):
    pass


class SearchDocument(Base):
    __tablename__ = "search_documents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The aggregate version the document was built from (orders concurrent writers).
    version: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(8), index=True)
    document: Mapped[str] = mapped_column(Text)  # the search document as JSON
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class SearchPricing(Base):
    """What the promotion service says a product costs now (``promotion.pricing_changed``).

    Kept apart from ``search_documents`` on purpose: it has its own version sequence, it
    arrives before or after the product itself, and a re-index of the product must not lose it.
    """

    __tablename__ = "search_pricing"

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    pricing: Mapped[str] = mapped_column(Text)  # the ProductPricing payload as JSON
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
