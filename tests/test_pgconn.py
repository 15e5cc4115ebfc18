"""PostgreSQL connections keep their prepared statements across a rollback, and a rollback still rolls back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from core import pgconn
from core.db import db
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="psycopg's prepared statements exist on PostgreSQL only")

PROBE = text("SELECT count(*) FROM sections WHERE code = :code")


@pytest.fixture
def conn(app: Flask) -> Iterator[Connection]:
    """One pooled connection held for the whole test (a session may hand back a different one after a rollback)."""
    with db.engine.connect() as connection:
        yield connection


def _probe_prepared(conn: Connection) -> bool:
    statements = conn.scalars(text("SELECT statement FROM pg_prepared_statements"))
    return any("FROM sections WHERE code" in s for s in statements)


def _run_probe_until_prepared(conn: Connection) -> None:
    for _ in range(6):  # psycopg prepares a statement on its 6th run (prepare_threshold 5)
        conn.execute(PROBE, {"code": "shimin"})
    assert _probe_prepared(conn)


def test_a_rollback_keeps_the_connections_prepared_statements(conn: Connection) -> None:
    _run_probe_until_prepared(conn)
    conn.rollback()  # how a read-only request ends
    assert _probe_prepared(conn), "the prepared statement must survive the rollback"
    assert conn.execute(PROBE, {"code": "shimin"}).scalar() == 1  # runs as the prepared statement
    conn.rollback()


def test_psycopgs_own_rollback_would_have_dropped_them(conn: Connection) -> None:
    """The behaviour the module works around: without it, the same rollback empties the statement cache."""
    _run_probe_until_prepared(conn)
    conn.connection.driver_connection.rollback()
    assert not _probe_prepared(conn)
    conn.rollback()


def test_the_rollback_still_undoes_the_transaction(conn: Connection) -> None:
    conn.execute(text("UPDATE sections SET name = 'rolled back' WHERE code = 'shimin'"))
    conn.rollback()
    assert conn.scalar(text("SELECT name FROM sections WHERE code = 'shimin'")) != "rolled back"
    conn.rollback()


def test_a_failed_transaction_is_rolled_back_and_the_connection_is_usable(conn: Connection) -> None:
    with pytest.raises(DBAPIError, match="division by zero"):
        conn.execute(text("SELECT 1 / 0"))
    conn.rollback()
    assert conn.scalar(text("SELECT 41 + 1")) == 42
    conn.rollback()


def test_the_engine_uses_the_keeping_rollback(app: Flask) -> None:
    assert db.engine.dialect.do_rollback is pgconn._rollback_keeping_prepared  # noqa: SLF001


def test_ending_a_session_whose_server_went_away_does_not_raise(app: Flask) -> None:
    """The server restarted between a request's last statement and its end: closing the session (Flask's
    teardown) rolls back a connection that is gone. That raised, after the view had answered, and gunicorn
    sent a 500 (bench/faults.py). Nothing is left to undo; the pool's pre-ping replaces the connection."""
    import time

    pid = db.session.scalar(text("SELECT pg_backend_pid()"))  # the session's transaction stays open
    with db.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):
            if not other.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                break
            time.sleep(0.02)
        other.rollback()
    db.session.close()  # raised OperationalError ("the connection is lost") before the fix
    assert db.session.scalar(text("SELECT pg_backend_pid()")) != pid  # a fresh connection, no restart
