"""Every journey runs through the API: interview, determination, one task per procedure in its section, done."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from forms import printforms
from tests.conftest import api_headers, deploy_library
from tests.determination.test_rules import GUIDE_ONLY
from tests.determination.visits import start_visit
from tests.support.families import TENNYU_HOUSEHOLD
from workflows.determination.models import CaseProcedure, list_for_case

# The bench's moving-in family (tests/support/families.py) without its younger child, and with the head's seal
# registered: the expected procedures below depend on both.
FAMILY = [{**TENNYU_HOUSEHOLD[0], "seal_registered": True}, *(dict(member) for member in TENNYU_HOUSEHOLD[1:3])]
# journey → (interview answers, expected {procedure code: (section, due date)}) for the family on 2026-11-20
JOURNEYS = {
    "tennyu": ({"wants_seal": True}, {
        "juki.tennyu": ("shimin", "2026-12-04"), "mynumber.card_address": ("shimin", "2027-02-18"),
        "seal.register": ("shimin", None), "kokuho.join": ("hoken", "2026-12-04"),
        "nenkin.change": ("hoken", "2026-12-04"), "jidou.nintei": ("kodomo", "2026-12-07"),
        "fukushi.kodomo": ("kodomo", None), "gakko.tennyu": ("gakko", None)}),
    "tenshutsu": ({}, {
        "juki.tenshutsu": ("shimin", None), "seal.cancel_notice": ("shimin", None),
        "kokuho.leave": ("hoken", "2026-12-04"),
        "jidou.shometsu": ("kodomo", "2026-12-07"), "fukushi.kodomo": ("kodomo", None),
        "gakko.tenshutsu": ("gakko", None)}),
    "shomei": ({"cert_juminhyo": True, "cert_nozei": True}, {
        "cert.juminhyo": ("shimin", None), "cert.nozei": ("zeimu", None)}),
}


@pytest.mark.parametrize("event", sorted(JOURNEYS))
def test_journey_runs_to_completion_through_the_api(client: FlaskClient, event: str) -> None:
    deploy_library()
    answers, expected = JOURNEYS[event]
    household = FAMILY if event != "shomei" else [FAMILY[0]]
    case_id, interview_id, _ids = start_visit(client, event, household, answers, on="2026-11-20")
    case = {"id": case_id}
    interview = client.get(f"/api/v1/tasks/{interview_id}", headers=api_headers("counter")).get_json()
    assert interview["spec_name"] == "interview" and interview["section"] == "madoguchi"
    tasks = [t for t in client.get("/api/v1/tasks?state=ready", headers=api_headers("admin")).get_json()
             if t["case_id"] == case["id"]]
    procedures = {p.code: p for p in list_for_case(case["id"])}
    assert {code: (p.section_code, p.due_date and p.due_date.isoformat()) for code, p in procedures.items()} == expected
    assert sorted((t["section"], t["title"]) for t in tasks) == sorted(
        (p.section_code, p.name) for p in procedures.values())
    # each procedure's form is one of its own (a variant for a move or a loss: fukushi_kodomo_change …); the
    # seal's cancellation on 転出・死亡 is automatic (DOMAIN.md: guide only) and has none
    assert all([printforms.get(k).procedure for k in json.loads(p.form_keys)]
               == ([] if p.code in GUIDE_ONLY else [p.code]) for p in procedures.values())
    for index, task in enumerate(tasks):
        cancel = index == 0 and len(tasks) > 1
        body = {"outcome": "cancelled", "reason": "本人が後日来庁"} if cancel else {"outcome": "done"}
        if cancel:  # a cancellation without a reason is refused and changes nothing
            refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"outcome": "cancelled"}},
                                  headers=api_headers(task["section"]))
            assert refused.status_code == 422
        answer = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": body},
                             headers=api_headers(task["section"]))
        assert answer.status_code == 200, answer.get_json()
    final = client.get(f"/api/v1/cases/{case['id']}", headers=api_headers("manager")).get_json()
    assert final["state"] == "completed"
    states = sorted(p.state for p in CaseProcedure.query.filter_by(case_id=case["id"]))
    assert states.count("removed") == (1 if len(tasks) > 1 else 0)
    assert states.count("done") == len(tasks) - states.count("removed")
