"""Query analytics: normalized queries without personal data, daily counters, top and
zero-result reports; on SQLite and PostgreSQL, and through the real service container."""
from datetime import date, datetime, timedelta, timezone

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import inspect, select

from services.search.analytics import (
    QueryAnalytics,
    QueryBuffer,
    check_window,
    normalize_query,
    top_queries,
    zero_result_queries,
)
from services.search.models import SearchQueryStat
from services.search.service import SearchService
from shared.errors import ValidationFailed

from ops_helpers import ProviderHost, wait_for
from search_factories import published

TODAY = date(2025, 3, 10)
NOON = datetime(2025, 3, 10, 12, 34, 56, tzinfo=timezone.utc)


def rows(search_db):
    with search_db() as session:
        return session.scalars(select(SearchQueryStat).order_by(SearchQueryStat.query, SearchQueryStat.day, SearchQueryStat.region)).all()


def test_normalize_query_folds_and_analyzes():
    assert normalize_query("  Kripik PISANG!! ") == "keripik pisang"
    assert normalize_query("Tenunan dari Buton") == "tenun buton"
    assert normalize_query("yang dan") == "" and normalize_query(None) == ""


def test_a_search_is_recorded_as_its_normalized_query_only(search_db):
    buffer = QueryBuffer()
    assert buffer.record("Kripik Pisang  Budi 08123456789 budi@contoh.id", "7471", "camilan", 3, when=NOON)
    assert buffer.flush(search_db) == 1
    [row] = rows(search_db)
    assert row.query == normalize_query("Kripik Pisang  Budi 08123456789 budi@contoh.id")
    assert (row.day, row.region, row.category, row.searches, row.zero_results, row.results_total) == (
        TODAY, "7471", "camilan", 1, 0, 3)
    assert row.last_hour.replace(tzinfo=timezone.utc) == NOON.replace(minute=0, second=0)
    # The table has no column that could hold who searched or the raw text.
    with search_db() as session:
        columns = {c["name"] for c in inspect(session.get_bind()).get_columns("search_query_stats")}
    assert columns == {"id", "day", "query", "region", "category", "searches", "zero_results", "results_total",
                       "last_hour"}


def test_searches_are_aggregated_per_query_and_day(search_db):
    buffer = QueryBuffer()
    for text in ("kripik pisang", "Keripik pisang", "KRIPIK PISANG"):
        buffer.record(text, None, None, 4, when=NOON)
    buffer.record("kripik pisang", None, None, 0, when=NOON - timedelta(days=1))
    buffer.flush(search_db)
    buffer.record("keripik pisang", None, None, 2, when=NOON)  # a second flush adds to the row
    buffer.flush(search_db)
    assert [(r.day, r.query, r.searches, r.zero_results, r.results_total) for r in rows(search_db)] == [
        (TODAY - timedelta(days=1), "keripik pisang", 1, 1, 0), (TODAY, "keripik pisang", 4, 0, 14)]


def test_empty_queries_are_not_recorded(search_db):
    buffer = QueryBuffer()
    assert not buffer.record("", "7471", None, 10) and not buffer.record("dan yang", None, None, 0)
    assert buffer.flush(search_db) == 0 and rows(search_db) == []


def test_top_and_zero_result_reports_are_ordered(search_db):
    buffer = QueryBuffer()
    for text, count, total in (("madu hutan", 5, 7), ("kopi", 3, 9), ("sinongih", 2, 0), ("gerabha", 4, 0)):
        for _ in range(count):
            buffer.record(text, None, None, total, when=NOON)
    buffer.record("kopi", "7401", None, 0, when=NOON)  # another filter combination, same query
    buffer.record("kuno", None, None, 0, when=NOON - timedelta(days=8))  # outside the window
    buffer.flush(search_db)
    with search_db() as session:
        top = top_queries(session, days=7, limit=3, today=TODAY)
        zero = zero_result_queries(session, days=7, limit=20, today=TODAY)
        wide = zero_result_queries(session, days=9, limit=20, today=TODAY)
    assert [(q["query"], q["searches"], q["zero_results"]) for q in top] == [
        ("madu hutan", 5, 0), ("kopi", 4, 1), ("gerabha", 4, 4)]
    assert top[0]["avg_results"] == 7.0 and top[0]["last_day"] == "2025-03-10"
    assert [(q["query"], q["zero_results"]) for q in zero] == [("gerabha", 4), ("sinongih", 2), ("kopi", 1)]
    assert "kuno" in [q["query"] for q in wide]


def test_a_failed_flush_keeps_its_counts():
    buffer = QueryBuffer()
    buffer.record("madu", None, None, 1, when=NOON)

    def broken():
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        buffer.flush(broken)
    assert buffer.pending == 1 and list(buffer.take().values())[0].searches == 1


@pytest.mark.parametrize("days, limit, field", [(0, 20, "days"), (91, 20, "days"), ("x", 20, "days"),
                                                (7, 0, "limit"), (7, 101, "limit")])
def test_report_window_is_bounded(days, limit, field):
    with pytest.raises(ValidationFailed) as error:
        check_window(days, limit)
    assert field in error.value.fields


def test_service_records_searches_and_answers_reports(search_config, container_factory):
    container = container_factory(SearchService)
    container.start()
    with entrypoint_hook(container, "handle_events") as handle:
        assert handle([published("p1", name="Madu Hutan Konawe").to_dict()]) == [None]
    with entrypoint_hook(container, "search") as search:
        assert search(q="Madu hutan")["total"] == 1
        assert search(q="MADU  Hutan", region="7471")["total"] == 0
        assert search(q="madu hutan", page=2)["total"] == 1  # a second page is not a new search
        assert search(q="gerabah kuno")["total"] == 0
    with entrypoint_hook(container, "top_queries") as top:
        result = top(days=7, limit=10)
    with entrypoint_hook(container, "zero_result_queries") as zero:
        zeros = zero()
    assert [(q["query"], q["searches"], q["zero_results"]) for q in result["queries"]] == [
        ("madu hutan", 2, 1), ("gerabah kuno", 1, 1)]
    # Equal zero-result counts: the more searched query first.
    assert [q["query"] for q in zeros["queries"]] == ["madu hutan", "gerabah kuno"]


def test_the_provider_flushes_a_full_buffer_at_once_and_the_rest_when_stopped(search_db):
    host = ProviderHost(search_db)
    analytics = host.host(QueryAnalytics("db", interval=60, flush_size=2))
    analytics.start()
    analytics.record("madu", None, None, 1)
    eventlet.sleep(0.05)
    assert rows(search_db) == []  # one search waits for the interval (a minute here)
    analytics.record("kopi", None, None, 0)
    assert wait_for(lambda: len(rows(search_db)) == 2, timeout=5)
    analytics.record("sagu", None, None, 3)
    analytics.stop()
    assert [row.query for row in rows(search_db)] == ["kopi", "madu", "sagu"]
    host.threads[0].wait()  # the loop has ended
