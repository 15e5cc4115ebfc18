"""PostgreSQL connections that keep their prepared statements across a ROLLBACK.

psycopg prepares a statement on the server once the same SQL has run ``prepare_threshold`` (5) times on a
connection; after that, the server skips parsing and planning it. But psycopg forgets every prepared statement
on each ``rollback()`` (and sends ``DEALLOCATE ALL``), in case the rolled-back transaction had created the
objects they refer to. Every read-only request ends in a rollback when its session closes, so on a pooled
connection the hot statements (a task with its case, the case UPDATE, the operation-log append) were almost
never prepared: each paid 0.1–0.3 ms of parse and plan on the server, about a third of a task completion's
time in the database (seen in the PostgreSQL log; docs/engine.md, "One operation, one transaction").

The application's transactions never create or change tables: only migrations do, and a ``DROP``/``ALTER``
still makes psycopg forget its statements as before. So a rollback here is sent as the plain libpq command,
which ends the transaction and leaves psycopg's statement cache as it was. Anything unusual (a broken
connection, a pipeline, a failed ROLLBACK, a write-behind pipeline that failed: :mod:`core.writebehind`) falls
back to psycopg's own ``rollback()``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from core import writebehind

try:
    from psycopg import pq
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs still import this module
    pq = None


def _rollback_keeping_prepared(dbapi_connection: Any) -> None:
    writebehind.drop(dbapi_connection)  # also the pool's reset on check-in, which fires no rollback event
    if writebehind.take_full_rollback(dbapi_connection):
        _rollback(dbapi_connection)
        return
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pq is not None and pgconn is not None and pgconn.status == pq.ConnStatus.OK \
            and pgconn.pipeline_status == pq.PipelineStatus.OFF \
            and pgconn.transaction_status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
        if pgconn.exec_(b"ROLLBACK").status == pq.ExecStatus.COMMAND_OK:
            return
    _rollback(dbapi_connection)


def _rollback(dbapi_connection: Any) -> None:
    """psycopg's rollback, except on a connection the server has gone from (restarted, killed): the server
    ended its transaction with it, so there is nothing left to undo. Raising there — typically from the
    session's close at the end of a request, after the view answered — made gunicorn answer 500 (found by
    bench/faults.py). The broken connection goes back to the pool, whose pre-ping replaces it at its next
    checkout (``core.settings``)."""
    try:
        dbapi_connection.rollback()
    except Exception:
        if getattr(dbapi_connection, "broken", False):
            return
        raise


def keep_prepared_statements(engine: Engine) -> None:
    """Make ``engine`` (psycopg) end its transactions without dropping the connection's prepared statements."""
    if engine.dialect.driver != "psycopg":
        return
    engine.dialect.do_rollback = _rollback_keeping_prepared  # type: ignore[method-assign]
