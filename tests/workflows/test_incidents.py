"""A failing script stops its case visibly (an incident), and a manager resolves it from the page and the API.

The fixture (tests/data/incidents/fee_stop.bpmn): 市民課 checks the application, then a script computes the fee
from ``copies`` (it fails while ``copies`` is not a number), then a script marked skippable writes a notice from a
template the case never has (it always fails), then 市民課 hands the certificate over.
"""

from __future__ import annotations

import html
import json

from flask import Flask
from flask.testing import FlaskClient

from core import audit
from core.db import db
from core.tx import atomic
from tests.conftest import DATA_DIR, actor, api_headers, csrf_token, login
from web.model_rules import deploy_files
from workflows import runtime
from workflows.models import Incident


def _stuck_case() -> int:
    """A case whose clerk completed the review and whose fee script then failed (copies = "二")."""
    deploy_files(files=[("fee_stop.bpmn", (DATA_DIR / "incidents/fee_stop.bpmn").read_bytes())],
                 actor=actor("designer"))
    db.session.commit()
    case = atomic(lambda: runtime.start_case(process_key="incident_fee", actor=actor("counter"),
                                             data={"copies": "二"}))
    [review] = [t for t in case.tasks if t.state == "ready"]
    atomic(lambda: runtime.complete_task(task_id=review.id, actor=actor("shimin"), data={"outcome": "accepted"}))
    return case.id


def _open(case_id: int) -> list[Incident]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Incident).where(Incident.case_id == case_id, Incident.state == "open")))


def test_a_failing_script_stops_the_case_and_is_resolved_from_the_page_and_the_api(app: Flask,
                                                                                     client: FlaskClient) -> None:
    case_id = _stuck_case()
    case = runtime.get_case(case_id)
    assert case.state == "running" and not [t for t in case.tasks if t.state == "ready"]
    assert [t.state for t in case.tasks] == ["completed"]  # the clerk's work was kept
    [incident] = _open(case_id)
    assert (incident.element_id, incident.element_name, incident.skippable) == ("fee", "手数料の計算", False)
    assert "スクリプト「手数料の計算」が失敗" in incident.message and "invalid literal" in incident.error

    # the manager's view lists it first; the case page shows it
    login(client, "manager")
    overview = client.get("/manager/").get_data(as_text=True)
    assert overview.index("未対応の障害") < overview.index("課別の状況") and "手数料の計算" in overview
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "案件が停止しています" in page and "再実行" in page and "飛ばす" not in page  # fee is not skippable

    # retry before the cause is fixed: still open, one more attempt
    token = csrf_token(client, f"/cases/{case_id}")
    response = client.post(f"/manager/incidents/{incident.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert "「手数料の計算」は再び失敗しました（2 回目）" in client.get(f"/cases/{case_id}").get_data(as_text=True)
    [again] = _open(case_id)
    assert again.id == incident.id and again.attempts == 2
    # a fee script cannot be skipped (the refusal, and the panel, in the reader's language)
    response = client.post(f"/manager/incidents/{incident.id}/skip", data={"csrf_token": token, "reason": "急ぎ"})
    assert response.status_code == 409 and "省略可能とされていないため飛ばせません" in response.get_data(as_text=True)
    response = client.post(f"/manager/incidents/{incident.id}/skip?lang=en",
                           data={"csrf_token": token, "reason": "急ぎ"})
    assert response.status_code == 409
    assert '"手数料の計算" cannot be skipped: the process model' in html.unescape(response.get_data(as_text=True))
    english = client.get(f"/cases/{case_id}").get_data(as_text=True)  # the language is kept in the session
    assert "Incident: the case has stopped" in english and "Retry" in english and "障害：" not in english
    assert "The script “手数料の計算” failed, so the case has stopped" in english  # the message, not only the frame
    assert "案件が停止しています" not in english
    [listed] = client.get("/api/v1/incidents?lang=en", headers=api_headers("manager")).get_json()
    assert listed["message"].startswith("The script “手数料の計算” failed")
    client.get(f"/cases/{case_id}?lang=ja")

    # the cause fixed (the counter corrects the number of copies), retry from the page
    atomic(lambda: runtime.correct_data(case=runtime.get_case(case_id), values={"copies": "2"},
                                        now=runtime.get_case(case_id).updated_at))
    client.post(f"/manager/incidents/{incident.id}/retry", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).resolution == "retried"
    [notice] = _open(case_id)  # the next step failed in turn: its own incident, skippable
    assert (notice.element_id, notice.skippable) == ("notice", True)
    assert runtime.case_data(runtime.get_case(case_id))["fee"] == 600

    # from the API: the section sees its case's incident but may not act; the manager skips it with a reason
    listed = client.get("/api/v1/incidents?state=open", headers=api_headers("shimin")).get_json()
    assert [i["id"] for i in listed] == [notice.id] and listed[0]["element_name"] == "案内文の作成"
    assert client.get("/api/v1/incidents", headers=api_headers("hoken")).get_json() == []
    assert client.post(f"/api/v1/incidents/{notice.id}/skip", json={"reason": "x"},
                       headers=api_headers("shimin")).status_code == 403
    assert client.post(f"/api/v1/incidents/{notice.id}/skip", json={},
                       headers=api_headers("manager")).status_code == 422
    response = client.post(f"/api/v1/incidents/{notice.id}/skip", json={"reason": "案内文は窓口で口頭説明"},
                           headers=api_headers("manager"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["resolution"] == "skipped"
    assert not _open(case_id)
    assert [t.spec_name for t in runtime.get_case(case_id).tasks if t.state == "ready"] == ["hand_over"]
    actions = [e.action for e in audit.list_(target_type="case", target_id=str(case_id))]
    assert {"incident.open", "incident.retry", "incident.skip"} <= set(actions)


def test_a_stuck_case_is_cancelled_with_a_reason(app: Flask, client: FlaskClient) -> None:
    case_id = _stuck_case()
    [incident] = _open(case_id)
    headers = api_headers("manager")
    assert client.post(f"/api/v1/incidents/{incident.id}/retry", headers=api_headers("counter")).status_code == 403
    response = client.post(f"/api/v1/incidents/{incident.id}/cancel", json={"reason": "申請の取下げ"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert runtime.get_case(case_id).state == "cancelled"
    assert db.session.get(Incident, incident.id).resolution == "cancelled"
    assert client.post(f"/api/v1/incidents/{incident.id}/retry", headers=headers).status_code == 409


def test_the_incident_of_a_protected_residents_case_never_quotes_the_data(app: Flask, client: FlaskClient) -> None:
    """A script error may quote a value (here the protected head's address): the incident keeps only its kind."""
    from tests.security import scenario

    head, _member, _other = scenario.residents()
    db.session.commit()
    deploy_files(files=[("fee_stop.bpmn", (DATA_DIR / "incidents/fee_stop.bpmn").read_bytes())],
                 actor=actor("designer"))
    db.session.commit()
    case = atomic(lambda: runtime.start_case(process_key="incident_fee", actor=actor("counter"),
                                             resident_id=head.id, data={"copies": head.address}))
    [review] = [t for t in case.tasks if t.state == "ready"]
    atomic(lambda: runtime.complete_task(task_id=review.id, actor=actor("shimin"), data={"outcome": "accepted"}))
    [incident] = _open(case.id)
    assert "ValueError" in incident.error and head.address not in incident.error + incident.message
    listed = json.dumps(client.get("/api/v1/incidents", headers=api_headers("manager")).get_json(),
                        ensure_ascii=False)
    assert "手数料の計算" in listed and head.address not in listed
    login(client, "shimin")
    assert head.address not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert all(head.address not in (e.details or "") for e in audit.list_(target_type="case",
                                                                             target_id=str(case.id)))


def test_a_stuck_case_is_migrated_to_the_fixed_version_and_runs_on(app: Flask, client: FlaskClient) -> None:
    """The cause is in the model (the fee script cannot read 「二」): the designer deploys a fixed version and the
    administrator moves the stopped case onto it; the failed step runs again there."""
    case_id = _stuck_case()
    [incident] = _open(case_id)
    fixed = (DATA_DIR / "incidents/fee_stop.bpmn").read_text().replace(
        "fee = int(copies) * 300", "fee = int({'一': 1, '二': 2, '三': 3}.get(copies, copies)) * 300")
    deploy_files(files=[("fee_stop.bpmn", fixed.encode())], actor=actor("designer"))
    db.session.commit()

    login(client, "manager")  # a manager is not offered what only administrators may do
    assert "修正した版へ移行" not in client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert client.post(f"/api/v1/incidents/{incident.id}/migrate", headers=api_headers("manager")).status_code == 403
    client.post("/logout")
    login(client, "admin")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "修正した版へ移行して再実行" in page
    response = client.post(f"/manager/incidents/{incident.id}/migrate",
                           data={"csrf_token": csrf_token(client, f"/cases/{case_id}")})
    assert response.status_code == 302
    db.session.expire_all()
    resolved = db.session.get(Incident, incident.id)
    assert (resolved.resolution, resolved.resolved_by, resolved.reason) == ("migrated", "admin", "第1版→第2版")
    case = runtime.get_case(case_id)
    assert json.loads(case.snapshot.library)["incident_fee"] == 2
    assert runtime.case_data(case)["fee"] == 600  # the fixed script ran
    [notice] = _open(case_id)  # and the case ran on to its next (still failing) step
    assert notice.element_id == "notice"
    assert client.post(f"/api/v1/incidents/{incident.id}/migrate", headers=api_headers("admin")).status_code == 409
    actions = [e.action for e in audit.list_(target_type="case", target_id=str(case_id))]
    assert {"case.migrate", "incident.migrate"} <= set(actions)
