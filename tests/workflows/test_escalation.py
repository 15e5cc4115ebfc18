"""Escalation: an overdue task is announced once through the alert hook by the scheduled job ``tasks.overdue``
and counted on the badges of its section's 受付一覧 and the 管理者ビュー; a counter case idle for
``IDLE_MINUTES`` is highlighted on the counter's 案件一覧."""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from core.actor import SYSTEM
from core.db import db, utcnow
from core.models import AuditEntry
from integrations.scheduler import runner
from tests.conftest import TENNYU_FIXTURE, deploy_library, login
from tests.workflows.test_runtime import RECEPTION, complete, ready, start_tennyu
from workflows import escalation
from workflows.models import Case, CaseTask


def _alerting(app: Flask, out: Path) -> object:
    settings = app.config["MADOGUCHI"]
    script = f"{sys.executable} -c \"import sys; open({str(out)!r}, 'a').write(sys.stdin.read() + chr(10))\""
    return type(settings)(**{**settings.__dict__, "alert_command": script})


def _badge(html: str) -> str | None:
    found = re.search(r'class="overdue-badge"[^>]*>.*?(期限超過 \d+ 件)', html)
    return found.group(1) if found else None


def test_an_overdue_task_is_announced_once_and_badged(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    complete(ready(case)["reception"].id, "counter", RECEPTION)
    juki = ready(case)["juki_entry"]
    version = juki.version
    db.session.execute(db.update(CaseTask).where(CaseTask.id == juki.id)
                       .values(due_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    out = tmp_path / "alerts.jsonl"
    settings = _alerting(app, out)
    assert "tasks.overdue" in {j["id"] for j in runner.list_jobs()}

    first = runner.execute("tasks.overdue", trigger="test", actor=SYSTEM, settings=settings)
    assert first.status == "succeeded" and "1 件" in first.message, first.message
    again = runner.execute("tasks.overdue", trigger="test", actor=SYSTEM, settings=settings)
    assert again.status == "succeeded" and again.message == "新たな期限超過はありません"
    [line] = out.read_text().splitlines()  # announced once, not on every run
    alert = json.loads(line)
    assert alert["kind"] == "task.overdue"
    assert [(t["task_id"], t["case_id"], t["section"]) for t in alert["details"]["tasks"]] == [
        (juki.id, case.id, "shimin")]
    assert RECEPTION["applicant_name"] not in line and RECEPTION["new_address"] not in line  # no resident data
    db.session.expire_all()
    task = db.session.get(CaseTask, juki.id)
    assert task.escalated_at is not None and task.version == version  # a form open before still completes
    [logged] = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "task.escalate")).all()
    assert json.loads(logged.details)["tasks"] == [juki.id]

    login(client, "shimin")
    assert _badge(client.get("/inbox").get_data(as_text=True)) == "期限超過 1 件"
    overdue_list = client.get("/inbox?due=overdue").get_data(as_text=True)
    assert f"/tasks/{juki.id}" in overdue_list  # the badge's link lists the overdue task
    client.post("/logout")
    login(client, "hoken")  # another section: its own tasks are not overdue
    assert _badge(client.get("/inbox").get_data(as_text=True)) is None
    client.post("/logout")
    login(client, "manager")
    assert _badge(client.get("/manager/").get_data(as_text=True)) == "期限超過 1 件"

    complete(juki.id, "shimin", {"outcome": "accepted"}, version=version)  # done: the badge goes
    assert escalation.overdue_count(now=utcnow()) == 0
    assert _badge(client.get("/manager/").get_data(as_text=True)) is None


def test_a_counter_case_idle_for_n_minutes_is_highlighted(app: Flask, client: FlaskClient) -> None:
    deploy_library(TENNYU_FIXTURE)
    idle, fresh, at_section = start_tennyu(), start_tennyu(), start_tennyu()
    complete(ready(at_section)["reception"].id, "counter", RECEPTION)  # now waiting at 市民課, not the counter
    long_ago = utcnow() - timedelta(minutes=escalation.IDLE_MINUTES + 1)
    db.session.execute(db.update(Case).where(Case.id.in_([idle.id, at_section.id])).values(updated_at=long_ago))
    db.session.commit()
    login(client, "counter")
    html = client.get("/cases?state=running").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-case="(\d+)"( class="[^"]*")?', html))
    assert "idle" in rows[str(idle.id)] and "idle" not in rows[str(fresh.id)]
    assert "idle" not in rows[str(at_section.id)]  # waiting at a section: the overdue badge speaks for it
    assert html.count(f"{escalation.IDLE_MINUTES}分以上動きなし") == 1
