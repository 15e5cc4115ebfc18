"""Write-behind on PostgreSQL: a unit of work's writes travel in one round trip, with its COMMIT.

Why: on PostgreSQL every statement is a network round trip, and after the Python work of an engine step the
idle server process must be woken for each one (0.1–0.3 ms here, docs/engine.md). A task completion writes
four rows (the case, the completed task, the tasks it opened, the operation-log entry) and then commits: five
round trips, where the step itself takes about a millisecond. None of those writes returns anything the step
needs, so they are queued and sent with psycopg's pipeline mode, in order, together with the COMMIT.

What keeps this equivalent to executing each statement at once:

* **Order and visibility.** The queue is sent before any other statement runs on the connection (an engine
  ``before_cursor_execute`` hook; savepoints are statements too), so a later read in the same transaction sees
  every queued write, and nothing overtakes it.
* **Optimistic locking.** A write that must change exactly *n* rows (``UPDATE … WHERE version = :expected``)
  is queued as a statement that makes the *server* raise when it does not (``madoguchi_expect_rows``,
  migration 0013). The error aborts the pipeline — the COMMIT after it is never run — and reaches the caller as
  SQLAlchemy's ``StaleDataError``, exactly what the immediate rowcount check raises, so :func:`core.tx.atomic`
  retries or reports a conflict as before. Any other database error arrives as SQLAlchemy's own exception class
  (``IntegrityError``…), at the commit instead of at the call.
* **Rollback** drops the queue. A pipeline that failed is ended with psycopg's own rollback, which also forgets
  the statements psycopg believes it prepared in it (see ``_failed``).

SQLite has no network: there every write runs at once, as before, and ``expect_rows`` is checked on the spot.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Engine, Text, bindparam, event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import UpdateBase

try:
    import psycopg
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs still import this module
    psycopg = None

# The SQLSTATE ``madoguchi_expect_rows`` raises for a row count that is not the expected one.
STALE_SQLSTATE = "MD409"
_ENABLED = "_madoguchi_writebehind"  # set on the dialect of an engine that queues


@dataclass(frozen=True)
class _Compiled:
    sql: str
    processors: Mapping[str, Any]
    compiled: Any


@dataclass(frozen=True)
class _Queued:
    compiled: _Compiled
    params: list[dict[str, Any]]


# The queued writes of each psycopg connection (weakly keyed: a closed connection takes its queue with it).
_queues: weakref.WeakKeyDictionary[Any, list[_Queued]] = weakref.WeakKeyDictionary()
# Compiled once per statement (and parameter names), keyed by id(); the statement is kept in the value, so
# the id cannot be reused by another object. The statements are module constants of the callers.
_compiled: dict[tuple[int, tuple[str, ...]], tuple[Executable, _Compiled]] = {}
_guarded: dict[int, tuple[Executable, Executable]] = {}
# Connections whose last pipeline failed. psycopg marks a statement it prepares inside a pipeline as prepared
# when it sends it, not when the server confirms; if an earlier statement aborted the pipeline, the server never
# saw it. psycopg's own rollback() forgets every prepared statement, which covers this; the plain ROLLBACK of
# core.pgconn keeps them, so these connections get psycopg's rollback instead (see take_full_rollback). A
# pipeline that failed with its COMMIT is rolled back with psycopg's rollback at once.
_failed: weakref.WeakSet[Any] = weakref.WeakSet()


def install(engine: Engine) -> None:
    """Turn write-behind on for ``engine`` (psycopg only; other drivers keep executing at once)."""
    if engine.dialect.driver != "psycopg" or psycopg is None:
        return
    setattr(engine.dialect, _ENABLED, True)
    event.listen(engine, "before_cursor_execute", _send_before_statement)
    event.listen(engine, "commit", _send_with_commit)
    event.listen(engine, "rollback", _drop_on_rollback)


def write(conn: Connection, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
          expect_rows: int | None = None, stale: str = "") -> None:
    """Execute ``statement`` in ``conn``'s transaction — now, or with the connection's next round trip.

    ``expect_rows``: the number of rows it must change (an UPDATE or DELETE); otherwise ``StaleDataError(stale)``.
    ``params``: one mapping, or several for an executemany INSERT."""
    rows = [dict(params)] if isinstance(params, Mapping) else [dict(p) for p in params]
    if not rows:
        return
    if not queues(conn):
        result = conn.execute(statement, rows if len(rows) > 1 else rows[0])
        if expect_rows is not None and result.rowcount != expect_rows:
            raise StaleDataError(stale)
        return
    if expect_rows is not None:
        statement = _guard(statement)
        rows = [{**row, "expected_rows": expect_rows, "stale": stale} for row in rows]
    compiled = _compile(conn, statement, rows[0])
    if not conn.in_transaction():
        conn.begin()  # as executing would (autobegin), so that the commit — and its hook — happens
    _queues.setdefault(conn.connection.dbapi_connection, []).append(_Queued(compiled, rows))


def queues(conn: Connection) -> bool:
    """Whether writes on ``conn`` are queued (PostgreSQL with write-behind installed, in a transaction that ends
    with a commit) rather than run at once. An AUTOCOMMIT connection has no commit to send them with."""
    return bool(getattr(conn.dialect, _ENABLED, False)) \
        and conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT"


def send(conn: Connection) -> None:
    """Send ``conn``'s queued writes now (a caller about to use the driver connection directly, e.g. COPY)."""
    _send(conn.connection.dbapi_connection, commit=False)


def pending(conn: Connection) -> int:
    """How many writes wait on ``conn`` (for tests and diagnostics)."""
    return len(_queues.get(conn.connection.dbapi_connection, []))


def drop(dbapi_connection: Any) -> None:
    """Forget ``dbapi_connection``'s queued writes (its transaction is being rolled back)."""
    _queues.pop(_driver(dbapi_connection), None)


def take_full_rollback(dbapi_connection: Any) -> bool:
    """Whether this rollback must be psycopg's own, which also forgets the prepared statements (once)."""
    connection = _driver(dbapi_connection)
    if connection in _failed:
        _failed.discard(connection)
        return True
    return False


def _driver(dbapi_connection: Any) -> Any:
    # SQLAlchemy may hand over its own proxy of the driver's connection (the engine's first connect does).
    return getattr(dbapi_connection, "dbapi_connection", dbapi_connection)


def _guard(statement: Executable) -> Executable:
    """``statement`` as a SELECT that raises ``STALE_SQLSTATE`` unless it changed ``:expected_rows`` rows."""
    found = _guarded.get(id(statement))
    if found is None:
        if not isinstance(statement, UpdateBase):
            raise TypeError("only an INSERT, UPDATE or DELETE can be guarded by a row count")
        changed = statement.returning(*statement.table.primary_key.columns).cte("changed")
        guarded = select(func.madoguchi_expect_rows(func.count(), bindparam("expected_rows", type_=BigInteger),
                                                    bindparam("stale", type_=Text))).select_from(changed)
        found = _guarded[id(statement)] = (statement, guarded)
    return found[1]


def _compile(conn: Connection, statement: Executable, params: Mapping[str, Any]) -> _Compiled:
    """The statement's SQL for the driver, compiled once per statement and parameter names."""
    key = (id(statement), tuple(params))
    found = _compiled.get(key)
    if found is None:
        compiled = statement.compile(dialect=conn.dialect, column_keys=list(params))  # type: ignore[attr-defined]
        found = _compiled[key] = (statement, _Compiled(compiled.string, dict(compiled._bind_processors), compiled))
    return found[1]


def _driver_params(compiled: _Compiled, row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's values as SQLAlchemy would hand them to the driver (type processors applied)."""
    values = compiled.compiled.construct_params(row)
    for name, process in compiled.processors.items():
        if name in values:
            values[name] = process(values[name])
    return values


def _send(dbapi_connection: Any, *, commit: bool) -> None:
    """Send the queue (and COMMIT) in one pipeline; without a queue the commit is left to the driver."""
    queue = _queues.pop(dbapi_connection, None)
    if not queue:
        return
    try:
        with dbapi_connection.cursor() as cursor, dbapi_connection.pipeline():
            for queued in queue:
                rows = [_driver_params(queued.compiled, row) for row in queued.params]
                if len(rows) == 1:
                    cursor.execute(queued.compiled.sql, rows[0])
                else:
                    cursor.executemany(queued.compiled.sql, rows)
            if commit:
                # Sent as a statement, not as connection.commit(): that one syncs on its own, a round trip more.
                cursor.execute("COMMIT", prepare=False)
    except psycopg.Error as err:
        if commit:
            # SQLAlchemy takes a failed commit as the end of the transaction and will not roll it back; the
            # aborted pipeline left it open (and failed) on the server. psycopg's own rollback ends it (a broken
            # connection cannot, and the pool discards it: the error below is the one to report).
            with contextlib.suppress(psycopg.Error):
                dbapi_connection.rollback()
        else:
            _failed.add(dbapi_connection)
        if err.sqlstate == STALE_SQLSTATE:
            raise StaleDataError(err.diag.message_primary or str(err)) from err
        statements = ";\n".join(q.compiled.sql for q in queue)
        raise DBAPIError.instance(statements, None, err, psycopg.Error) from err


def _send_before_statement(conn: Connection, _cursor: Any, statement: str, parameters: Any, _context: Any,
                           _executemany: bool) -> None:
    _send(conn.connection.dbapi_connection, commit=False)


def _send_with_commit(conn: Connection) -> None:
    # When the queue went out with its COMMIT, the driver's own commit() finds no transaction and does nothing.
    _send(conn.connection.dbapi_connection, commit=True)


def _drop_on_rollback(conn: Connection) -> None:
    if conn.invalidated:
        # The connection was lost (the server restarted or went away): its driver connection is closed and
        # discarded with its queue. Asking for it would raise PendingRollbackError here, in the middle of the
        # rollback, and turn a "database unavailable" (503) into an unexpected error (bench/faults.py).
        return
    if conn.connection.dbapi_connection is not None:
        drop(conn.connection.dbapi_connection)
