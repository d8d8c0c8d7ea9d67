"""Query analytics of the search service: what buyers look for and what finds nothing.

What is recorded per search (first page only, so paging through results counts once):
the *normalized* query (folded, lowercased, analyzed terms joined by a space, at most 200
characters), the region and category filters, the result count, whether it found nothing,
and the hour. Nothing else: no ip, no account, no raw text, no other filter. A query whose
analysis is empty (only stopwords, or a browse without text) is not recorded.

Searches are counted in memory (``QueryBuffer``) and added to one row per
(day, query, region, category) in ``search_query_stats`` by a managed green thread
(``QueryAnalytics``) every second, or sooner once ``flush_size`` searches wait; search
itself never touches the database for analytics. A flush that fails keeps its counts for
the next one; counts still in memory when the process dies are lost (it is statistics).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.search.analysis import analyze
from services.search.buffers import BufferFlusher, CountBuffer
from services.search.models import SearchQueryStat
from shared.errors import ValidationFailed
from shared.messages import t

MAX_QUERY_CHARS = 200
MAX_DAYS = 90
MAX_LIMIT = 100

QueryKey = tuple[date, str, str, str]  # (day, normalized query, region, category)


def normalize_query(text: str | None) -> str:
    """The analyzed terms of ``text`` joined by spaces: "Kripik  PISANG!" -> "keripik pisang"."""
    return " ".join(analyze(text))[:MAX_QUERY_CHARS].strip()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Counts:
    searches: int = 0
    zero_results: int = 0
    results_total: int = 0
    last_hour: datetime | None = None

    def add(self, other: "Counts") -> None:
        self.searches += other.searches
        self.zero_results += other.zero_results
        self.results_total += other.results_total
        if other.last_hour and (self.last_hour is None or other.last_hour > self.last_hour):
            self.last_hour = other.last_hour


class QueryBuffer(CountBuffer[QueryKey, Counts]):
    """Counts searches in memory per (day, normalized query, region, category); ``pending`` is
    the number of searches recorded since the last flush took them."""

    def combine(self, known: Counts, value: Counts) -> Counts:
        known.add(value)
        return known

    def size(self, value: Counts) -> int:
        return value.searches

    def record(self, q: str | None, region: str | None, category: str | None, total: int,
               when: datetime | None = None) -> bool:
        query = normalize_query(q)
        if not query:
            return False
        when = (when or _utcnow()).astimezone(timezone.utc)
        hour = when.replace(minute=0, second=0, microsecond=0)
        key = (when.date(), query, (region or "")[:8], (category or "")[:64])
        self.add_counts([(key, Counts(1, 1 if total == 0 else 0, max(0, int(total)), hour))])
        return True

    def write(self, session_factory, counts: dict[QueryKey, Counts]) -> int:
        """Add ``counts`` to ``search_query_stats``; returns how many rows were touched."""
        for attempt in range(2):
            try:
                with session_factory() as session:
                    write_counts(session, counts)
                    session.commit()
                break
            except IntegrityError:  # another instance inserted the same key: update it instead
                if attempt:
                    raise
        return len(counts)


def write_counts(session: Session, counts: dict[QueryKey, Counts]) -> None:
    """One SELECT for the rows these keys may have, one executemany UPDATE adding to those,
    one executemany INSERT for the rest (Core statements, not an ORM object per key)."""
    table = SearchQueryStat.__table__
    known = {(row.day, row.query, row.region, row.category): row.id for row in session.execute(
        select(table.c.id, table.c.day, table.c.query, table.c.region, table.c.category)
        .where(table.c.day.in_({key[0] for key in counts}), table.c.query.in_({key[1] for key in counts})))}
    updates, inserts = [], []
    for key, value in counts.items():
        if key in known:
            updates.append({"row_id": known[key], "add_searches": value.searches, "add_zero": value.zero_results,
                            "add_results": value.results_total, "hour": value.last_hour})
        else:
            day, query, region, category = key
            inserts.append({"day": day, "query": query, "region": region, "category": category,
                            "searches": value.searches, "zero_results": value.zero_results,
                            "results_total": value.results_total, "last_hour": value.last_hour})
    if updates:
        session.execute(update(table).where(table.c.id == bindparam("row_id")).values(
            searches=table.c.searches + bindparam("add_searches"),
            zero_results=table.c.zero_results + bindparam("add_zero"),
            results_total=table.c.results_total + bindparam("add_results"),
            last_hour=bindparam("hour")), updates)
    if inserts:
        session.execute(insert(table), inserts)


def check_window(days, limit) -> tuple[int, int]:
    fields = {}
    try:
        days = int(days)
        if not 1 <= days <= MAX_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        fields["days"] = t("Harus bilangan bulat 1 sampai %(max)s.", max=MAX_DAYS)
    try:
        limit = int(limit)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError
    except (TypeError, ValueError):
        fields["limit"] = t("Harus bilangan bulat 1 sampai %(max)s.", max=MAX_LIMIT)
    if fields:
        raise ValidationFailed(t("Parameter tidak valid."), fields)
    return days, limit


def _report(session: Session, days: int, limit: int, zero: bool, today: date | None = None) -> list[dict]:
    since = (today or _utcnow().date()) - timedelta(days=days - 1)
    searches = func.sum(SearchQueryStat.searches).label("searches")
    zeros = func.sum(SearchQueryStat.zero_results).label("zero_results")
    results = func.sum(SearchQueryStat.results_total).label("results_total")
    statement = (select(SearchQueryStat.query, searches, zeros, results, func.max(SearchQueryStat.day).label("last_day"))
                 .where(SearchQueryStat.day >= since).group_by(SearchQueryStat.query))
    if zero:
        statement = statement.having(func.sum(SearchQueryStat.zero_results) > 0).order_by(zeros.desc(), searches.desc())
    else:
        statement = statement.order_by(searches.desc(), zeros.asc())
    statement = statement.order_by(SearchQueryStat.query).limit(limit)
    return [{"query": row.query, "searches": int(row.searches), "zero_results": int(row.zero_results),
             "avg_results": round(int(row.results_total) / int(row.searches), 1) if row.searches else 0.0,
             "last_day": row.last_day.isoformat()}
            for row in session.execute(statement)]


def top_queries(session: Session, days: int = 7, limit: int = 20, today: date | None = None) -> list[dict]:
    """The most searched normalized queries of the last ``days`` days (today included)."""
    return _report(session, days, limit, zero=False, today=today)


def zero_result_queries(session: Session, days: int = 7, limit: int = 20, today: date | None = None) -> list[dict]:
    """Normalized queries that found nothing, most zero-result searches first."""
    return _report(session, days, limit, zero=True, today=today)


class QueryAnalytics(BufferFlusher):
    """Gives workers itself (``record``, ``flush``); flushes the service's ``QueryBuffer``
    through the ``database_attr`` provider every ``interval`` seconds, or once ``flush_size``
    searches wait, and once more when the service stops (see buffers.py)."""

    thread_name = "search_query_analytics"
    failure_message = "flushing search query analytics failed; retrying later"

    def __init__(self, database_attr: str = "db", interval: float = 1.0, flush_size: int = 500):
        super().__init__(QueryBuffer(), database_attr, interval)
        self.flush_size = flush_size

    def get_dependency(self, worker_ctx):
        return self

    def record(self, q, region, category, total) -> None:
        if self.buffer.record(q, region, category, total) and self.buffer.pending >= self.flush_size:
            self.wake()
