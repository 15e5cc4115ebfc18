"""Time as people experience it: waiting = created → first opened (or claimed); handling = opened → completed,
so tasks completed without claiming still give the manager non-zero 平均処理."""

from __future__ import annotations

import re
from datetime import timedelta

from core.calendar import JST
from core.db import db, utcnow
from tests.conftest import TENNYU_FIXTURE, actor, deploy_library, login
from tests.workflows.test_runtime import RECEPTION, complete, ready, start_tennyu
from workflows import dashboard, runtime
from workflows.models import CaseTask


def test_opening_the_task_page_starts_handling_and_managers_reading_do_not(app, client) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    reception = ready(case)["reception"]
    login(client, "manager")
    assert client.get(f"/tasks/{reception.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(CaseTask, reception.id).opened_at is None  # a manager reading does not start it
    client.post("/logout")
    login(client, "counter")
    version = db.session.get(CaseTask, reception.id).version
    assert client.get(f"/tasks/{reception.id}").status_code == 200
    db.session.expire_all()
    task = db.session.get(CaseTask, reception.id)
    assert task.opened_at is not None and task.claimed_at is None
    assert task.version == version  # opening never makes another open page stale
    first = task.opened_at
    client.get(f"/tasks/{reception.id}")
    db.session.expire_all()
    assert db.session.get(CaseTask, reception.id).opened_at == first  # the first opening counts


def test_unclaimed_completions_give_non_zero_waiting_and_handling(app, client) -> None:
    deploy_library(TENNYU_FIXTURE)
    t0 = utcnow() - timedelta(hours=1)
    case = atomic_start(t0)
    reception = ready(case)["reception"]
    runtime.open_task(task=reception, actor=actor("counter"), now=t0 + timedelta(minutes=6))
    db.session.commit()
    complete(reception.id, "counter", RECEPTION, now=t0 + timedelta(minutes=10))
    stats = dashboard.section_stats(start=t0 - timedelta(minutes=1), end=utcnow())
    row = stats[reception.section_code]
    assert (row.completed, row.avg_wait, row.avg_handle) == (1, 6.0, 4.0)
    juki = ready(case)["juki_entry"]
    complete(juki.id, "shimin", {"outcome": "accepted"}, now=t0 + timedelta(minutes=30))  # never opened
    shimin = dashboard.section_stats(start=t0 - timedelta(minutes=1), end=utcnow())["shimin"]
    assert shimin.avg_wait == 20.0 and shimin.avg_handle is None  # waiting until done; no handling measured
    login(client, "manager")
    page = client.get("/manager/?from=" + t0.astimezone(JST).date().isoformat()).get_data(as_text=True)
    assert "データがありません" not in page, page[-3000:]
    row_html = re.search(rf'<tr data-section="{reception.section_code}">(.*?)</tr>', page, re.S).group(1)
    assert "4.0" in row_html and "6.0" in row_html


def atomic_start(now):  # noqa: ANN001, ANN201
    from core.tx import atomic

    return atomic(lambda: runtime.start_case(process_key="tennyu", actor=actor("counter"), now=now))
