"""Tables of the search database.

``search_documents`` holds every indexed product document, written in the consumer's
transaction. The embedded engine rebuilds its in-memory index from it at start; it is
also what a rebuild of an Elasticsearch index would read.
"""
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.consumer import AggregateStateMixin, InboxMixin
from shared.events import utcnow
from shared.outbox import OutboxMixin


class Base(DeclarativeBase):
    pass


class Inbox(InboxMixin, Base):
    pass


class AggregateState(AggregateStateMixin, Base):
    pass


class Outbox(OutboxMixin, Base):
    """Events the search service publishes (``search.interactions_recorded``)."""


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


# A BIGINT on PostgreSQL; on SQLite only an INTEGER primary key is the rowid (and autoincrements).
SEQ = BigInteger().with_variant(Integer, "sqlite")


class SearchChange(Base):
    """The embedded engine's change log: one row per transaction that changed stored documents
    or pricings, with the ids of those products, in commit order (see ``changes.py``). Every
    search replica follows it and loads those products' current rows into its memory index."""

    __tablename__ = "search_changes"
    # AUTOINCREMENT: SQLite never reuses a seq, even once every row has been pruned.
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    product_ids: Mapped[str] = mapped_column(Text)  # a JSON array of product ids


class SearchChangeMark(Base):
    """Named positions in the change log: ``pruned_through``, the highest seq that pruning may
    have deleted (a follower behind it reloads its whole index)."""

    __tablename__ = "search_change_marks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(SEQ)


class SearchQueryStat(Base):
    """How often a normalized query was searched on one day, with one region/category filter
    combination (``""`` = no filter). One row per (day, query, region, category) with counters,
    not a row per search; no personal data (no ip, no account, no raw text). See ``analytics``."""

    __tablename__ = "search_query_stats"
    __table_args__ = (UniqueConstraint("day", "query", "region", "category", name="uq_search_query_stats_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    query: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(8), default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    searches: Mapped[int] = mapped_column(Integer, default=0)
    zero_results: Mapped[int] = mapped_column(Integer, default=0)
    results_total: Mapped[int] = mapped_column(Integer, default=0)  # sum of result counts
    last_hour: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # truncated to the hour
