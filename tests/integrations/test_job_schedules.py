"""Administrators' job schedules: validated, logged, applied by the running scheduler, reset to the default."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db
from core.errors import Forbidden, Invalid, NotFound
from core.models import AuditEntry
from core.tx import atomic
from integrations.scheduler import process, runner, schedules
from integrations.scheduler.models import JobSchedule, apscheduler_jobs
from tests.conftest import actor, api_headers, csrf_token, login

JOB = "rpa.export"


def _job(job_id: str = JOB, **kwargs: object) -> dict:
    return next(j for j in runner.list_jobs(**kwargs) if j["id"] == job_id)


def test_a_custom_business_day_schedule_replaces_the_default(app: Flask) -> None:
    friday_evening = datetime(2026, 11, 20, 21, 0, tzinfo=schedules.JST)  # Monday 23 Nov is 勤労感謝の日
    assert _job(now=friday_evening)["schedule"] == "開庁日 9〜19時 毎正時" and not _job()["custom"]
    atomic(lambda: runner.set_schedule(actor=actor("admin"), job_id=JOB, cron="30  7 * * *",
                                          business_days_only=True, enabled=True))
    job = _job(now=friday_evening)
    assert job["custom"] and job["cron"] == "30 7 * * *" and job["schedule"] == "開庁日のみ cron「30 7 * * *」"
    assert job["next_run_at"] == datetime(2026, 11, 24, 7, 30, tzinfo=schedules.JST)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "admin.job_schedule")).one()
    assert (entry.username, entry.target_id) == ("admin", JOB) and '"cron": "30 7 * * *"' in entry.details
    atomic(lambda: runner.reset_schedule(actor=actor("admin"), job_id=JOB))
    assert not _job()["custom"] and db.session.get(JobSchedule, JOB) is None


@pytest.mark.parametrize(("cron", "says"), [("0 6 * *", "5項目"), ("61 * * * *", "cron 式が正しくありません"),
                                            ("0 6 * * someday", "cron 式が正しくありません")])
def test_a_wrong_crontab_is_refused_and_nothing_is_stored(app: Flask, cron: str, says: str) -> None:
    with pytest.raises(Invalid) as refused:
        atomic(lambda: runner.set_schedule(actor=actor("admin"), job_id=JOB, cron=cron,
                                              business_days_only=False, enabled=True))
    assert says in refused.value.message and "cron" in refused.value.details["fields"]
    assert db.session.scalars(select(JobSchedule)).all() == []


def test_only_administrators_change_known_jobs(app: Flask) -> None:
    with pytest.raises(Forbidden):
        atomic(lambda: runner.set_schedule(actor=actor("manager"), job_id=JOB, cron="0 7 * * *",
                                              business_days_only=False, enabled=True))
    with pytest.raises(NotFound):
        atomic(lambda: runner.set_schedule(actor=actor("admin"), job_id="no.such.job", cron="0 7 * * *",
                                              business_days_only=False, enabled=True))


def test_the_running_scheduler_applies_a_change_and_drops_a_switched_off_job(app: Flask) -> None:
    sched = process.build_scheduler(context=app.app_context, settings=app.config["MADOGUCHI"], engine=db.engine)
    sched.start(paused=True)
    try:
        process.sync_jobs(sched)
        atomic(lambda: runner.set_schedule(actor=actor("admin"), job_id=JOB, cron="15 8 * * *",
                                              business_days_only=False, enabled=True))
        atomic(lambda: runner.set_schedule(actor=actor("admin"), job_id="ops.backup", cron="0 2 * * *",
                                              business_days_only=False, enabled=False))
        process.sync_jobs(sched)  # what the heartbeat does every 30 s
        planned = sched.get_job(JOB).next_run_time.astimezone(schedules.JST)
        stored = set(db.session.scalars(select(apscheduler_jobs.c.id)))
    finally:
        sched.shutdown(wait=True)
    assert (planned.hour, planned.minute) == (8, 15)
    assert "ops.backup" not in stored and JOB in stored
    assert not _job("ops.backup")["enabled"] and _job("ops.backup")["next_run_at"] is None


def test_the_admin_page_and_the_api_edit_a_schedule(client: FlaskClient) -> None:
    login(client, "admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert f'action="/admin/jobs/{JOB}/schedule"' in page
    token = csrf_token(client, "/admin/jobs")
    refused = client.post(f"/admin/jobs/{JOB}/schedule", data={"csrf_token": token, "cron": "0 25 * * *",
                                                               "enabled": "on"}, follow_redirects=True)
    assert "cron 式が正しくありません" in refused.get_data(as_text=True) and not _job()["custom"]
    saved = client.post(f"/admin/jobs/{JOB}/schedule", data={"csrf_token": token, "cron": "0 8-20 * * mon-fri",
                                                             "business_days_only": "on", "enabled": "on"},
                        follow_redirects=True)
    assert "予定を保存しました" in saved.get_data(as_text=True) and _job()["cron"] == "0 8-20 * * mon-fri"
    assert client.post(f"/admin/jobs/{JOB}/schedule", data={"cron": "0 9 * * *"}).status_code == 400  # no CSRF
    body = {"cron": "0 21 * * *", "business_days_only": False, "enabled": True}
    assert client.put(f"/api/v1/jobs/{JOB}/schedule", json=body, headers=api_headers("manager")).status_code == 403
    put = client.put(f"/api/v1/jobs/{JOB}/schedule", json=body, headers=api_headers("admin"))
    assert put.status_code == 200 and put.get_json()["schedule"] == "cron「0 21 * * *」"
    bad = client.put(f"/api/v1/jobs/{JOB}/schedule", json={"cron": "0 21"}, headers=api_headers("admin"))
    assert bad.status_code == 422 and "cron" in bad.get_json()["error"]["details"]["fields"]
    reset = client.delete(f"/api/v1/jobs/{JOB}/schedule", headers=api_headers("admin"))
    assert reset.status_code == 200 and not reset.get_json()["custom"]
