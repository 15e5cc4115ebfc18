"""Write-behind: on PostgreSQL a completion's writes wait and travel with the COMMIT; nothing else changes.

Each test checks one promise of core/writebehind.py against the real database: the writes are queued and
invisible elsewhere until the commit, a read in the same transaction sees them, a stale version fails the whole
transaction (no write of it lands), a rollback forgets them, other database errors keep SQLAlchemy's classes,
and a missing chain head fails the transaction instead of losing the log entry. The last test runs on every
backend: the same calls on SQLite execute at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core import audit, writebehind
from core.db import db
from core.models import AuditEntry
from tests.conftest import BACKEND, TENNYU_FIXTURE, actor, deploy_library
from tests.workflows.test_runtime import RECEPTION, ready, start_tennyu
from web.app import create_app
from workflows import caserows, runtime
from workflows.models import Case, CaseTask

postgres_only = pytest.mark.skipif(BACKEND != "postgres", reason="only PostgreSQL queues writes")


@pytest.fixture
def reception(app: Flask) -> CaseTask:
    """A committed 転入 case whose reception task is READY."""
    deploy_library(TENNYU_FIXTURE)
    task = ready(start_tennyu())["reception"]
    db.session.commit()
    return task


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """The statements SQLAlchemy runs (queued writes are sent by the driver directly and do not appear)."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def _elsewhere(statement: Any) -> Any:
    """``statement``'s answer on another connection: what committed data says."""
    with Session(db.engine) as other:
        return other.scalar(statement)


def _completions() -> Any:
    return select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "task.complete")


@postgres_only
def test_a_completions_writes_wait_for_the_commit_and_land_with_it(reception: CaseTask,
                                                                    statements: list[str]) -> None:
    task_id, case_id, counter = reception.id, reception.case_id, actor("counter")
    db.session.remove()  # as a request starts
    statements.clear()
    runtime.complete_task(task_id=task_id, data=RECEPTION, actor=counter)
    conn = db.session.connection()
    assert writebehind.pending(conn) == 4  # case, completed task, the two section tasks (one INSERT), the log entry
    assert len(statements) == 1 and statements[0].lstrip().startswith("SELECT")  # the task with its case
    assert _elsewhere(select(CaseTask.state).where(CaseTask.id == task_id)) == "ready"
    assert _elsewhere(_completions()) == 0

    dbapi_connection = conn.connection.dbapi_connection
    db.session.commit()
    assert writebehind._queues.get(dbapi_connection) is None  # noqa: SLF001
    assert _elsewhere(select(CaseTask.state).where(CaseTask.id == task_id)) == "completed"
    assert _elsewhere(select(Case.version).where(Case.id == case_id)) == 2
    assert _elsewhere(_completions()) == 1
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "task.complete")).one()
    assert entry.hash == audit.digest(entry)  # numbered and hashed on the server, as Python hashes it
    assert sorted(t.spec_name for t in runtime.list_tasks(case_id=case_id)) == ["hoken_entry", "juki_entry"]


@postgres_only
def test_a_read_in_the_same_transaction_sees_the_queued_writes(reception: CaseTask) -> None:
    runtime.complete_task(task_id=reception.id, data=RECEPTION, actor=actor("counter"))
    conn = db.session.connection()
    assert writebehind.pending(conn) == 4
    assert db.session.scalar(_completions()) == 1  # sent before this SELECT, in the open transaction
    assert writebehind.pending(conn) == 0
    assert _elsewhere(_completions()) == 0  # and still not committed
    db.session.rollback()
    assert _elsewhere(_completions()) == 0


@postgres_only
def test_a_stale_version_fails_the_commit_and_none_of_the_transactions_writes_land(reception: CaseTask) -> None:
    runtime.complete_task(task_id=reception.id, data=RECEPTION, actor=actor("counter"))
    with Session(db.engine) as other:  # someone else changes the case meanwhile
        other.execute(update(Case).where(Case.id == reception.case_id).values(version=Case.version + 1))
        other.commit()
    with pytest.raises(StaleDataError, match=f"cases {reception.case_id}: version 1 was changed by someone else"):
        db.session.commit()
    db.session.rollback()
    assert _elsewhere(select(CaseTask.state).where(CaseTask.id == reception.id)) == "ready"
    assert _elsewhere(select(func.count()).select_from(CaseTask).where(CaseTask.case_id == reception.case_id)) == 1
    assert _elsewhere(_completions()) == 0  # the log entry queued after the stale UPDATE is gone with it
    assert db.session.scalar(text("SELECT 1")) == 1  # the connection is usable again


@postgres_only
def test_a_rollback_forgets_the_queue(reception: CaseTask) -> None:
    runtime.complete_task(task_id=reception.id, data=RECEPTION, actor=actor("counter"))
    conn = db.session.connection()
    dbapi_connection = conn.connection.dbapi_connection
    db.session.rollback()
    assert writebehind._queues.get(dbapi_connection) is None  # noqa: SLF001
    db.session.commit()
    assert _elsewhere(select(CaseTask.state).where(CaseTask.id == reception.id)) == "ready"
    assert _elsewhere(_completions()) == 0


@postgres_only
def test_another_database_error_arrives_at_the_commit_as_sqlalchemys_own(reception: CaseTask) -> None:
    row = {"case_id": reception.case_id, "task_uuid": reception.task_uuid, "spec_name": "x", "title": "x",
           "lane": None, "section_code": None, "form_key": None, "state": "ready", "assignee": None,
           "created_at": reception.created_at, "claimed_at": None, "completed_at": None, "completed_by": None,
           "due_at": None, "version": 1}
    writebehind.write(db.session.connection(), caserows._INSERT_TASK, row)  # noqa: SLF001 - same uuid twice
    with pytest.raises(IntegrityError, match="uq_case_tasks_case_task"):
        db.session.commit()
    db.session.rollback()


@postgres_only
def test_a_missing_chain_head_fails_the_transaction_instead_of_losing_the_entry(app: Flask) -> None:
    db.session.execute(text("DELETE FROM audit_chain_head"))
    db.session.commit()
    audit.record(actor=actor("manager"), action="test.headless")
    with pytest.raises(DatabaseError, match="the operation log has no chain head"):
        db.session.commit()
    db.session.rollback()
    assert _elsewhere(select(func.count()).select_from(AuditEntry)) == 0


@postgres_only
@pytest.mark.parametrize("sent_by", ["commit", "a later statement"])
def test_statements_prepared_in_a_failed_pipeline_do_not_linger(app: Flask, sent_by: str) -> None:
    """psycopg counts a statement prepared when it queues it; if an earlier one aborted the pipeline, the server
    never prepared it. The rollback after such a failure must forget psycopg's prepared statements — and end
    the failed transaction even when it was the commit that failed (SQLAlchemy then rolls nothing back)."""
    touch = text("UPDATE sections SET name = name WHERE code = :code")
    never = {"row_id": -1, "expected": 1, "state": "completed", "assignee": None, "completed_at": None,
             "completed_by": None, "form_data": None}
    with db.engine.connect() as conn:
        for _ in range(8):  # past psycopg's prepare threshold (5), every time behind a failing statement
            writebehind.write(conn, caserows._UPDATE_TASK, never, expect_rows=1, stale="no such task")  # noqa: SLF001
            writebehind.write(conn, touch, {"code": "shimin"})
            with pytest.raises(StaleDataError, match="no such task"):
                conn.commit() if sent_by == "commit" else conn.execute(text("SELECT 1"))
            conn.rollback()
        writebehind.write(conn, touch, {"code": "shimin"})
        conn.commit()  # "prepared statement … does not exist" if psycopg still believed in it


@postgres_only
def test_an_autocommit_connection_writes_at_once(app: Flask) -> None:
    rename = text("UPDATE sections SET name = :name WHERE code = 'shimin'")
    name = _elsewhere(text("SELECT name FROM sections WHERE code = 'shimin'"))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        writebehind.write(conn, rename, {"name": "at once"})
        assert writebehind.pending(conn) == 0
        assert _elsewhere(text("SELECT name FROM sections WHERE code = 'shimin'")) == "at once"
        conn.execute(rename, {"name": name})  # sections are kept between tests


@postgres_only
def test_the_setting_turns_it_off(app: Flask) -> None:
    """MADOGUCHI_PG_WRITEBEHIND=0: every write is its own round trip again (a pooler without pipelines)."""
    settings = dataclasses.replace(app.config["MADOGUCHI"], pg_writebehind=False)
    other = create_app({"TESTING": True, "MADOGUCHI": settings, **settings.to_flask_config()})
    with other.app_context():
        with db.engine.connect() as conn:
            assert not writebehind.queues(conn)
        db.engine.dispose()
    with db.engine.connect() as conn:
        assert writebehind.queues(conn)


def test_a_stale_write_raises_by_the_commit_on_every_backend(reception: CaseTask) -> None:
    """SQLite checks the row count at once; PostgreSQL's server checks it when the queue is sent."""
    task = db.session.get(CaseTask, reception.id)
    rows = CaseTask.__table__  # a Core UPDATE: the loaded task keeps version 1, as a concurrent clerk's would
    db.session.execute(rows.update().where(rows.c.id == task.id).values(version=rows.c.version + 1))
    with pytest.raises(StaleDataError, match=f"case_tasks {task.id}: version 1 was changed by someone else"):
        caserows.write_completed_task(task, by="counter", now=task.created_at)
        db.session.commit()
    db.session.rollback()
    assert _elsewhere(select(CaseTask.version).where(CaseTask.id == reception.id)) == 1



@postgres_only
def test_a_lost_connection_rolls_back_without_a_second_error(reception: CaseTask) -> None:
    """The server gone mid-transaction (a restart, bench/faults.py): SQLAlchemy invalidates the connection, and
    the rollback must end the transaction quietly — not raise PendingRollbackError from the write-behind's
    rollback hook, which turned the request's 503 ("database unavailable") into a 500."""
    runtime.complete_task(task_id=reception.id, data=RECEPTION, actor=actor("counter"))
    connection = db.session.connection()
    assert writebehind.pending(connection) > 0
    connection.invalidate()
    db.session.rollback()  # raised PendingRollbackError before the fix
    assert db.session.get(CaseTask, reception.id).state == "ready"
