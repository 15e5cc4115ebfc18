"""Several clerks complete the same task at the same moment: exactly one wins, nothing is doubled.

Runs on whichever database the suite runs on; the PostgreSQL run is the one that matters for
production (row locks + optimistic versions under READ COMMITTED).
"""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func

from core.db import db
from core.errors import Conflict
from core.models import AuditEntry
from core.tx import atomic
from tests.conftest import TENNYU_FIXTURE, actor, deploy_library
from tests.workflows.test_runtime import RECEPTION, ready, start_tennyu
from workflows import registry, runtime
from workflows.models import Case, CaseTask, SpecSnapshot

CLIENTS = 8


def _race(app: Flask, task_id: int, username: str, data: dict) -> list[str]:
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk() -> None:
        with app.app_context():
            who = actor(username)
            db.session.rollback()
            barrier.wait()
            try:
                atomic(lambda: runtime.complete_task(task_id=task_id, data=data, actor=who))
                result = "won"
            except Conflict:
                result = "conflict"
            except Exception as err:  # noqa: BLE001 - any other outcome is a failure we want to see
                result = f"error: {type(err).__name__}: {err}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=clerk) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_same_task_completed_by_many_clients_has_one_winner(app: Flask) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    reception_id = ready(case)["reception"].id
    db.session.commit()
    outcomes = _race(app, reception_id, "counter", RECEPTION)
    assert sorted(outcomes) == ["conflict"] * (CLIENTS - 1) + ["won"], outcomes
    db.session.expire_all()
    task = db.session.get(CaseTask, reception_id)
    assert task.state == "completed" and task.version == 2
    completions = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "task.complete")).all()
    assert len(completions) == 1
    # the case moved on exactly once: one set of section tasks
    assert sorted(t.spec_name for t in runtime.list_tasks(case_id=case.id)) == ["hoken_entry", "juki_entry"]


def test_parallel_sections_completing_at_once_both_count(app: Flask) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    atomic(lambda: runtime.complete_task(task_id=ready(case)["reception"].id, data=RECEPTION,
                                         actor=actor("counter")))
    tasks = ready(case)
    db.session.commit()
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def section(task_id: int, username: str) -> None:
        with app.app_context():
            who = actor(username)
            db.session.rollback()
            barrier.wait()
            try:
                atomic(lambda: runtime.complete_task(task_id=task_id, data={"outcome": "accepted"}, actor=who))
            except Exception as err:  # noqa: BLE001
                errors.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=section, args=(tasks["juki_entry"].id, "shimin")),
               threading.Thread(target=section, args=(tasks["hoken_entry"].id, "hoken"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    assert runtime.get_case(case.id).state == "completed"


def test_first_cases_of_a_new_library_started_at_once_share_one_snapshot(app: Flask) -> None:
    """Every worker misses the snapshot of a fresh library at once; all starts succeed on one stored row."""
    deploy_library(TENNYU_FIXTURE)
    db.session.commit()
    registry._current_hashes.clear()
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk() -> None:
        with app.app_context():
            db.session.rollback()
            barrier.wait()
            try:
                atomic(lambda: runtime.start_case(process_key="tennyu", actor=actor("counter")))
                result = "started"
            except Exception as err:  # noqa: BLE001 - any failure is what this test looks for
                result = f"error: {type(err).__name__}: {err}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=clerk) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == ["started"] * CLIENTS, outcomes
    db.session.expire_all()
    assert db.session.scalar(db.select(func.count()).select_from(SpecSnapshot)) == 1
    assert db.session.scalar(db.select(func.count()).select_from(Case)) == CLIENTS
