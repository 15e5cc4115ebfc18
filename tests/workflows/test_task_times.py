"""Waiting and handling as people experience them: opening the task page starts the handling (claiming is
optional), and the manager's view shows non-zero times for tasks completed without claiming."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.db import db, utcnow
from core.tx import atomic
from tests.conftest import DATA_DIR, actor, api_headers, csrf_token, login
from web.model_rules import deploy_files
from workflows import dashboard, runtime
from workflows.models import CaseTask


def _review_task(created_minutes_ago: int) -> int:
    deploy_files(files=[("fee_stop.bpmn", (DATA_DIR / "incidents/fee_stop.bpmn").read_bytes())],
                 actor=actor("designer"))
    db.session.commit()
    case = atomic(lambda: runtime.start_case(process_key="incident_fee", actor=actor("counter"), data={"copies": 1},
                                             now=utcnow() - timedelta(minutes=created_minutes_ago)))
    return next(t.id for t in case.tasks if t.state == "ready")


def _opened_at(task_id: int):  # noqa: ANN202
    db.session.expire_all()
    return db.session.get(CaseTask, task_id).opened_at


def test_opening_the_task_page_starts_the_handling_once_and_a_manager_reading_does_not(
        app: Flask, client: FlaskClient) -> None:
    task_id = _review_task(5)
    assert client.get(f"/api/v1/tasks/{task_id}", headers=api_headers("manager")).status_code == 200
    assert _opened_at(task_id) is None  # a manager reads; nobody works it yet
    login(client, "shimin")
    assert client.get(f"/tasks/{task_id}").status_code == 200
    first = _opened_at(task_id)
    assert first is not None and abs((utcnow() - first).total_seconds()) < 60
    version = db.session.get(CaseTask, task_id).version
    assert client.get(f"/api/v1/tasks/{task_id}", headers=api_headers("shimin")).get_json()["opened_at"]
    assert _opened_at(task_id) == first and db.session.get(CaseTask, task_id).version == version


def test_tasks_completed_without_claiming_give_waiting_and_handling_on_the_managers_view(
        app: Flask, client: FlaskClient) -> None:
    task_id = _review_task(40)
    task = runtime.get_task(task_id)
    atomic(lambda: runtime.mark_opened(task, actor=actor("shimin"), now=task.created_at + timedelta(minutes=10)))
    login(client, "shimin")
    page = client.get(f"/tasks/{task_id}")  # already opened: the first opening stays
    assert page.status_code == 200
    version = str(db.session.get(CaseTask, task_id).version)
    response = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_token(client, f"/tasks/{task_id}"),
                                                      "version": version, "outcome": "accepted"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    done = db.session.get(CaseTask, _expire(task_id))
    assert done.state == "completed" and done.claimed_at is None
    now = utcnow()
    [row] = [r for c, r in dashboard.section_stats(start=now - timedelta(hours=2), end=now + timedelta(seconds=1),
                                                     now=now).items() if c == "shimin"]
    assert row.avg_wait == 10.0 and 29.0 < row.avg_handle < 31.0
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    login(client, "manager")
    html = client.get("/manager/").get_data(as_text=True)
    cells = re.search(r'<tr data-section="shimin">(.*?)</tr>', html, re.S).group(1)
    numbers = re.findall(r"<td>([0-9.]+)</td>", cells)
    assert "10.0" in numbers and any(29.0 < float(n) < 31.0 for n in numbers), cells


def _expire(task_id: int) -> int:
    db.session.expire_all()
    return task_id


def test_a_task_completed_by_another_terminal_after_it_was_read_counts_as_completed(app: Flask) -> None:
    """The dashboard reads the queue, then the period; a task loaded in the request and completed meanwhile by
    another terminal (here: a statement that bypasses this session) must not come back with its old state (the
    manager's page answered 500 under load: ``None - datetime``)."""
    task_id = _review_task(20)
    loaded = db.session.get(CaseTask, task_id)  # in this session's identity map, ready
    now = utcnow()
    db.session.execute(sa.update(CaseTask).where(CaseTask.id == task_id)
                       .values(state="completed", completed_at=now, opened_at=now - timedelta(minutes=5))
                       .execution_options(synchronize_session=False))
    assert loaded.state == "ready" and loaded.completed_at is None  # the stale object the old query returned
    [row] = [r for c, r in dashboard.section_stats(start=now - timedelta(hours=1), end=now + timedelta(seconds=1),
                                                     now=now).items() if c == "shimin"]
    assert row.completed == 1 and row.queue == 0 and row.avg_wait == 15.0 and row.avg_handle == 5.0
