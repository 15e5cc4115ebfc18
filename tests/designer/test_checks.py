"""What 検証 and 試算 tell the designer, through the real API and database: every DMN cell is read and a bad one is
named by decision, rule and column; 試算 explains in Japanese; a user task without form or lane deploys with the
default confirmation form in 総合窓口 and runs; an unchanged file makes no new version; the designer lands on
業務設計."""

from __future__ import annotations

import re

import pytest

from core.db import db
from core.settings import REPO_ROOT
from tests.conftest import PASSWORD, actor, api_headers, csrf_token, deploy_library, login
from tests.workflows.test_registry import process
from web.model_rules import deploy_files
from workflows import registry, runtime

KOUKI = (REPO_ROOT / "bpmn" / "decisions" / "proc_kouki.dmn").read_text(encoding="utf-8")
BAD_CELL = '"本人確認書類、登録する印鑑"（15歳以上）'
SAMPLE = {"event": "tennyu", "is_subject": True, "age_calendar": 80, "insurance": "kokuho",
          "previous_prefecture_other": True}


def _bad_kouki() -> str:
    return KOUKI.replace('<text>"負担区分等証明書"</text>', f"<text>{BAD_CELL}</text>")


def test_a_bad_output_cell_is_named_at_check_and_refused(client) -> None:
    headers = api_headers("designer")
    checked = client.post("/api/v1/designer/check", json={"file_name": "proc_kouki.dmn", "xml": _bad_kouki()},
                          headers=headers).get_json()["problems"]
    assert len(checked) == 1
    problem = checked[0]
    assert problem["message"].startswith(f"判定表 proc_kouki・規則 1・列「持ち物」: 結果「{BAD_CELL}」は式として")
    assert '"本人確認書類、登録する印鑑（15歳以上）"' in problem["message"]  # how to write it instead
    assert (problem["rule_id"], problem["column_id"], problem["element"]) == ("r1", "proc_kouki_out_bring",
                                                                             "r1_o_bring")
    refused = client.post("/api/v1/designer/deploy", json={"file_name": "proc_kouki.dmn", "xml": _bad_kouki()},
                          headers=headers)
    assert refused.status_code == 422
    assert registry.latest_versions() == []


@pytest.mark.parametrize(("cell", "expected"), [
    ('<inputEntry id="r1_i3"><text>&gt;= 75 歳</text></inputEntry>', "条件「>= 75 歳」を読めません"),
    ('<inputEntry id="r1_i3"><text>[20..]</text></inputEntry>', "条件「[20..]」を読めません"),
])
def test_a_bad_input_cell_is_named(client, cell: str, expected: str) -> None:
    xml = KOUKI.replace('<inputEntry id="r1_i3"><text>&gt;= 75</text></inputEntry>', cell)
    problems = client.post("/api/v1/designer/check", json={"file_name": "proc_kouki.dmn", "xml": xml},
                           headers=api_headers("designer")).get_json()["problems"]
    assert [p["column_id"] for p in problems] == ["proc_kouki_in3"]
    assert "規則 1・列「年齢（誕生日到達）」" in problems[0]["message"] and expected in problems[0]["message"]
    assert "FEEL の書き方にしてください" in problems[0]["message"]


def test_trial_run_explains_in_japanese(client) -> None:
    headers = api_headers("designer")

    def run(xml: str, data: object) -> tuple[int, str]:
        response = client.post("/api/v1/designer/decisions/evaluate", json={"xml": xml, "data": data},
                               headers=headers)
        body = response.get_json()
        return response.status_code, body["result"] if response.status_code == 200 else body["error"]["message"]

    assert run(KOUKI, SAMPLE) == (200, {"code": ["kouki.join"], "name": ["後期高齢者医療 資格取得"],
                                        "section": ["hoken"], "forms": ["kouki_join"], "deadline_days": [14],
                                        "bring": ["負担区分等証明書"]})
    status, message = run(_bad_kouki(), SAMPLE)
    assert status == 422 and "規則 1・列「持ち物」" in message and "内部エラー" not in message
    status, message = run(KOUKI, {k: v for k, v in SAMPLE.items() if k != "event"})
    assert status == 422 and "入力「event」がありません" in message and '"event": 値 を加えてください' in message
    status, message = run(KOUKI, {**SAMPLE, "age_calendar": None})
    assert status == 422 and "値を比べられませんでした" in message
    status, message = run(KOUKI, [1, 2])
    assert status == 422 and message.startswith("入力データは JSON のオブジェクト")


def test_a_user_task_without_form_or_lane_gets_the_default_form_and_counter(app) -> None:
    body = ('<bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:userTask id="confirm_me" name="内容の確認"><bpmn:incoming>a</bpmn:incoming>'
            '<bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="confirm_me"/>'
            '<bpmn:sequenceFlow id="b" sourceRef="confirm_me" targetRef="e"/>')
    xml = re.sub(rb"<bpmn:laneSet.*?</bpmn:laneSet>", b"", process(body, refs="", key="plain"))
    assert b"laneSet" not in xml
    deploy_files(files=[("plain.bpmn", xml)], actor=actor("designer"))
    case = runtime.start_case(process_key="plain", actor=actor("counter"), data={})
    db.session.commit()
    task = runtime.list_tasks(case_id=case.id)[0]
    assert (task.title, task.form_key, task.section_code) == ("内容の確認", "confirmation", "madoguchi")
    runtime.complete_task(task_id=task.id, data={"note": "確認済み"}, actor=actor("counter"))
    db.session.commit()
    assert runtime.get_case(case.id).state == "completed"


def test_an_unchanged_file_reformatted_makes_no_new_version(app) -> None:
    deploy_library(REPO_ROOT / "bpmn" / "decisions" / "proc_kouki.dmn")
    first = registry.list_versions("proc_kouki")
    reformatted = KOUKI.replace("\n      ", "\n  ").replace('hitPolicy="COLLECT"', 'hitPolicy="COLLECT" ')
    reformatted = reformatted.replace("<definitions ", '<definitions exporter="dmn-js" ')
    again = deploy_files(files=[("proc_kouki.dmn", reformatted.encode())], actor=actor("designer"))
    assert [v.id for v in again] == [first[0].id]
    changed = deploy_files(files=[("proc_kouki.dmn", KOUKI.replace(">14<", ">15<", 1).encode())],
                           actor=actor("designer"))
    assert changed[0].version == 2


def test_the_designer_lands_on_the_designers_page_and_back_to_top_works(client) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"username": "designer", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/designer/"
    refused = client.get("/inbox")
    assert refused.status_code == 403
    back = re.search(r'<a href="([^"]+)">トップへ戻る</a>', refused.get_data(as_text=True)).group(1)
    assert client.get(back).headers["Location"] == "/designer/"
    assert client.get("/designer/").status_code == 200
    login(client, "counter")
    assert client.get("/").headers["Location"] == "/counter/"
