"""A failing *service task* (an external system that does not answer) stops the case as an incident, and the
manager resolves it from the API and from the page once the system is back — the stuck case of issue 18.

The engine's own tennyu fixture calls ``calendar.deadline`` after the counter's reception; the operation is made
to raise the way an unreachable service would, then put back.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.conftest import TENNYU_FIXTURE, api_headers, csrf_token, deploy_library, login
from tests.workflows.test_runtime import RECEPTION, complete, ready, start_tennyu
from workflows import wiring
from workflows.models import Case, Incident


def _stuck(monkeypatch: pytest.MonkeyPatch) -> tuple[Case, wiring.Operation]:
    deploy_library(TENNYU_FIXTURE)
    original = wiring.WIRING.operations["calendar.deadline"]

    def down(**_: object) -> str:
        raise ConnectionError("calendar service unreachable")

    monkeypatch.setitem(wiring.WIRING.operations, "calendar.deadline", replace(original, func=down))
    case = start_tennyu()
    complete(ready(case)["reception"].id, "counter", RECEPTION)  # the counter's answers are kept
    return case, original


def test_a_failing_service_task_is_resolved_from_the_api(app: Flask, client: FlaskClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    case, original = _stuck(monkeypatch)
    assert ready(case) == {} and {t.spec_name: t.state for t in case.tasks}["reception"] == "completed"
    headers = api_headers("manager")
    [item] = client.get("/api/v1/incidents?state=open", headers=headers).get_json()
    assert (item["case_id"], item["element_id"]) == (case.id, "compute_deadline")
    assert "「届出期限の計算」が失敗" in item["message"]
    assert "unreachable" in item["error"]
    # the system still down: the retry leaves the incident open and counts the attempt
    response = client.post(f"/api/v1/incidents/{item['id']}/retry", headers=headers)
    db.session.expire_all()
    assert db.session.get(Incident, item["id"]).state == "open", response.get_json()
    assert db.session.get(Incident, item["id"]).attempts == 2
    # the model does not mark the step skippable
    assert client.post(f"/api/v1/incidents/{item['id']}/skip", json={"reason": "手計算"},
                       headers=headers).status_code == 409
    monkeypatch.setitem(wiring.WIRING.operations, "calendar.deadline", original)  # the service is back
    response = client.post(f"/api/v1/incidents/{item['id']}/retry", headers=headers)
    assert response.status_code == 200 and response.get_json()["resolution"] == "retried"
    assert client.get("/api/v1/incidents?state=open", headers=headers).get_json() == []
    assert set(ready(case)) == {"juki_entry", "hoken_entry"}
    assert all(t.due_at is not None for t in ready(case).values())  # the deadline the service computed


def test_a_failing_service_task_is_resolved_from_the_page(app: Flask, client: FlaskClient,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    case, original = _stuck(monkeypatch)
    [incident] = db.session.scalars(db.select(Incident).where(Incident.case_id == case.id))
    login(client, "manager")
    overview = client.get("/manager/").get_data(as_text=True)
    assert overview.index("未対応の障害") < overview.index("課別の状況") and "届出期限の計算" in overview
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "案件が停止しています" in page and "再実行" in page
    monkeypatch.setitem(wiring.WIRING.operations, "calendar.deadline", original)
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/manager/incidents/{incident.id}/retry", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).resolution == "retried"
    assert set(ready(case)) == {"juki_entry", "hoken_entry"}
