"""Through the API: the dry run, combined events, staff adding/removing procedures, and the six other journeys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from core import audit
from core.db import db
from tests.conftest import api_headers, deploy_library
from tests.determination.test_rules import D14, SCENARIOS, D
from tests.determination.visits import start_visit
from tests.support.families import make_household
from workflows.determination.models import CaseProcedure, list_for_case

BY_LABEL = {s[0]: s for s in SCENARIOS}
# One household scenario of the 40 (whose exact procedures test_rules asserts) per journey not run elsewhere.
JOURNEY_SCENARIOS = {
    "tenkyo": "kokuho household moves within city",
    "setai_henko": "household split kokuho",
    "shussei": "newborn in kokuho household, no recipient",
    "shibo": "death of a kokuho householder, two adults remain",
    "konin": "marriage, becoming dependant",
    "rikon": "agreed divorce of a dependant",
}


def _post(client: FlaskClient, path: str, body: dict[str, Any], user: str = "counter") -> Any:
    return client.post(path, json=body, headers=api_headers(user))


def _start(client: FlaskClient, event: str, household: list[dict[str, Any]], answers: dict[str, Any],
           events: list[str] | None = None) -> int:
    return start_visit(client, event, household, answers, on=D, events=events)[0]


def _ready(client: FlaskClient, case_id: int) -> list[dict[str, Any]]:
    tasks = client.get("/api/v1/tasks?state=ready", headers=api_headers("admin")).get_json()
    return [t for t in tasks if t["case_id"] == case_id]


def _state(client: FlaskClient, case_id: int) -> str:
    return client.get(f"/api/v1/cases/{case_id}", headers=api_headers("manager")).get_json()["state"]


@pytest.mark.parametrize("event", sorted(JOURNEY_SCENARIOS))
def test_each_journey_runs_to_completion_with_every_section(client: FlaskClient, event: str) -> None:
    deploy_library()
    _label, scenario_event, household, answers, expected = BY_LABEL[JOURNEY_SCENARIOS[event]]
    assert scenario_event == event
    case_id = _start(client, event, household, answers)
    procedures = {p.code: (p.section_code, p.due_date and p.due_date.isoformat()) for p in list_for_case(case_id)}
    assert procedures == expected
    tasks = _ready(client, case_id)
    assert sorted((t["section"], t["title"]) for t in tasks) == sorted(
        (p.section_code, p.name) for p in list_for_case(case_id))
    assert len({t["section"] for t in tasks}) >= 2  # the work really crosses sections
    for task in tasks:
        assert _state(client, case_id) == "running"
        answer = _post(client, f"/api/v1/tasks/{task['id']}/complete", {"data": {"outcome": "done"}}, task["section"])
        assert answer.status_code == 200, answer.get_json()
    assert _state(client, case_id) == "completed"
    assert {p.state for p in list_for_case(case_id)} == {"done"}


def test_dry_run_with_a_household_returns_the_exact_procedures(client: FlaskClient) -> None:
    deploy_library()
    _label, event, household, answers, expected = BY_LABEL["death of a kokuho householder, two adults remain"]
    for user in ("counter", "shimin", "manager", "designer"):
        answer = _post(client, "/api/v1/determinations", {"event": event, "event_date": D, "household": household,
                                                          "answers": answers}, user)
        assert answer.status_code == 200, (user, answer.get_json())
        found = answer.get_json()["procedures"]
        assert {p["code"]: (p["section"], p["due_date"]) for p in found} == expected
        assert all(set(p) >= {"code", "name", "section", "forms", "due_date", "rule"} for p in found)
        assert all(p["rule"].startswith("proc_") and "#" in p["rule"] for p in found)
    assert client.post("/api/v1/determinations", json={"event": event}).status_code == 401


def test_dry_run_names_a_missing_answer_and_a_bad_member_field(client: FlaskClient) -> None:
    deploy_library()
    member = {"birth_date": "1985-03-03", "relation": "世帯主", "insurance": "shaho", "subject": True}
    missing = _post(client, "/api/v1/determinations", {"event": "rikon", "event_date": D, "household": [member]})
    assert missing.status_code == 422
    assert missing.get_json()["error"]["details"]["answers"] == {"court_divorce": "required"}
    bad = _post(client, "/api/v1/determinations", {"event": "tenkyo", "event_date": D,
                                                   "household": [member, {**member, "birth_date": "1985-13-01"}]})
    assert bad.status_code == 422 and bad.get_json()["error"]["details"]["field"] == "household[1].birth_date"
    bad = _post(client, "/api/v1/determinations", {"event": "tenkyo", "event_date": D,
                                                   "household": [{**member, "insurance": "private"}]})
    assert bad.status_code == 422 and bad.get_json()["error"]["details"]["field"] == "household[0].insurance"
    no_event = _post(client, "/api/v1/determinations", {"event_date": D, "household": [member]})
    assert no_event.status_code == 422 and "event" in str(no_event.get_json()["error"]["details"])
    unknown = _post(client, "/api/v1/determinations", {"event": "kekkon", "event_date": D, "household": [member]})
    assert unknown.status_code == 422 and "event" in unknown.get_json()["error"]["details"]
    both = _post(client, "/api/v1/determinations", {"event": "tenkyo", "event_date": D, "household": [member],
                                                    "resident_id": 1})
    assert both.status_code == 422 and both.get_json()["error"]["details"]["field"] == "resident_id"


def test_dry_run_for_a_resident_reads_the_resident_db_and_is_logged(client: FlaskClient) -> None:
    deploy_library()
    head = make_household()[0]  # the head holds a My Number card; nobody is in 国保
    answer = _post(client, "/api/v1/determinations", {"event": "tenkyo", "event_date": D, "resident_id": head.id})
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()["procedures"]
    assert {p["code"]: (p["section"], p["due_date"]) for p in found} == {
        "juki.tenkyo": ("shimin", D14), "mynumber.card_address": ("shimin", D14)}
    assert found[0]["subjects"][0]["resident_id"] == head.id
    [entry] = audit.list_(action="determination.dry_run")
    assert entry.target_id == str(head.id) and entry.username == "counter"
    assert _post(client, "/api/v1/determinations", {"event": "tenkyo", "event_date": D,
                                                    "resident_id": 999999}).status_code == 404


def test_combined_events_union_the_procedures_without_duplicates(client: FlaskClient) -> None:
    """転入 of a family with a newborn: the parents move in, the baby was born (subject of 出生 only)."""
    deploy_library()
    parent = {"name": "転入 親", "birth_date": "1990-01-10", "relation": "世帯主", "insurance": "kokuho",
              "pension_category": "1", "subject": ["tennyu"]}
    baby = {"name": "転入 子", "birth_date": "2026-11-10", "relation": "子", "insurance": "none",
            "subject": ["tennyu", "shussei"]}
    body = {"event_date": D, "household": [parent, baby], "answers": {"wants_seal": False}}

    def codes(events: list[str]) -> list[str]:
        answer = _post(client, "/api/v1/determinations", {**body, "events": events})
        assert answer.status_code == 200, answer.get_json()
        return [p["code"] for p in answer.get_json()["procedures"]]

    tennyu, shussei, both = codes(["tennyu"]), codes(["shussei"]), codes(["tennyu", "shussei"])
    assert len(both) == len(set(both))
    assert set(both) == set(tennyu) | set(shussei)
    assert set(tennyu) & set(shussei)  # e.g. 国保 and 児童手当 fire for both events: listed once
    assert "koseki.shussei" in both and "juki.tennyu" in both
    # At the counter both are ticked for the visit's events: the case determines what the dry run does for that.
    ticked = [{**m, "subject": True} for m in body["household"]]
    answer = _post(client, "/api/v1/determinations", {**body, "household": ticked, "events": ["tennyu", "shussei"]})
    case_id = _start(client, "tennyu", ticked, body["answers"], events=["shussei"])
    assert sorted(p.code for p in list_for_case(case_id)) == sorted(p["code"] for p in answer.get_json()["procedures"])


def test_staff_add_a_procedure_and_the_case_waits_for_it(client: FlaskClient) -> None:
    deploy_library()
    _label, _event, household, answers, expected = BY_LABEL["household split shaho"]
    case_id = _start(client, "setai_henko", household, answers)
    path = f"/api/v1/cases/{case_id}/procedures"
    assert _post(client, path, {"code": "chiken.change"}).status_code == 422  # no reason
    unknown = _post(client, path, {"code": "x.unknown", "reason": "r"})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["details"]["field"] == "code"
    added = _post(client, path, {"code": "chiken.change", "reason": "犬を飼い始めたと申出"})
    assert added.status_code == 201, added.get_json()
    row = added.get_json()
    assert (row["section"], row["rule"], row["state"], row["created_by"]) == ("kankyo", "manual", "open", "counter")
    assert row["due_date"] == "2026-12-21"  # 30 days from the event date of the case
    assert _post(client, path, {"code": "chiken.change", "reason": "again"}).status_code == 409
    [entry] = audit.list_(action="procedure.add")
    assert json.loads(entry.details) == {"case_id": case_id, "code": "chiken.change", "section": "kankyo",
                                         "reason": "犬を飼い始めたと申出"}
    tasks = _ready(client, case_id)
    kankyo = [t for t in tasks if t["section"] == "kankyo"]
    assert [(t["title"], t["id"]) for t in kankyo] == [("畜犬登録 変更 / 死亡届", row["task_id"])]
    assert kankyo[0]["lane"] == "環境衛生課" and kankyo[0]["due_at"].startswith("2026-12-21")
    for task in [t for t in tasks if t["section"] != "kankyo"]:
        assert _post(client, f"/api/v1/tasks/{task['id']}/complete", {"data": {"outcome": "done"}},
                     task["section"]).status_code == 200
    assert _state(client, case_id) == "running"  # the added procedure is still open
    assert _post(client, f"/api/v1/tasks/{kankyo[0]['id']}/complete", {"data": {"outcome": "done"}},
                 "kankyo").status_code == 200
    assert _state(client, case_id) == "completed"
    assert {p.code: p.state for p in list_for_case(case_id)} == {**dict.fromkeys(expected, "done"),
                                                                 "chiken.change": "done"}
    assert _post(client, path, {"code": "kokuho.change", "reason": "late"}).status_code == 409


def test_staff_remove_a_procedure_with_a_reason(client: FlaskClient) -> None:
    deploy_library()
    _label, _event, household, answers, _expected = BY_LABEL["kokuho household moves within city"]
    case_id = _start(client, "tenkyo", household, answers)
    added = _post(client, f"/api/v1/cases/{case_id}/procedures",
                  {"code": "kourei.visit", "name": "高齢者見守り登録", "section": "kourei", "reason": "本人希望"})
    assert added.status_code == 201 and added.get_json()["section"] == "kourei"
    procs = {p.code: p for p in list_for_case(case_id)}
    kokuho = procs["kokuho.change"]
    remove = f"/api/v1/cases/{case_id}/procedures/{kokuho.id}/remove"
    assert _post(client, remove, {"reason": ""}).status_code == 422
    assert _post(client, remove, {"reason": "x"}, "kodomo").status_code == 403  # another section's procedure
    assert db.session.get(CaseProcedure, kokuho.id).state == "open"
    removed = _post(client, remove, {"reason": "社保加入済みと判明"})  # the counter, directly
    assert removed.status_code == 200, removed.get_json()
    assert (removed.get_json()["state"], removed.get_json()["reason"]) == ("removed", "社保加入済みと判明")
    assert _post(client, remove, {"reason": "again"}).status_code == 409
    [entry] = audit.list_(action="procedure.remove")
    assert entry.username == "counter" and json.loads(entry.details)["reason"] == "社保加入済みと判明"
    by_section = _post(client, f"/api/v1/cases/{case_id}/procedures/{added.get_json()['id']}/remove",
                       {"reason": "対象外"}, "kourei")
    assert by_section.status_code == 200
    for task in _ready(client, case_id):
        assert _post(client, f"/api/v1/tasks/{task['id']}/complete", {"data": {"outcome": "done"}},
                     task["section"]).status_code == 200
    assert _state(client, case_id) == "completed"
    states = {p.code: p.state for p in list_for_case(case_id)}
    assert states == {"juki.tenkyo": "done", "mynumber.card_address": "done", "kokuho.change": "removed",
                      "kourei.visit": "removed"}


def test_an_added_procedure_rewires_only_its_own_case(client: FlaskClient) -> None:
    """SpiffWorkflow wires a message-started event subprocess into the spec when it fires; that must stay
    with the case (replayed on load) and never leak into the next case started on the same journey."""
    deploy_library()
    _label, _event, household, answers, expected = BY_LABEL["household split shaho"]
    first = _start(client, "setai_henko", household, answers)
    added = _post(client, f"/api/v1/cases/{first}/procedures", {"code": "chiken.change", "reason": "犬の登録"})
    assert added.status_code == 201, added.get_json()
    second = _start(client, "setai_henko", household, answers)
    for task in _ready(client, second):
        assert _post(client, f"/api/v1/tasks/{task['id']}/complete", {"data": {"outcome": "done"}},
                     task["section"]).status_code == 200
    assert _state(client, second) == "completed"
    for task in [t for t in _ready(client, first) if t["section"] != "kankyo"]:
        assert _post(client, f"/api/v1/tasks/{task['id']}/complete", {"data": {"outcome": "done"}},
                     task["section"]).status_code == 200
    assert _state(client, first) == "running"  # still waits for the added procedure after reloads
