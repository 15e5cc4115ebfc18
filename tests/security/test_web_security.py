"""Security over HTTP: headers, lockout, password policy, refusals logged, the audit API, metrics, health, alerts."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import audit, audit_chain, users
from core.calendar import JST
from core.db import db, utcnow
from core.errors import Invalid
from core.models import User
from tests.conftest import PASSWORD, actor, api_headers, csrf_token, login

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</definitions>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">&xxe;</process></definitions>"""


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    for path in ("/login", "/api/v1/health", "/api/v1/cases"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


def _failed_login(client: FlaskClient, username: str) -> int:
    return client.post("/login", data={"username": username, "password": "wrong-1234",
                                       "csrf_token": csrf_token(client)}).status_code


def test_repeated_failures_lock_the_account_and_each_attempt_is_logged(app: Flask, client: FlaskClient) -> None:
    try:
        for _ in range(5):
            assert _failed_login(client, "kankyo") == 401
        user = users.get_by_username("kankyo")
        db.session.refresh(user)
        assert user.failed_logins == 5 and user.locked_until is not None
        # Locked: even the right password is refused, and the refusal says nothing more than a wrong one.
        response = client.post("/login", data={"username": "kankyo", "password": PASSWORD,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 401
        outcomes = [e.outcome for e in reversed(audit.list_(action="auth.login", target_id="kankyo"))]
        assert outcomes == ["denied"] * 4 + ["locked", "locked"]
        assert audit_chain.verify().ok
        # After the lockout period the right password works and resets the counter.
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        login(client, "kankyo")
        db.session.refresh(user)
        assert user.failed_logins == 0
    finally:
        user = users.get_by_username("kankyo")
        user.failed_logins, user.locked_until = 0, None
        db.session.commit()


def test_failed_api_login_is_logged_for_unknown_users(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "nobody" * 5, "password": "x"})
    assert response.status_code == 401
    [entry] = audit.list_(action="auth.login")
    assert (entry.outcome, entry.target_id) == ("denied", "nobody" * 5)


@pytest.mark.parametrize(("password", "problem"), [
    ("short1", "10文字以上"), ("onlyletterslong", "英字と数字"), ("1234567890123", "英字と数字"),
    ("kankyo-secret-9", "ユーザー名"),
])
def test_password_policy_says_what_is_wrong(app: Flask, password: str, problem: str) -> None:
    user = users.get_by_username("kankyo")
    with pytest.raises(Invalid) as caught:
        users.change_password(actor=actor("admin"), user=user, password=password)
    assert any(problem in p for p in caught.value.details["fields"]["password"])
    db.session.rollback()


def test_a_refused_request_is_logged(client: FlaskClient) -> None:
    response = client.get("/api/v1/audit", headers=api_headers("counter"))
    assert response.status_code == 403
    [entry] = audit.list_(action="access.denied")
    assert (entry.username, entry.target_id, entry.outcome) == ("counter", "audit_api.search", "denied")


def test_audit_search_filters_exports_csv_safely_and_is_itself_logged(client: FlaskClient) -> None:
    hostile = actor("manager", terminal="=HYPERLINK(\"http://x\")")
    audit.record(actor=hostile, action="resident.view", target_type="resident", target_id=42)
    audit.record(actor=actor("counter"), action="resident.view", target_type="resident", target_id=7)
    db.session.commit()
    headers = api_headers("manager")
    found = client.get("/api/v1/audit?resident_id=42", headers=headers).json
    assert [(e["action"], e["target_id"]) for e in found] == [("resident.view", "42")]
    assert client.get("/api/v1/audit?user=counter&action=resident.view", headers=headers).json[0]["target_id"] == "7"
    today = utcnow().astimezone(JST).date().isoformat()  # the API's dates are Japan-time days
    assert len(client.get(f"/api/v1/audit?from={today}&to={today}&action=resident.view",
                          headers=headers).json) == 2
    response = client.get("/api/v1/audit?resident_id=42&format=csv", headers=headers)
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["terminal"].startswith("'=HYPERLINK")
    assert audit.list_(action="audit.search")[0].username == "manager"


def test_audit_search_rejects_a_bad_date_saying_which(client: FlaskClient) -> None:
    response = client.get("/api/v1/audit?from=2026-13-40", headers=api_headers("admin"))
    assert response.status_code == 422
    assert "from" in response.json["error"]["details"]


def test_metrics_need_admin_or_the_scrape_token(app: Flask, client: FlaskClient) -> None:
    assert client.get("/metrics").status_code in (302, 401)
    assert client.get("/metrics", headers=api_headers("manager")).status_code == 403
    body = client.get("/metrics", headers=api_headers("admin")).get_data(as_text=True)
    assert "madoguchi_http_requests_total{" in body and "madoguchi_audit_log_last_seq" in body
    settings = app.config["MADOGUCHI"]
    app.config["MADOGUCHI"] = type(settings)(**{**settings.__dict__, "metrics_token": "scrape-token-123"})
    try:
        assert client.get("/metrics", headers={"Authorization": "Bearer scrape-token-123"}).status_code == 200
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    finally:
        app.config["MADOGUCHI"] = settings


def _with_alert_command(app: Flask, out: Path) -> object:
    settings = app.config["MADOGUCHI"]
    script = f"{sys.executable} -c \"import sys; open({str(out)!r}, 'a').write(sys.stdin.read() + chr(10))\""
    app.config["MADOGUCHI"] = type(settings)(**{**settings.__dict__, "alert_command": script,
                                                "scheduler_stale_seconds": 60})
    return settings


def test_health_goes_red_on_a_stale_scheduler_and_alerts_once(app: Flask, client: FlaskClient,
                                                             tmp_path: Path) -> None:
    from integrations.scheduler import jobs, runner
    from integrations.scheduler.models import SchedulerLock

    for spec in jobs.JOBS:  # no job scheduled: no scheduler is needed (tests/security/test_health_truth.py)
        runner.set_schedule(actor=actor("admin"), job_id=spec.id, cron="0 1 * * *", business_days_only=False,
                            enabled=False)
    db.session.commit()
    assert client.get("/api/v1/health").json["scheduler"] == "not running (no job scheduled)"  # seen green
    out = tmp_path / "alerts.jsonl"
    settings = _with_alert_command(app, out)
    try:
        db.session.add(SchedulerLock(name="scheduler", holder="host:1", heartbeat_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        for _ in range(2):
            response = client.get("/api/v1/health")
            assert response.status_code == 503
            assert response.json["failing"] == ["scheduler"]
        db.session.query(SchedulerLock).delete()
        db.session.commit()
        assert client.get("/api/v1/health").status_code == 200
        kinds = [json.loads(line)["kind"] for line in out.read_text().splitlines()]
        assert kinds == ["health_red", "health_recovered"]
    finally:
        app.config["MADOGUCHI"] = settings


def test_a_failed_job_run_fires_the_alert_hook(app: Flask, tmp_path: Path) -> None:
    from dataclasses import replace

    from integrations.scheduler import jobs, runner

    def disk_full(**_kwargs: object) -> tuple[str, str]:
        raise OSError("disk full")

    out = tmp_path / "alerts.jsonl"
    settings = _with_alert_command(app, out)
    index = next(i for i, spec in enumerate(jobs.JOBS) if spec.id == "ops.backup")
    original = jobs.JOBS[index]
    jobs.JOBS[index] = replace(original, func=disk_full)
    try:
        ok = runner.execute("cases.timers", trigger="manual", actor=actor("admin"), settings=app.config["MADOGUCHI"])
        assert ok.status == "succeeded" and not out.exists()
        run = runner.execute("ops.backup", trigger="manual", actor=actor("admin"), settings=app.config["MADOGUCHI"])
        assert run.status == "failed" and "disk full" in run.message
        [alert] = [json.loads(line) for line in out.read_text().splitlines()]
        assert alert["kind"] == "job_failed" and alert["details"]["run_id"] == run.id
        assert "disk full" in alert["details"]["message"]
    finally:
        jobs.JOBS[index] = original
        app.config["MADOGUCHI"] = settings


@pytest.mark.parametrize(("content", "status"), [(BILLION_LAUGHS, 422), (XXE, 422)])
def test_hostile_xml_is_refused_through_the_api(client: FlaskClient, content: bytes, status: int) -> None:
    response = client.post("/api/v1/process-models", headers=api_headers("designer"),
                           data={"files": (io.BytesIO(content), "evil.bpmn")}, content_type="multipart/form-data")
    assert response.status_code == status
    assert "DTD" in response.json["error"]["message"]
    [entry] = audit.list_(action="request.failed")  # the refusal outlives the rolled-back deploy
    assert (entry.username, entry.outcome) == ("designer", "error 422")
    assert entry.target_id == "process_models_api.deploy_models"


def test_an_oversized_model_gets_413_through_the_api(app: Flask, client: FlaskClient) -> None:
    settings = app.config["MADOGUCHI"]
    app.config["MADOGUCHI"] = type(settings)(**{**settings.__dict__, "max_model_bytes": 2000})
    try:
        big = b"<definitions>" + b" " * 3000 + b"</definitions>"
        response = client.post("/api/v1/process-models", headers=api_headers("designer"),
                               data={"files": (io.BytesIO(big), "big.bpmn")}, content_type="multipart/form-data")
    finally:
        app.config["MADOGUCHI"] = settings
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert response.json["error"]["details"]["file"] == "big.bpmn"
    [entry] = audit.list_(action="request.failed")
    assert entry.outcome == "error 413" and entry.username == "designer"


def test_a_body_over_the_request_limit_gets_413(app: Flask, client: FlaskClient) -> None:
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/api/v1/process-models", headers=api_headers("designer"),
                               data={"files": (io.BytesIO(b"x" * 5000), "a.bpmn")},
                               content_type="multipart/form-data")
        assert response.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old


def test_user_model_keeps_lockout_columns(app: Flask) -> None:
    assert {"failed_logins", "locked_until", "password_changed_at"} <= set(User.__table__.columns.keys())


def test_huge_numbers_are_bad_input_not_server_errors(client: FlaskClient) -> None:
    headers = api_headers("admin")
    assert client.post("/api/v1/tasks/1400118745218135604854784/complete", json={"data": {}},
                       headers=headers).status_code == 404
    assert client.get("/api/v1/residents/99999999999/mynumber", headers=headers).status_code == 404
