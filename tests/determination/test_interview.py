"""The interview asks only what the determination needs and what the resident DB does not already know."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from forms import taskforms
from tests.conftest import api_headers, deploy_library, login
from tests.determination.test_rules import D
from tests.support.families import make_household
from workflows.determination.models import list_for_case
from workflows.scripting import check_expression

YOUNG = {"name": "若者", "birth_date": "1990-01-10", "relation": "世帯主", "insurance": "shaho",
         "pension_category": "2", "subject": True}
ELDER = {"name": "高齢", "birth_date": "1948-02-02", "relation": "父", "insurance": "kouki", "subject": True}


def _interview(client: FlaskClient, event: str, **data: Any) -> tuple[int, int]:
    started = client.post("/api/v1/cases", json={"process_key": f"journey_{event}", "data": data},
                          headers=api_headers("counter"))
    assert started.status_code == 201, started.get_json()
    [task] = started.get_json()["tasks"]
    return started.get_json()["id"], task["id"]


def _asked(client: FlaskClient, task_id: int, user: str = "counter") -> tuple[list[str], list[str]]:
    answer = client.get(f"/api/v1/tasks/{task_id}/questions", headers=api_headers(user))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    return [f["name"] for f in body["fields"]], body["skipped"]


@pytest.mark.parametrize(("household", "asked", "skipped"), [
    ([YOUNG], ["event_date", "wants_seal", "dog_owner", "note"], ["previous_prefecture_other"]),
    ([YOUNG, {**ELDER, "dog_owner": False}], ["event_date", "wants_seal", "previous_prefecture_other", "note"],
     ["dog_owner"]),
])
def test_tennyu_asks_the_prefecture_only_with_someone_aged_75(client: FlaskClient, household: list, asked: list,
                                                              skipped: list) -> None:
    deploy_library()
    household = [{**m, "dog_owner": False} for m in household] if "dog_owner" in skipped else household
    _case, task = _interview(client, "tennyu", household=household)
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
    assert [n for n in shown if n not in ("event_date", "note")] == asked
    assert sorted(skipped) == sorted({"becomes_dependant", "surname_change"} - set(asked))


def test_a_fact_known_from_the_resident_db_is_not_asked_again(client: FlaskClient) -> None:
    deploy_library()
    head = make_household()[0]  # dog_owner is held (false) for every resident of the city
    _case, task = _interview(client, "tenkyo", resident_id=head.id)
    assert _asked(client, task) == (["event_date", "note"], ["dog_owner"])


def test_an_unknown_fact_is_asked_and_its_answer_is_used(client: FlaskClient) -> None:
    deploy_library()
    case_id, task = _interview(client, "tenkyo", household=[YOUNG])
    assert _asked(client, task) == (["event_date", "dog_owner", "note"], [])
    done = client.post(f"/api/v1/tasks/{task}/complete", json={"data": {"event_date": D, "dog_owner": True}},
                       headers=api_headers("counter"))
    assert done.status_code == 200, done.get_json()
    assert {p.code: p.section_code for p in list_for_case(case_id)} == {"juki.tenkyo": "shimin",
                                                                       "chiken.change": "kankyo"}


def test_the_task_page_renders_only_the_asked_questions(client: FlaskClient) -> None:
    deploy_library()
    _case, task = _interview(client, "tennyu", household=[YOUNG])
    login(client, "counter")
    html = client.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'name="wants_seal"' in html and 'name="dog_owner"' in html
    assert 'name="previous_prefecture_other"' not in html
    _case, elder_task = _interview(client, "tennyu", household=[{**ELDER, "dog_owner": True}])
    html = client.get(f"/tasks/{elder_task}").get_data(as_text=True)
    assert 'name="previous_prefecture_other"' in html and 'name="dog_owner"' not in html


def test_every_ask_if_in_the_library_passes_the_sandbox() -> None:
    conditional = [(key.name, f) for key in sorted(taskforms.LIBRARY.iterdir()) if (key / "form.yaml").is_file()
                   for f in taskforms.get(key.name).fields if f.ask_if]
    assert len(conditional) >= 7
    assert [(k, f.name) for k, f in conditional if check_expression(f.ask_if, mode="eval")] == []
