"""Escalation: an overdue task is announced once through the alert hook and shows as a badge."""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta

from core.db import db, utcnow
from tests.conftest import TENNYU_FIXTURE, actor, deploy_library, login
from tests.workflows.test_runtime import RECEPTION, complete, ready, start_tennyu
from workflows import escalation
from workflows.models import Case


def test_overdue_tasks_alert_once_and_badge(app, client, tmp_path) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    complete(ready(case)["reception"].id, "counter", RECEPTION)
    juki = ready(case)["juki_entry"]
    juki.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    out = tmp_path / "alert.json"
    settings = app.config["MADOGUCHI"]
    script = f"{sys.executable} -c \"import sys; open('{out}', 'w').write(sys.stdin.read())\""
    original = settings.alert_command
    object.__setattr__(settings, "alert_command", script)  # the settings are a frozen dataclass
    try:
        first = escalation.escalation_job(actor=actor("admin"), now=utcnow(), settings=settings)
        db.session.commit()
        again = escalation.escalation_job(actor=actor("admin"), now=utcnow(), settings=settings)
    finally:
        object.__setattr__(settings, "alert_command", original)
    assert "1 件" in first[1] and "新たな期限超過はありません" == again[1]
    alert = json.loads(out.read_text())
    assert alert["kind"] == "task.overdue" and alert["details"]["tasks"][0]["task_id"] == juki.id
    login(client, "shimin")
    assert "期限超過 1 件" in client.get("/inbox").get_data(as_text=True)
    client.post("/logout")
    login(client, "hoken")  # another section: its own tasks are not overdue
    assert "期限超過" not in client.get("/inbox").get_data(as_text=True).split("<form")[0]


def test_a_counter_case_idle_for_n_minutes_is_highlighted(app, client) -> None:
    deploy_library(TENNYU_FIXTURE)
    idle, fresh = start_tennyu(), start_tennyu()
    db.session.execute(db.update(Case).where(Case.id == idle.id)
                       .values(updated_at=utcnow() - timedelta(minutes=escalation.IDLE_MINUTES + 1)))
    db.session.commit()
    login(client, "counter")
    html = client.get("/cases?state=running").get_data(as_text=True)
    rows = {cid: cls for cls, cid in re.findall(r'<tr class="([^"]*)"[^>]*><td><a href="/cases/(\d+)"', html)}
    assert "idle" in rows[str(idle.id)] and "idle" not in rows[str(fresh.id)]
    assert f"{escalation.IDLE_MINUTES}分以上動きなし" in html
