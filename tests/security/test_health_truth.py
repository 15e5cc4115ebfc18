"""Monitoring tells the truth: no scheduler running while jobs are scheduled is red, not "not running" in green.
A finding of issue 17."""

from __future__ import annotations

from flask.testing import FlaskClient

from core.db import db, utcnow
from integrations.scheduler import jobs, runner
from integrations.scheduler.models import SchedulerLock
from tests.conftest import actor


def test_a_stopped_scheduler_is_red_while_jobs_are_scheduled(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["scheduler"] and body["scheduler"].startswith("stopped")
    assert str(len(jobs.JOBS)) in body["scheduler"]


def test_a_running_scheduler_is_green(client: FlaskClient) -> None:
    db.session.add(SchedulerLock(name="scheduler", holder="host:1", acquired_at=utcnow(), heartbeat_at=utcnow()))
    db.session.commit()
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok" and body["scheduler"].startswith("ok")


def test_no_scheduler_is_needed_when_every_job_is_switched_off(client: FlaskClient) -> None:
    for spec in jobs.JOBS:
        runner.set_schedule(actor=actor("admin"), job_id=spec.id, cron="0 1 * * *", business_days_only=False,
                            enabled=False)
    db.session.commit()
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok" and body["scheduler"] == "not running (no job scheduled)"
