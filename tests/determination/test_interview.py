"""The interview asks only what the determination needs and what the resident DB does not already know."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from forms import taskforms
from tests.conftest import api_headers, deploy_library, login
from tests.determination.test_rules import D
from tests.determination.visits import start_visit
from tests.support.families import make_household
from workflows.determination import interview, routing
from workflows.scripting import check_expression

YOUNG = {"name": "若者", "birth_date": "1990-01-10", "relation": "世帯主", "insurance": "shaho",
         "pension_category": "2", "subject": True}
ELDER = {"name": "高齢", "birth_date": "1948-02-02", "relation": "父", "insurance": "kouki", "subject": True}


def _interview(client: FlaskClient, event: str, household: list[dict[str, Any]] | None = None,
               resident_id: int | None = None) -> tuple[int, int]:
    if household is not None:
        case_id, task_id, _ids = start_visit(client, event, household, {}, on=D, complete=False)
        return case_id, task_id
    started = client.post("/api/v1/cases", json={"process_key": f"journey_{event}", "resident_id": resident_id},
                          headers=api_headers("counter"))
    assert started.status_code == 201, started.get_json()
    [task] = started.get_json()["tasks"]
    return started.get_json()["id"], task["id"]


def _asked(client: FlaskClient, task_id: int, user: str = "counter") -> tuple[list[str], list[str]]:
    answer = client.get(f"/api/v1/tasks/{task_id}/questions", headers=api_headers(user))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    return list(dict.fromkeys(f["name"] for f in body["fields"])), body["skipped"]


@pytest.mark.parametrize(("household", "asked", "skipped"), [
    ([YOUNG], ["event_date", "counter_note", "wants_seal"], ["previous_prefecture_other", "dog_owner"]),
    ([YOUNG, ELDER], ["event_date", "previous_prefecture_other", "counter_note", "wants_seal"], ["dog_owner"]),
])
def test_tennyu_asks_the_prefecture_only_with_someone_aged_75(client: FlaskClient, household: list, asked: list,
                                                              skipped: list) -> None:
    deploy_library()
    _case, task = _interview(client, "tennyu", household=household)  # residents of the DB: dog_owner is known
    assert _asked(client, task) == (asked, skipped)
    assert client.get(f"/api/v1/tasks/{task}/questions", headers=api_headers("hoken")).status_code == 403


@pytest.mark.parametrize(("member", "asked"), [
    (YOUNG, []),  # 第2号 without a seal: neither 3号 nor seal re-registration can follow
    ({**YOUNG, "insurance": "kokuho", "pension_category": "1", "seal_registered": True},
     ["becomes_dependant", "surname_change"]),
])
def test_konin_asks_only_the_answers_a_table_reads(client: FlaskClient, member: dict, asked: list) -> None:
    deploy_library()
    _case, task = _interview(client, "konin", household=[member])
    shown, skipped = _asked(client, task)
    assert [n for n in shown if n not in ("event_date", "counter_note")] == asked
    assert sorted(skipped) == sorted({"becomes_dependant", "surname_change"} - set(asked))


def test_a_fact_known_from_the_resident_db_is_not_asked_again(client: FlaskClient) -> None:
    deploy_library()
    head = make_household()[0]  # dog_owner is held (false) for every resident of the city
    _case, task = _interview(client, "tenkyo", resident_id=head.id)
    assert _asked(client, task) == (["event_date", "counter_note"], ["dog_owner"])


def test_an_unknown_fact_is_asked_and_its_answer_is_used(app) -> None:
    """A household given as facts (the dry run) may lack a fact the resident DB always holds: it is asked."""
    deploy_library()
    form = taskforms.get("interview_tenkyo")
    assert interview.asked(form=form, events=["tenkyo"], household=[YOUNG], on=date.fromisoformat(D)) == {
        "event_date": True, "dog_owner": True, "counter_note": True}
    routed = routing.route(event=["tenkyo"], event_date=D, household=[YOUNG], resident_id=None,
                           answers={"dog_owner": True})
    assert {p["code"]: p["section"] for p in routed["all"]} == {"juki.tenkyo": "shimin", "chiken.change": "kankyo"}


def test_the_task_page_renders_only_the_asked_questions(client: FlaskClient) -> None:
    deploy_library()
    _case, task = _interview(client, "tennyu", household=[YOUNG])
    login(client, "counter")
    html = client.get(f"/tasks/{task}").get_data(as_text=True)
    assert re.search(r'name="members\.\d+\.wants_seal"', html) and 'name="wants_seal"' not in html
    assert 'name="previous_prefecture_other"' not in html and 'name="dog_owner"' not in html
    _case, elder_task = _interview(client, "tennyu", household=[ELDER])
    html = client.get(f"/tasks/{elder_task}").get_data(as_text=True)
    assert 'name="previous_prefecture_other"' in html


def test_every_ask_if_in_the_library_passes_the_sandbox() -> None:
    conditional = [(key.name, f) for key in sorted(taskforms.LIBRARY.iterdir()) if (key / "form.yaml").is_file()
                   for f in taskforms.get(key.name).fields if f.ask_if]
    assert len(conditional) >= 7
    assert [(k, f.name) for k, f in conditional if check_expression(f.ask_if, mode="eval")] == []


def test_a_certificate_interview_asks_for_at_least_one_certificate(client: FlaskClient) -> None:
    """A 証明書交付 for no certificate would determine and print nothing: refused, naming the first box; the task
    stays as it was. One box ticked, and it is done."""
    deploy_library()
    case_id, task = _interview(client, "shomei", household=[YOUNG])
    complete = f"/api/v1/tasks/{task}/complete"
    refused = client.post(complete, json={"data": {"event_date": D, "requester": "self"}},
                          headers=api_headers("counter"))
    assert refused.status_code == 422, refused.get_json()
    fields = refused.get_json()["error"]["details"]["fields"]
    assert "交付する証明書を一つ以上選んでください" in str(fields["cert_juminhyo"])
    unticked = client.post(complete, json={"data": {"event_date": D, "requester": "self", "cert_inkan": "false"}},
                           headers=api_headers("counter"))
    assert unticked.status_code == 422, unticked.get_json()
    case = client.get(f"/api/v1/cases/{case_id}", headers=api_headers("counter")).get_json()
    assert [t["state"] for t in case["tasks"] if t["id"] == task] == ["ready"]
    done = client.post(complete, json={"data": {"event_date": D, "requester": "self", "cert_nozei": "on"}},
                       headers=api_headers("counter"))
    assert done.status_code == 200, done.get_json()


def test_a_seal_certificate_is_refused_for_a_person_without_a_registration(client: FlaskClient) -> None:
    """A 印鑑登録証明書 exists only for a registered seal (found walking a 証明書 visit: it was determined, printed
    and sent to 市民課 for a resident without one): refused on its box with the person's name, the task stays
    ready and nothing is determined; for a registered person it is determined."""
    deploy_library()
    case_id, task = _interview(client, "shomei", household=[{**YOUNG, "name": "未登録"}])
    refused = client.post(f"/api/v1/tasks/{task}/complete", headers=api_headers("counter"),
                          json={"data": {"event_date": D, "requester": "self", "cert_inkan": "on"}})
    assert refused.status_code == 422, refused.get_json()
    assert "未登録さんは印鑑登録がないため" in str(refused.get_json()["error"]["details"]["fields"]["cert_inkan"])
    case = client.get(f"/api/v1/cases/{case_id}", headers=api_headers("counter")).get_json()
    assert [t["state"] for t in case["tasks"] if t["id"] == task] == ["ready"]
    assert client.get(f"/api/v1/cases/{case_id}/procedures", headers=api_headers("counter")).get_json() == []
    registered_case, registered = _interview(client, "shomei", household=[{**YOUNG, "seal_registered": True}])
    done = client.post(f"/api/v1/tasks/{registered}/complete", headers=api_headers("counter"),
                       json={"data": {"event_date": D, "requester": "self", "cert_inkan": "on"}})
    assert done.status_code == 200, done.get_json()
    found = client.get(f"/api/v1/cases/{registered_case}/procedures", headers=api_headers("counter")).get_json()
    assert [p["code"] for p in found] == ["cert.inkan"]


def test_a_person_registering_on_the_visit_may_have_the_seal_certificate(client: FlaskClient) -> None:
    """A 転入 with a certificate: who ticks 印鑑登録を希望 in the combined interview registers first, so their
    印鑑登録証明書 is not refused."""
    deploy_library()
    case_id, _task, _ids = start_visit(client, "shomei", [{**YOUNG, "insurance": "kokuho"}],
                                       {"requester": "self", "cert_inkan": True, "wants_seal": True}, on=D,
                                       events=["tennyu"], hand_over=False)
    found = client.get(f"/api/v1/cases/{case_id}/procedures", headers=api_headers("counter")).get_json()
    assert {"seal.register", "cert.inkan"} <= {p["code"] for p in found}


def test_the_questions_name_the_at_least_one_group(client: FlaskClient) -> None:
    deploy_library()
    _case, task = _interview(client, "shomei", household=[YOUNG])
    body = client.get(f"/api/v1/tasks/{task}/questions", headers=api_headers("counter")).get_json()
    [group] = body["at_least_one"]
    assert group["fields"][0] == "cert_juminhyo" and len(group["fields"]) == 7
    _case, tennyu = _interview(client, "tennyu", household=[YOUNG])
    assert client.get(f"/api/v1/tasks/{tennyu}/questions", headers=api_headers("counter")).get_json()[
        "at_least_one"] == []
