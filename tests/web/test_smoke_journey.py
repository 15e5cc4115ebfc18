"""The 転入 journey through the API: counter reception, then each section, until the case is done."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import TENNYU_FIXTURE, api_headers, deploy_library

RECEPTION = {"applicant_name": "山口 太郎", "applicant_kana": "ヤマグチ タロウ", "moved_in_on": "2026-11-20",
             "previous_address": "広島県広島市中区1-1", "new_address": "山口県山口市亀山町2-1",
             "household_size": 4, "children_count": 2, "identity_document": "mynumber_card"}


def _ready(case: dict) -> dict[str, dict]:
    return {t["spec_name"]: t for t in case["tasks"] if t["state"] == "ready"}


def test_tennyu_journey_runs_across_sections(client: FlaskClient) -> None:
    deploy_library(TENNYU_FIXTURE)
    counter = api_headers("counter")
    started = client.post("/api/v1/cases", json={"process_key": "tennyu", "data": {}}, headers=counter)
    assert started.status_code == 201, started.json
    case = started.json
    assert list(_ready(case)) == ["reception"]
    reception = _ready(case)["reception"]
    done = client.post(f"/api/v1/tasks/{reception['id']}/complete", json={"data": RECEPTION}, headers=counter)
    assert done.status_code == 200, done.json
    case = client.get(f"/api/v1/cases/{case['id']}", headers=counter).json
    ready = _ready(case)
    assert set(ready) == {"juki_entry", "hoken_entry", "kodomo_entry"}
    assert {t["section"] for t in ready.values()} == {"shimin", "hoken", "kodomo"}
    assert case["data"]["notification_deadline"] == "2026-12-04"
    for section, spec in [("shimin", "juki_entry"), ("hoken", "hoken_entry"), ("kodomo", "kodomo_entry")]:
        r = client.post(f"/api/v1/tasks/{ready[spec]['id']}/complete", json={"data": {"outcome": "accepted"}},
                        headers=api_headers(section))
        assert r.status_code == 200, r.json
    case = client.get(f"/api/v1/cases/{case['id']}", headers=counter).json
    assert case["state"] == "completed"
