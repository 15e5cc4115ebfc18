"""The training text's exercises (web/help/training.yaml), each run on the demo data through the pages as its role
would, in order; the outcome the text promises is what the pages show. A change of the demo data, a journey or a
page that breaks an exercise fails here, so the text never goes stale."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from core import demo as sections_demo
from core.actor import Actor
from core.db import db
from integrations.imports import demo as residents_demo
from tests.conftest import IsolatedClient, deploy_library, login
from tests.scenarios.pages import fill, post, sign_and_hand_over
from web.help import training
from workflows import runtime
from workflows.determination.models import list_for_case
from workflows.models import Case


def _household(client: FlaskClient, check: dict[str, Any], state: dict[str, Any]) -> None:
    found = client.get(f"/counter/?q={check['code']}").get_data(as_text=True)
    [resident_id] = set(re.findall(r'href="/counter/residents/(\d+)"', found))
    page = client.get(f"/counter/residents/{resident_id}").get_data(as_text=True)
    assert all(name in page for name in check["names"]), check["names"]
    state["resident_id"] = int(resident_id)
    state["subjects"] = re.findall(r'name="subjects" value="(\d+)"', page)
    assert len(state["subjects"]) == len(check["names"])


def _start_visit(client: FlaskClient, check: dict[str, Any], state: dict[str, Any]) -> None:
    path = f"/counter/residents/{state['resident_id']}"
    started = post(client, path, {"events": check["event"], "subjects": state["subjects"]}, page=path)
    assert started.status_code == 302 and re.fullmatch(r"/tasks/\d+", started.headers["Location"])
    case = db.session.scalars(db.select(Case).order_by(Case.id.desc())).first()
    assert case.process_key == check["process"] and case.state == "running"
    state["case_id"], state["interview"] = case.id, started.headers["Location"]


def _interview(client: FlaskClient, check: dict[str, Any], state: dict[str, Any]) -> None:
    done = post(client, state["interview"], {"event_date": check["event_date"]}, page=state["interview"])
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    summary = client.get(f"/counter/cases/{state['case_id']}").get_data(as_text=True)
    determined = {p.code: p for p in list_for_case(state["case_id"])}
    assert set(check["procedures"]) == set(determined), sorted(determined)
    assert all(determined[code].name in summary for code in check["procedures"])


def _hand_over(client: FlaskClient, check: dict[str, Any], state: dict[str, Any]) -> None:
    case_id, section = state["case_id"], client.application.test_client()
    login(section, check["section"])
    waiting = [t for t in runtime.list_tasks(case_id=case_id) if t.section_code == check["section"]]
    assert waiting and not any(f"/tasks/{t.id}" in section.get("/inbox").get_data(as_text=True) for t in waiting)
    path = f"/counter/cases/{case_id}/documents"
    made = post(client, path, fill(client.get(path).get_data(as_text=True)), page=path)
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    sign_and_hand_over(client, case_id)
    inbox = section.get("/inbox").get_data(as_text=True)
    assert all(f"/tasks/{t.id}" in inbox for t in waiting)


def _complete_section(client: FlaskClient, check: dict[str, Any], state: dict[str, Any]) -> None:
    db.session.expire_all()
    mine = [t for t in runtime.list_tasks(case_id=state["case_id"]) if t.section_code == check["section"]]
    assert mine, "no task for the section"
    for task in mine:
        assert f"/tasks/{task.id}" in client.get("/inbox").get_data(as_text=True)
        post(client, f"/tasks/{task.id}/claim", {}, page="/inbox")
        page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
        version = re.search(r'name="version" value="(\d+)"', page)[1]
        done = post(client, f"/tasks/{task.id}", {"outcome": "done", "version": version}, page=f"/tasks/{task.id}")
        assert done.status_code == 302, done.get_data(as_text=True)[:2000]
        assert f"/tasks/{task.id}" not in client.get("/inbox").get_data(as_text=True)


def _overview(client: FlaskClient, check: dict[str, Any], _state: dict[str, Any]) -> None:
    page = client.get("/manager/").get_data(as_text=True)
    row = re.search(rf'<th scope="row">{check["section"]}</th><td>(\d+)</td>', page)
    assert row and int(row[1]) == check["waiting"], row


def _model(client: FlaskClient, check: dict[str, Any], state: dict[str, Any]) -> None:
    page = client.get(f"/designer/models/{check['key']}").get_data(as_text=True)
    assert f"v{check['version']}" in page or f"版 {check['version']}" in page
    assert db.session.get(Case, state["case_id"]).process_key == check["key"]


def _run_job(client: FlaskClient, check: dict[str, Any], _state: dict[str, Any]) -> None:
    ran = post(client, f"/admin/jobs/{check['job']}/run", {}, page="/admin/jobs")
    assert ran.status_code == 302
    assert check["message"] in client.get(ran.headers["Location"]).get_data(as_text=True)


CHECKS = {"household": _household, "start_visit": _start_visit, "interview": _interview, "hand_over": _hand_over,
          "complete_section": _complete_section, "overview": _overview, "model": _model, "run_job": _run_job}


def test_every_exercise_of_the_training_text_gives_its_outcome(app: Flask) -> None:
    admin = Actor(username="demo", role="admin")
    sections_demo.load_sections()
    deploy_library()
    residents_demo.load(actor=admin)  # what `madoguchi demo` loads: 2000 residents, seed 2026
    db.session.commit()
    app.test_client_class = IsolatedClient
    book, state = training.load(), {}
    assert {e.role for e in book.exercises} >= {"counter", "section", "manager", "designer", "admin"}
    for exercise in book.exercises:
        client = app.test_client()
        login(client, exercise.user)
        CHECKS[exercise.check["kind"]](client, exercise.check, state)


def test_the_procedure_guide_in_easy_japanese_and_english_same_layout(app: Flask) -> None:
    """A visit's 手続案内書 asked in やさしい日本語 or English: the same layout (one template, one page), its words in
    that language, the procedures as the catalogue names them; Japanese stays the default."""
    from tests.forms.support import pdf_text, squeeze

    deploy_library()
    sections_demo.load_sections()
    residents_demo.load(actor=Actor(username="demo", role="admin"))
    db.session.commit()
    app.test_client_class = IsolatedClient
    client, state = app.test_client(), {}
    login(client, "counter")
    _household(client, training.load().exercises[0].check, state)  # the training text's household
    _start_visit(client, {"event": "tenkyo", "process": "journey_tenkyo"}, state)
    post(client, state["interview"], {"event_date": "2026-11-20"}, page=state["interview"])
    texts = {}
    for language in ("ja", "easy", "en"):
        response = client.get(f"/counter/cases/{state['case_id']}/guide.pdf?guide={language}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        texts[language] = squeeze(pdf_text(response.data))
    assert squeeze("手続案内書") in texts["ja"] and squeeze("お持ちいただくもの") in texts["ja"]
    assert squeeze("てつづきの あんない") in texts["easy"] and squeeze("もってくる もの") in texts["easy"]
    assert "Procedureguide" in texts["en"] and "Whattobring" in texts["en"] and "お持ちいただくもの" not in texts["en"]
    name = list_for_case(state["case_id"])[0].name
    assert all(squeeze(name) in text for text in texts.values())  # the data as the catalogue names it
    assert client.get(f"/counter/cases/{state['case_id']}/guide.pdf?guide=xx").status_code == 422
    assert "English" in client.get(f"/counter/cases/{state['case_id']}/guide").get_data(as_text=True)
