"""SQLAlchemy 2 engines and the nameko dependency provider for a unit of work.

nameko sends an RPC reply (or acks a message) *before* it calls ``worker_result`` on
dependency providers, so committing there would tell a caller "done" before the data is
durable. Entry points therefore call ``uow.commit()`` themselves before they return; the
provider rolls back whatever is left uncommitted and closes the session at the end of
every worker, so a failed worker never half-writes.
"""
from __future__ import annotations

import functools
import logging
import socket
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

from nameko.extensions import DependencyProvider
from sqlalchemy import Table, create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


def make_engine(url: str, idle_before_ping: float | None = None) -> Engine:
    """An engine that behaves well under eventlet for SQLite files and PostgreSQL (pg8000).
    On PostgreSQL a pooled connection idle for ``idle_before_ping`` seconds (default
    ``IDLE_BEFORE_PING_SECONDS``) is pinged before it is handed out (``ping_when_idle``)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection per process: SQLite allows one writer, and a C-level busy wait
        # would block every green thread. The pool's queue is green after monkey patching,
        # so transactions simply take turns.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    url = driver_url(url)
    engine = create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800)
    ping_when_idle(engine, IDLE_BEFORE_PING_SECONDS if idle_before_ping is None else idle_before_ping)
    if "pg8000" in engine.dialect.driver:
        event.listen(engine, "do_execute", _pipelined_execute)
        # pg8000 commits with a parameterised statement (three round trips) and the pool's
        # ping opens a transaction first (two): one simple query each instead, so that a
        # consumer's batch spends its round trips on its statements.
        engine.dialect.do_commit = _commit_in_one_round_trip  # type: ignore[method-assign]
        engine.dialect.do_ping = _ping_in_one_round_trip  # type: ignore[method-assign]

        @event.listens_for(engine, "connect")
        def _no_nagle(dbapi_connection: Any, _record: Any) -> None:
            # pg8000 sends a statement in several writes; with Nagle's algorithm the last
            # small one waits for the server's delayed ACK (40 ms), which made every large
            # multi-row statement of a batch cost ~40 ms on PostgreSQL.
            sock = getattr(dbapi_connection, "_usock", None)
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    return engine


def driver_url(url: str) -> str:
    """``url`` with the driver the services use: a plain ``postgresql://`` (or ``postgres://``)
    URL goes through pg8000, which is pure Python, so its sockets are green under eventlet."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+pg8000://" + url.split("://", 1)[1]
    return url


# A connection given back to the pool less than this long ago is handed out without a ping.
IDLE_BEFORE_PING_SECONDS = 1.0


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_BEFORE_PING_SECONDS) -> None:
    """Ping a pooled connection before it is handed out, as ``pool_pre_ping`` does, but only
    when it sat unused for ``idle_seconds`` or more: a consumer's batches check a connection
    out back to back, and a round trip per batch (and a query for the server to run) bought
    nothing while the connection was in use a moment ago. A connection that fails its ping
    is replaced (``DisconnectionError``: the pool discards it and connects again)."""

    @event.listens_for(engine, "checkin")
    def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # a new connection, or one used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises for a dead connection
            raise DisconnectionError(f"the pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("the pooled connection failed its ping")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class UnitOfWork:
    """One worker's database session. ``commit()`` makes the work durable and then runs
    the after-commit hooks with the session (e.g. waking the outbox relay when the
    transaction staged events: the hook reads what the work left in ``session.info``)."""

    def __init__(self, session_factory: sessionmaker[Session], after_commit: list[Callable[[Session], None]]):
        # Public: work that outlives this worker (a reindex) opens its own sessions with it.
        self.session_factory = session_factory
        self._after_commit = after_commit
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self.session_factory()
        return self._session

    def commit(self) -> None:
        if self._session is None:
            return
        self._session.commit()
        for hook in self._after_commit:
            hook(self._session)

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class Database(DependencyProvider):
    """Gives each worker a ``UnitOfWork``; rolls back and closes it when the worker ends."""

    def __init__(self, settings_cls: type[ServiceSettings]):
        self.settings_cls = settings_cls
        self.after_commit: list[Callable[[Session], None]] = []
        self.engine: Engine | None = None
        # Sessions on the service's database, for code that runs outside a worker; set in setup().
        # (A plain attribute, not a property: nameko inspects a provider's members when binding it.)
        self.session_factory: sessionmaker[Session] | None = None
        self._units: dict[Any, UnitOfWork] = {}

    def _sessions(self) -> sessionmaker[Session]:
        if self.session_factory is None:
            raise RuntimeError("Database provider used before its setup()")
        return self.session_factory

    def setup(self) -> None:
        self.settings = self.settings_cls.load()
        self.engine = make_engine(self.settings.database_url)
        self.session_factory = make_session_factory(self.engine)

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> UnitOfWork:
        unit = UnitOfWork(self._sessions(), self.after_commit)
        self._units[worker_ctx] = unit
        return unit

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        unit = self._units.get(worker_ctx)
        if unit is not None:
            unit.rollback()  # anything the entry point did not commit itself is discarded

    def worker_teardown(self, worker_ctx: Any) -> None:
        unit = self._units.pop(worker_ctx, None)
        if unit is not None:
            unit.close()

    def new_unit(self) -> UnitOfWork:
        """A unit of work outside any worker (timers, background threads)."""
        return UnitOfWork(self._sessions(), self.after_commit)


def sibling_dependency(container: Any, attr_name: str) -> Any:
    """The dependency provider bound to ``attr_name`` on the same service (e.g. its
    ``Database``), for extensions that run outside workers (relays, flushers, runners)."""
    for dependency in container.dependencies:
        if getattr(dependency, "attr_name", None) == attr_name:
            return dependency
    raise LookupError(f"no dependency named {attr_name!r}")


IDS_PER_STATEMENT = 500  # ids of one IN (...) list or rows of one statement (SQLite allows 32,766 parameters)
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = IDS_PER_STATEMENT) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``: set-at-a-time work in bounded statements."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- many rows in one statement, straight to the driver -------------------------------------
#
# SQLAlchemy 2.0 compiles an ``INSERT ... ON CONFLICT`` on every call (its dialect inserts
# have no cache key), and its executemany runs every row's parameters through the compiled
# statement in Python: for a batch of 100 events that was most of the batch's SQL cost.
# These statements are plain SQL that SQLite (3.35+) and PostgreSQL both read, built once
# per (table, row count) and sent with the rows' values flattened, in one round trip.


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                tail: str = "", returning: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """``INSERT INTO table (columns) VALUES (row), (row), ... <tail> [RETURNING returning]``
    in statements of up to ``IDS_PER_STATEMENT`` rows, inside the session's transaction;
    the returned rows. ``tail`` is the conflict clause (column and table names only, no
    parameters); the values pass through each column's own type conversion (a datetime
    becomes SQLite's text, as SQLAlchemy stores it)."""
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect
    processors = _bind_processors(table, tuple(columns), dialect)
    found: list[tuple[Any, ...]] = []
    for chunk in chunks(rows):
        values: list[Any] = []
        for row in chunk:
            if processors:
                row = [value if process is None else process(value) for value, process in zip(row, processors)]
            values.extend(row)
        sql = _insert_sql(table.name, tuple(columns), len(chunk), tail, tuple(returning), parameter_style(dialect))
        result = execute_driver_sql(connection, sql, values)
        if returning:
            found.extend(tuple(row) for row in result.fetchall())
    return found


def select_in(session: Session, table: Table, columns: Sequence[str], key: str, values: Sequence[Any],
              equal: dict[str, Any] | None = None, for_update: bool = False) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE <each of equal> AND key IN (values) [FOR UPDATE]``,
    in chunks of ``IDS_PER_STATEMENT`` values; the rows as the driver gives them."""
    if not values:
        return []
    connection = session.connection()
    style = parameter_style(connection.dialect)
    equal = equal or {}
    found: list[tuple[Any, ...]] = []
    for chunk in chunks(values):
        sql = _select_sql(table.name, tuple(columns), tuple(equal), key, len(chunk), for_update, style)
        found.extend(tuple(row) for row in execute_driver_sql(connection, sql, (*equal.values(), *chunk)).fetchall())
    return found


# A bulk insert at least this many rows past what the planner believes the table holds gets
# the table analysed in the same transaction (``analyze_when_outgrown``).
OUTGROWN_ROWS = 1000


def analyze_when_outgrown(session: Session, table: Table, added: int) -> bool:
    """On PostgreSQL, ``ANALYZE table`` when ``added`` rows (just inserted in this transaction)
    are many and more than the planner's estimate of the table (``pg_class.reltuples``, -1
    before any statistics). A fresh table's first bulk insert otherwise waits up to a minute
    for autovacuum, and meanwhile a join on it is planned for a few hundred rows: a first
    100,000-product campaign's repricing took ~2 s per 500 products against ~0.1 s (ANALYZE
    sees this transaction's own rows; it samples at most 30,000, tens of milliseconds).
    Returns whether it analysed."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or added < OUTGROWN_ROWS:
        return False
    estimate = connection.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (table.name,)).scalar()
    if estimate is not None and estimate >= added:
        return False
    connection.exec_driver_sql(f'ANALYZE "{table.name}"')
    return True


def execute_driver_sql(connection: Connection, sql: str, values: Sequence[Any]) -> CursorResult[Any]:
    """``sql`` (written in the placeholders of ``parameter_style``) with ``values``, straight
    to the driver: on pg8000 in one round trip (``_pipelined_execute``)."""
    return connection.exec_driver_sql(sql, tuple(values), execution_options=PIPELINED)


@functools.lru_cache(maxsize=256)
def _select_sql(table: str, columns: tuple[str, ...], equal: tuple[str, ...], key: str, count: int,
                for_update: bool, style: str) -> str:
    marks = placeholders(style, len(equal) + count)
    conditions = [f"{name} = {mark}" for name, mark in zip(equal, marks)]
    conditions.append(f"{key} IN ({', '.join(marks[len(equal):])})")
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {' AND '.join(conditions)}"
    return sql + " FOR UPDATE" if for_update else sql


def parameter_style(dialect: Dialect) -> str:
    """How statements built here mark their parameters: ``?`` (SQLite), ``$`` (PostgreSQL's
    own ``$1, $2, ...``: sent as they are on pg8000, which would otherwise rewrite every
    ``%s`` of a long multi-row statement in Python) or ``%s``."""
    if dialect.paramstyle == "qmark":
        return "?"
    if dialect.driver == "pg8000":
        return "$"
    if dialect.paramstyle == "format":
        return "%s"
    raise NotImplementedError(f"no multi-row statement for the {dialect.paramstyle} parameter style")


def placeholders(style: str, count: int, first: int = 1) -> list[str]:
    """``count`` parameter marks of ``style`` (``parameter_style``), numbered from ``first``."""
    if style == "$":
        return [f"${n}" for n in range(first, first + count)]
    return [style] * count


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...], count: int, tail: str, returning: tuple[str, ...],
                style: str) -> str:
    marks = placeholders(style, len(columns) * count)
    width = len(columns)
    rows = ", ".join("(" + ", ".join(marks[n:n + width]) + ")" for n in range(0, len(marks), width))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {rows}"
    if tail:
        sql += " " + tail
    if returning:
        sql += " RETURNING " + ", ".join(returning)
    return sql


@functools.lru_cache(maxsize=64)
def _bind_processors(table: Table, columns: tuple[str, ...], dialect: Dialect) -> list[Any] | None:
    """Each column's conversion of a Python value for the driver (None: as is); None when no
    column needs one."""
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    return processors if any(p is not None for p in processors) else None


# --- pg8000: one round trip per statement ----------------------------------------------------
#
# pg8000 runs a statement with parameters in three round trips (Parse and Sync; Describe and
# Sync; Bind, Execute and Sync) and opens a transaction with one more. On a busy machine each
# round trip waits for the server process and then for this one to be scheduled again, and a
# batch's few statements spent more time waiting than working. ``execute_driver_sql`` asks
# for what psycopg and asyncpg do: Parse, Bind, Describe, Execute and Sync written together
# (after the transaction's BEGIN when there is none yet), and the answers read once.

PIPELINED = {"pg8000_pipelined": True}


def _commit_in_one_round_trip(dbapi_connection: Any) -> None:
    dbapi_connection.execute_simple("commit")


def _ping_in_one_round_trip(dbapi_connection: Any) -> bool:
    dbapi_connection.execute_simple("SELECT 1")  # outside a transaction: none is left open
    return True  # exec_driver_sql's execution option


def _pipelined_execute(cursor: Any, statement: str, parameters: Sequence[Any], context: Any) -> bool:
    """The engine's ``do_execute`` hook: runs a statement asked for with ``PIPELINED`` (its
    parameters written as ``$n``); False leaves any other statement to pg8000. Errors come as
    pg8000's cursor raises them (a unique violation is an IntegrityError), and SQLAlchemy
    wraps them as it wraps the cursor's."""
    if not context.execution_options.get("pg8000_pipelined"):
        return False
    import pg8000
    from pg8000 import core
    from pg8000.exceptions import DatabaseError

    connection = cursor._c
    begin = not connection._in_transaction and not connection.autocommit
    encoding = connection._client_encoding
    if begin:
        connection.send_QUERY("begin transaction")
    connection._send_message(core.PARSE, core.NULL_BYTE + statement.encode(encoding) + core.NULL_BYTE + core.H_pack(0))
    # Bind: unnamed portal and statement, every value in text format, every result column too.
    bind = bytearray(core.NULL_BYTE + core.NULL_BYTE + core.H_pack(0))
    params = core.make_params(connection.py_types, parameters)
    bind.extend(core.H_pack(len(params)))
    for value in params:
        if value is None:
            bind.extend(core.i_pack(-1))
        else:
            data = value.encode(encoding)
            bind.extend(core.i_pack(len(data)))
            bind.extend(data)
    bind.extend(core.H_pack(0))
    connection._send_message(core.BIND, bind)
    connection._send_message(core.DESCRIBE, core.PORTAL + core.NULL_BYTE)
    core._write(connection._sock, core.EXECUTE_MSG)
    core._write(connection._sock, core.SYNC_MSG)
    core._flush(connection._sock)
    result = core.Context(statement)
    error: Exception | None = None
    for answer in ([core.Context("begin transaction")] if begin else []) + [result]:
        try:
            connection.handle_messages(answer)  # reads up to its ReadyForQuery, then raises
        except Exception as exc:  # noqa: BLE001 - the next answer is still to be read
            error = error or exc
    if error is not None:
        if isinstance(error, DatabaseError) and isinstance(error.args[0], dict):
            # As pg8000's cursor translates the server's errors.
            code = error.args[0].get("C")
            kind = (pg8000.InterfaceError if code == "28000" else
                    pg8000.IntegrityError if code == "23505" else pg8000.ProgrammingError)
            raise kind(error.args[0]) from error
        raise error
    cursor._context = result
    cursor._row_iter = iter(result.rows or [])
    return True
