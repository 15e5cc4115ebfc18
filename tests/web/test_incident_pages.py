"""A stuck case (failing service task) resolved from the API and from the pages, through the real app."""

from __future__ import annotations

import re

from core.db import db
from tests.conftest import api_headers, csrf_token, login
from tests.workflows.test_incidents import stuck_case
from workflows import wiring
from workflows.models import Case


def test_resolve_a_stuck_case_from_the_api(app, client, monkeypatch) -> None:
    case, original = stuck_case(monkeypatch)
    headers = api_headers("manager")
    assert client.get("/api/v1/incidents?state=open", headers=api_headers("shimin")).status_code == 403
    [item] = client.get("/api/v1/incidents?state=open", headers=headers).get_json()
    assert (item["case_id"], item["element_id"], item["state"]) == (case.id, "compute_deadline", "open")
    assert "届出期限の計算" in item["message"] and item["since"]
    again = client.post(f"/api/v1/incidents/{item['id']}/retry", headers=headers)
    assert again.status_code == 409 and "まだ失敗します" in again.get_json()["error"]["message"]
    skip = client.post(f"/api/v1/incidents/{item['id']}/skip", headers=headers, json={"reason": "手計算"})
    assert skip.status_code == 409  # the model does not mark this step skippable
    monkeypatch.setitem(wiring.WIRING.operations, "calendar.deadline", original)  # the cause is fixed
    done = client.post(f"/api/v1/incidents/{item['id']}/retry", headers=headers)
    assert done.status_code == 200 and done.get_json()["resolution"] == "retried"
    assert client.get("/api/v1/incidents?state=open", headers=headers).get_json() == []
    tasks = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()["tasks"]
    assert {t["spec_name"] for t in tasks if t["state"] == "ready"} == {"juki_entry", "hoken_entry"}


def test_resolve_a_stuck_case_from_the_pages(app, client, monkeypatch) -> None:
    case, _ = stuck_case(monkeypatch)
    login(client, "counter")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "この案件は止まっています" in page and "届出期限の計算" in page
    assert 'value="retry"' not in page  # the counter cannot resolve it: no button
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/cases/{case.id}")})
    login(client, "manager")
    overview = client.get("/manager/").get_data(as_text=True)
    assert overview.index("インシデント（止まっている案件）") < overview.index("課別の状況")
    assert f'href="/cases/{case.id}"' in overview
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    incident_id = int(re.search(r'data-incident="(\d+)"', page).group(1))
    token = csrf_token(client, f"/cases/{case.id}")
    refused = client.post(f"/manager/incidents/{incident_id}", data={
        "csrf_token": token, "action": "cancel", "reason": "", "back": "case", "case_id": str(case.id)},
        follow_redirects=True).get_data(as_text=True)
    assert "取消の理由を入力してください" in refused
    done = client.post(f"/manager/incidents/{incident_id}", data={
        "csrf_token": token, "action": "cancel", "reason": "本人の申出により取下げ", "back": "case",
        "case_id": str(case.id)}, follow_redirects=True).get_data(as_text=True)
    assert "案件を取り消しました" in done and "この案件は止まっています" not in done
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "cancelled"
