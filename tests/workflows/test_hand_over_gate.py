"""A visit's procedures wait for the counter's hand-over: until the resident has signed and the counter has sent
the visit, no section lists, claims or completes them (bench/load.py found sections completing a procedure while
the counter was still answering the forms; the counter's answers and documents were then refused)."""

from __future__ import annotations

from flask.testing import FlaskClient

from core.db import db
from tests.conftest import api_headers, deploy_library, login
from tests.determination.visits import start_visit
from tests.scenarios.client import VisitClient
from tests.support.families import TENNYU_HOUSEHOLD
from workflows.determination.models import list_for_case
from workflows.models import Case


def _ready(client: FlaskClient, user: str, case_id: int) -> list[dict]:
    listed = client.get("/api/v1/tasks?state=ready", headers=api_headers(user))
    assert listed.status_code == 200
    return [t for t in listed.get_json() if t["case_id"] == case_id]


def test_sections_work_a_visit_only_after_the_counter_hands_it_over(client: FlaskClient) -> None:
    deploy_library()
    case_id, _interview, _ids = start_visit(client, "tennyu", [dict(m) for m in TENNYU_HOUSEHOLD[:2]], {},
                                            on="2026-11-20", hand_over=False)
    shimin = next(p for p in list_for_case(case_id) if p.section_code == "shimin")
    assert db.session.get(Case, case_id).awaiting_hand_over
    assert _ready(client, "shimin", case_id) == [] and _ready(client, "admin", case_id) == []
    for step, body in (("claim", None), ("complete", {"data": {"outcome": "done"}})):
        refused = client.post(f"/api/v1/tasks/{shimin.task_id}/{step}", json=body, headers=api_headers("shimin"))
        assert refused.status_code == 409, (step, refused.get_json())
        assert "まだ各課へ送付されていません" in refused.get_json()["error"]["message"]
    login(client, "shimin")
    assert f"/tasks/{shimin.task_id}" not in client.get("/inbox").get_data(as_text=True)

    counter = VisitClient(client)  # the counter's steps go on undisturbed, then the hand-over releases the tasks
    counter.answer_forms(case_id, on="2026-11-20")
    counter.make_documents(case_id)
    counter.sign(case_id)
    counter.hand_over(case_id)
    db.session.expire_all()
    assert not db.session.get(Case, case_id).awaiting_hand_over
    assert shimin.task_id in {t["id"] for t in _ready(client, "shimin", case_id)}
    assert f"/tasks/{shimin.task_id}" in client.get("/inbox").get_data(as_text=True)
    done = client.post(f"/api/v1/tasks/{shimin.task_id}/complete", json={"data": {"outcome": "done"}},
                       headers=api_headers("shimin"))
    assert done.status_code == 200, done.get_json()
