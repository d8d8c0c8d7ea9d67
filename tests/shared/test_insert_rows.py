"""``shared.db.insert_rows`` and ``select_in``: many rows in one statement sent straight to
the driver, on both databases. More rows than one statement holds are split, the conflict
clause decides per row, and what is written reads back through SQLAlchemy as if SQLAlchemy
had written it (a datetime on SQLite is stored in SQLAlchemy's text form)."""
from datetime import datetime, timezone

import pytest
from consumer_models import Base, Inbox, State
from pg8000 import core as pg8000_core
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.db import IDS_PER_STATEMENT, insert_rows, select_in


@pytest.fixture
def session_factory(tables):
    return tables(Base)


def test_rows_past_one_statement_are_all_written_and_read_back(session_factory):
    when = datetime(2026, 12, 4, 20, 15, 30, 123456, tzinfo=timezone.utc)
    count = 2 * IDS_PER_STATEMENT + 17
    rows = [(f"e{n:05d}", "catalog.product_updated", when) for n in range(count)]
    with session_factory() as session:
        returned = insert_rows(session, Inbox.__table__, ("event_id", "event_type", "processed_at"), rows,
                               tail="ON CONFLICT (event_id) DO NOTHING", returning=("event_id",))
        session.commit()
        assert sorted(r[0] for r in returned) == [r[0] for r in rows]
        stored = session.scalars(select(Inbox).order_by(Inbox.event_id)).all()
        assert len(stored) == count
        assert stored[0].processed_at.replace(tzinfo=timezone.utc) == when


def test_the_conflict_clause_decides_row_by_row(session_factory):
    columns = ("aggregate_type", "aggregate_id", "version", "deleted", "updated_at")
    now = datetime.now(timezone.utc)
    guarded = ("ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = excluded.version "
               "WHERE aggregate_state.version < excluded.version AND NOT aggregate_state.deleted")
    with session_factory() as session:
        insert_rows(session, State.__table__, columns,
                    [("product", "a", 3, False, now), ("product", "b", 3, False, now), ("product", "c", 3, True, now)])
        written = insert_rows(session, State.__table__, columns,
                              [("product", "a", 4, False, now), ("product", "b", 2, False, now),
                               ("product", "c", 9, False, now), ("product", "d", 1, False, now)],
                              tail=guarded, returning=("aggregate_id",))
        session.commit()
        assert {r[0] for r in written} == {"a", "d"}  # b: older, c: a tombstone
        found = select_in(session, State.__table__, ("aggregate_id", "version", "deleted"), "aggregate_id",
                          ["a", "b", "c", "d", "e"], equal={"aggregate_type": "product"})
        assert {(i, v, bool(d)) for i, v, d in found} == {("a", 4, False), ("b", 3, False), ("c", 3, True),
                                                           ("d", 1, False)}


def test_select_in_splits_a_long_list(session_factory):
    now = datetime.now(timezone.utc)
    ids = [f"p{n:05d}" for n in range(IDS_PER_STATEMENT + 3)]
    with session_factory() as session:
        insert_rows(session, State.__table__, ("aggregate_type", "aggregate_id", "version", "deleted", "updated_at"),
                    [("product", i, 1, False, now) for i in ids] + [("merchant", "p00000", 1, False, now)])
        found = select_in(session, State.__table__, ("aggregate_id",), "aggregate_id", ids + ["none"],
                          equal={"aggregate_type": "product"})
        assert sorted(r[0] for r in found) == ids
        assert insert_rows(session, State.__table__, ("aggregate_id",), []) == []
        assert select_in(session, State.__table__, ("aggregate_id",), "aggregate_id", []) == []


def test_a_unique_violation_is_an_integrity_error_and_the_session_goes_on(session_factory):
    # On pg8000 these statements skip the driver's cursor (one round trip each): its error
    # translation must hold, and the connection must be left ready for the next statement.
    now = datetime.now(timezone.utc)
    columns = ("event_id", "event_type", "processed_at")
    with session_factory() as session:
        insert_rows(session, Inbox.__table__, columns, [("dup", "t", now)])
        session.commit()
        with pytest.raises(IntegrityError):
            insert_rows(session, Inbox.__table__, columns, [("new", "t", now), ("dup", "t", now)])
        session.rollback()
        with pytest.raises(DBAPIError):  # any other error: as the driver's cursor raises it
            insert_rows(session, Inbox.__table__, columns, [("x", "t", now)], tail="ON CONFLICT (no_such_column) DO NOTHING")
        session.rollback()
        insert_rows(session, Inbox.__table__, columns, [("later", "t", now)])
        session.commit()
        assert sorted(session.scalars(select(Inbox.event_id))) == ["dup", "later"]


def test_a_statement_outside_a_transaction_opens_one_that_rollback_undoes(session_factory):
    now = datetime.now(timezone.utc)
    with session_factory() as session:
        insert_rows(session, Inbox.__table__, ("event_id", "event_type", "processed_at"), [("gone", "t", now)])
        session.rollback()
        assert session.scalars(select(Inbox.event_id)).all() == []
        assert select_in(session, Inbox.__table__, ("event_id",), "event_id", ["gone"]) == []


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # pg8000 only
def test_on_pg8000_a_statement_is_one_round_trip(session_factory, monkeypatch):
    with session_factory() as session:
        assert session.get_bind().dialect.driver == "pg8000"
        session.execute(select(1))  # the transaction is open: what follows is the statement alone
        flushes = []
        original = pg8000_core._flush
        monkeypatch.setattr(pg8000_core, "_flush", lambda sock: (flushes.append(1), original(sock)))
        rows = insert_rows(session, Inbox.__table__, ("event_id", "event_type", "processed_at"),
                           [(f"e{n}", "t", datetime.now(timezone.utc)) for n in range(3)], returning=("event_id",))
        assert sorted(rows) == [("e0",), ("e1",), ("e2",)]
        assert len(flushes) == 1


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # pg8000 only
def test_on_pg8000_a_closed_connection_is_a_disconnect(session_factory):
    with session_factory() as session:
        assert session.get_bind().dialect.driver == "pg8000"
        session.connection().connection.dbapi_connection.close()
        with pytest.raises(DBAPIError) as caught:
            insert_rows(session, Inbox.__table__, ("event_id", "event_type", "processed_at"),
                        [("e", "t", datetime.now(timezone.utc))])
        assert caught.value.connection_invalidated  # the pool drops it instead of handing it out again
