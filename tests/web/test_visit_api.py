"""The visit API's contract (API.md v1.1): the start schema refuses unknown keys, questions carry their options and
whose they are, answers are refused naming the field, the event date is corrected before the hand-over only, and
every endpoint is in the OpenAPI document."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.db import db
from tests.conftest import TENNYU_FIXTURE, api_headers, deploy_library
from tests.forms.support import pdf_text, squeeze
from tests.scenarios.client import ApiError, VisitClient
from tests.support.families import make_residents
from workflows.determination.models import list_for_case

ON = "2026-11-20"
FAMILY = [
    {"name": "上田 拓也", "kana": "ウエダ タクヤ", "relation": "世帯主", "birth": date(1984, 4, 4), "sex": "1",
     "insurance": "kokuho", "pension_category": "1"},
    {"name": "上田 結", "kana": "ウエダ ユイ", "relation": "子", "birth": date(2020, 2, 2), "sex": "2",
     "insurance": "kokuho"},
]


@pytest.fixture
def family(app: Any) -> list[Any]:
    deploy_library()
    return make_residents(FAMILY, setai_no="4000001", first_code=40000000001)


def _post(client: FlaskClient, path: str, body: dict[str, Any], user: str = "counter") -> Any:
    return client.post(path, json=body, headers=api_headers(user))


@pytest.mark.parametrize("extra", [{"requester": "self"}, {"protection_decision": "approve"},
                                   {"data": {"household": []}}, {"data": {"protection": {"hold": False}}},
                                   {"notifier": {"resident_id": 1, "protection_decision": "approve"}}])
def test_a_visit_start_refuses_keys_it_does_not_declare(client: FlaskClient, family, extra: dict) -> None:
    started = _post(client, "/api/v1/cases", {"process_key": "journey_tennyu", "resident_id": family[0].id, **extra})
    assert started.status_code == 422, started.get_json()
    assert db.session.scalar(db.text("SELECT count(*) FROM cases")) == 0


def test_a_plain_process_takes_only_what_its_start_form_declares(client: FlaskClient, app: Any) -> None:
    deploy_library(TENNYU_FIXTURE)  # no start form: no start data
    refused = _post(client, "/api/v1/cases", {"process_key": "tennyu", "data": {"fee": 0}})
    assert refused.status_code == 422 and "data.fee" in refused.get_json()["error"]["details"]["fields"]
    assert _post(client, "/api/v1/cases", {"process_key": "tennyu", "data": {}}).status_code == 201


@pytest.mark.parametrize(("typed", "why"), [("令和9年1月1日", "未来"), ("2020-01-01", "生年月日"), ("R8.2.30", "28日"),
                                             ("1867-12-31", "1868")])
def test_an_implausible_event_date_at_the_start_is_refused_with_the_reason(client: FlaskClient, family, typed: str,
                                                                           why: str) -> None:
    started = _post(client, "/api/v1/cases", {"process_key": "journey_tennyu", "resident_id": family[0].id,
                                              "members": [m.id for m in family], "event_date": typed})
    assert started.status_code == 422
    body = started.get_json()["error"]
    assert why in body["details"]["fields"]["event_date"][0]


def test_a_tenshutsu_may_be_notified_up_to_14_days_ahead(client: FlaskClient, family) -> None:
    api = VisitClient(client)
    today = date.fromisoformat(_today())
    ahead = date.fromordinal(today.toordinal() + 14).isoformat()
    case = api.start(resident_id=family[0].id, members=[family[0].id], events=["tenshutsu"], event_date=ahead)
    assert case["state"] == "running"
    with pytest.raises(ApiError) as refused:
        api.start(resident_id=family[0].id, members=[family[0].id], events=["tenshutsu"],
                  event_date=date.fromordinal(today.toordinal() + 15).isoformat())
    assert "14日後" in refused.value.body["error"]["details"]["fields"]["event_date"][0]


def _today() -> str:
    from core.calendar import JST
    from core.db import utcnow

    return utcnow().astimezone(JST).date().isoformat()


def test_questions_carry_options_and_whose_they_are(client: FlaskClient, family) -> None:
    api = VisitClient(client)
    case = api.start(resident_id=family[0].id, members=[m.id for m in family], events=["tennyu"])
    [task] = case["tasks"]
    questions = api.questions(task["id"])
    seal = [q for q in questions if q["name"] == "wants_seal"]
    assert [q["member"] for q in seal] == [family[0].id]  # the 4-year-old is not asked
    assert seal[0]["options"] == [{"value": True, "label": "はい"}, {"value": False, "label": "いいえ"}]
    assert all(q["member"] is None for q in questions if q["name"] != "wants_seal")
    assert client.get(f"/api/v1/tasks/{task['id']}/questions", headers=api_headers("hoken")).status_code == 403
    child = _post(client, f"/api/v1/tasks/{task['id']}/complete",
                  {"data": {"event_date": ON, "members": {str(family[1].id): {"wants_seal": True}}}})
    assert child.status_code == 422
    assert "15歳" in child.get_json()["error"]["details"]["fields"][f"members.{family[1].id}.wants_seal"][0]
    api.answer_task(task["id"], on=ON, given={"event_date": "令和8年11月20日"},
                    per_member={family[0].id: {"wants_seal": True}})
    procedures = {p["code"]: p for p in api.procedures(case["id"])}
    assert [s["resident_id"] for s in procedures["seal.register"]["subjects"]] == [family[0].id]
    assert procedures["seal.register"]["reason"] == "転入で前住所地の登録は失効: 希望者は登録"
    assert procedures["juki.tennyu"]["due"] == "令和8年12月4日" and procedures["juki.tennyu"]["rule"] == "proc_juki#r1"


def _interviewed(client: FlaskClient, family: list[Any]) -> tuple[VisitClient, int]:
    api = VisitClient(client)
    case = api.start(resident_id=family[0].id, members=[m.id for m in family], events=["tennyu"])
    api.answer_task(case["tasks"][0]["id"], on=ON, given={"event_date": ON})
    return api, case["id"]


def test_form_answers_are_refused_naming_the_field(client: FlaskClient, family) -> None:
    api, case_id = _interviewed(client, family)
    questions = api.form_questions(case_id)
    mine = next(q for q in questions if q["member"] == family[1].id and q["type"] == "choice")
    assert mine["options"] and mine["member_name"] == family[1].name
    path = f"/api/v1/cases/{case_id}/form-answers"
    bad = client.put(path, json={"members": {str(family[1].id): {mine["key"]: "nonsense"}}},
                     headers=api_headers("counter"))
    assert bad.status_code == 422
    assert list(bad.get_json()["error"]["details"]["fields"]) == [f"members.{family[1].id}.{mine['key']}"]
    unknown = client.put(path, json={"answers": {"protection_decision": "approve"}}, headers=api_headers("counter"))
    assert unknown.status_code == 422 and "protection_decision" in unknown.get_json()["error"]["details"]["fields"]
    stranger = client.put(path, json={"members": {"999999": {mine["key"]: mine["options"][0]["value"]}}},
                          headers=api_headers("counter"))
    assert stranger.status_code == 422
    assert client.put(path, json={"answers": {}}, headers=api_headers("shimin")).status_code == 403
    answered = api.answer_forms(case_id, on=ON)
    assert answered["remaining"] == [] and answered["stored"]


def test_the_event_date_is_corrected_until_the_hand_over(client: FlaskClient, family) -> None:
    api, case_id = _interviewed(client, family)
    path = f"/api/v1/cases/{case_id}/event-date"
    corrected = client.put(path, json={"event_date": "令和8年11月24日"}, headers=api_headers("counter"))
    assert corrected.status_code == 200, corrected.get_json()
    juki = next(p for p in corrected.get_json() if p["code"] == "juki.tennyu")
    assert juki["due_date"] == "2026-12-08" and juki["due"] == "令和8年12月8日"
    assert client.put(path, json={"event_date": "令和9年1月1日"}, headers=api_headers("counter")).status_code == 422
    api.answer_forms(case_id, on="2026-11-24")
    api.make_documents(case_id)
    with pytest.raises(ApiError) as unsigned:
        api.hand_over(case_id)
    assert unsigned.value.status == 422
    api.sign(case_id)
    api.hand_over(case_id)
    late = client.put(path, json={"event_date": ON}, headers=api_headers("counter"))
    assert late.status_code == 409 and "送付済み" in late.get_json()["error"]["message"]
    assert {p.due_date for p in list_for_case(case_id) if p.code == "juki.tennyu"} == {date(2026, 12, 8)}
    guide = api.guide(case_id)
    assert guide.startswith(b"%PDF-")
    assert client.get(f"/api/v1/cases/{case_id}/guide", headers=api_headers("shimin")).status_code == 403


def test_a_withdrawn_procedure_by_a_new_date_says_why(client: FlaskClient, app: Any) -> None:
    deploy_library()
    [elder] = make_residents([{"name": "境 十五", "kana": "サカイ ジュウゴ", "relation": "世帯主",
                               "birth": date(1961, 11, 22), "sex": "1", "insurance": "kokuho"}],
                             setai_no="4000002", first_code=40000000101)
    api = VisitClient(client)
    case = api.start(resident_id=elder.id, members=[elder.id], events=["tennyu"])
    api.answer_task(case["tasks"][0]["id"], on="2026-11-22", given={"event_date": "2026-11-22"})
    assert "kaigo.join" in {p["code"] for p in api.procedures(case["id"])}  # 65 on the day before the birthday
    client.put(f"/api/v1/cases/{case['id']}/event-date", json={"event_date": "2026-11-20"},
               headers=api_headers("counter"))
    kaigo = next(p for p in list_for_case(case["id"]) if p.code == "kaigo.join")
    assert kaigo.state == "removed" and "異動日の訂正" in kaigo.reason


def test_every_visit_endpoint_is_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in [("/api/v1/cases", "post"), ("/api/v1/tasks/{task_id}/questions", "get"),
                         ("/api/v1/cases/{case_id}/procedures", "get"),
                         ("/api/v1/cases/{case_id}/form-questions", "get"),
                         ("/api/v1/cases/{case_id}/form-answers", "put"),
                         ("/api/v1/cases/{case_id}/documents", "post"), ("/api/v1/cases/{case_id}/documents", "get"),
                         ("/api/v1/cases/{case_id}/signature", "post"), ("/api/v1/cases/{case_id}/hand-over", "post"),
                         ("/api/v1/cases/{case_id}/guide", "get"), ("/api/v1/cases/{case_id}/event-date", "put")]:
        assert method in paths[path], (path, method)
    start = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["CaseStart"]
    assert {"members", "events", "notifier", "event_date"} <= set(start["properties"])
    assert start.get("additionalProperties") is False


def test_a_child_is_not_a_notifier(client: FlaskClient, family) -> None:
    started = _post(client, "/api/v1/cases", {"process_key": "journey_tennyu", "resident_id": family[1].id,
                                              "members": [family[1].id], "notifier": {"resident_id": family[1].id}})
    assert started.status_code == 422 and "15歳未満" in started.get_json()["error"]["message"]
    proposed = VisitClient(client).start(resident_id=family[1].id, members=[family[1].id], events=["tennyu"])
    assert proposed["state"] == "running"  # nobody named: the 世帯主 files for the 6-year-old


def test_a_per_person_question_answered_for_the_household_is_refused_saying_how(client: FlaskClient, family) -> None:
    api = VisitClient(client)
    case = api.start(resident_id=family[0].id, members=[family[0].id], events=["tennyu"])
    refused = _post(client, f"/api/v1/tasks/{case['tasks'][0]['id']}/complete",
                    {"data": {"event_date": ON, "wants_seal": True}})
    assert refused.status_code == 422
    assert "members.<住民のID>.wants_seal" in refused.get_json()["error"]["details"]["fields"]["wants_seal"][0]


def test_a_persons_techo_number_is_asked_once_for_all_their_forms(client: FlaskClient, app: Any) -> None:
    """The 手帳番号 is the person's: asked once for their 重度医療 申請 and their 手帳 居住地変更届 (it was asked
    twice, once per form, found walking the demo), and each person's forms print their own."""
    deploy_library()
    people = make_residents([
        {"name": "岡田 翔", "kana": "オカダ ショウ", "relation": "世帯主", "birth": date(1987, 11, 11), "sex": "1",
         "insurance": "shaho", "pension_category": "2", "disability": "shintai3"},
        {"name": "岡田 光", "kana": "オカダ ヒカル", "relation": "弟", "birth": date(1990, 1, 1), "sex": "1",
         "insurance": "shaho", "pension_category": "2", "disability": "shintai1"},
    ], setai_no="4000002", first_code=40000000011)
    api = VisitClient(client)
    case = api.start(resident_id=people[0].id, members=[p.id for p in people], events=["tennyu"])
    api.answer_task(case["tasks"][0]["id"], on=ON, given={"event_date": ON})
    asked = [q for q in api.form_questions(case["id"]) if q["label"] == "手帳番号"]
    assert sorted(q["member"] for q in asked) == sorted(p.id for p in people)
    assert all(len(q["forms"]) == 2 and q["key"] == "techo_no" for q in asked), asked
    numbers = {people[0].id: "身体第10001号", people[1].id: "身体第20002号"}
    api.answer_forms(case["id"], on=ON, per_member={i: {"techo_no": n} for i, n in numbers.items()})
    made = [d for d in api.make_documents(case["id"]) if d["form_key"] in {"fukushi_judo", "shogai_address"}]
    assert len(made) == 4
    for doc in made:
        [whose] = doc["subject_resident_ids"]
        text = squeeze(pdf_text(api.pdf(doc["id"])))
        assert numbers[whose] in text and all(n not in text for i, n in numbers.items() if i != whose), doc


@pytest.mark.parametrize(("event", "kind", "before"), [("tenkyo", "address", "山口県山口市中央1-2-3　コーポ中央101号"),
                                                      ("konin", "name", "上田 拓也")])
def test_a_change_form_starts_with_what_the_event_changed_and_the_registers_value_before_it(
        client: FlaskClient, app: Any, event: str, kind: str, before: str) -> None:
    """The 児童手当 and 国保 change forms' 変更の内容 and 変更前: the address (with its 方書) on a move, the name on a
    marriage — what the register holds at the visit; the clerk typed it (found walking a 転居 in the demo)."""
    deploy_library()
    [head] = make_residents([{**FAMILY[0], "child_allowance_recipient": True, "dog_owner": True}], setai_no="4000003",
                            first_code=40000000021, address="山口県山口市中央1-2-3", address_extra="コーポ中央101号")
    api = VisitClient(client)
    case = api.start(resident_id=head.id, members=[head.id], events=[event])
    api.answer_task(case["tasks"][0]["id"], on=ON, given={"event_date": ON})
    asked = {(q["key"].split(".")[0], q["label"]): q["default"] for q in api.form_questions(case["id"])}
    for form in ("jidou_change", "kokuho_change"):
        assert asked[(form, "変更の内容")] == kind, asked
        assert asked[(form, "変更前")] == before, asked
    assert asked.get(("chiken_change", "届出の内容")) == ("address" if event == "tenkyo" else None), asked
