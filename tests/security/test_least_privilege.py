"""Least privilege through the API and the pages: a section sees its own cases, tasks and documents only, and of
a case's data only what it needs (a bank account only the paying section, 障害者手帳 details only 高齢障がい福祉課).

Each test here is a finding of issue 17 that failed on the code before it."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.conftest import api_headers, login
from tests.forms.support import pdf_text, squeeze
from tests.security import scenario
from tests.security.scenario import BANK, TECHO, City
from workflows import runtime


@pytest.fixture
def city(app: object) -> City:
    return scenario.build()


def _get(client: FlaskClient, path: str, user: str):  # noqa: ANN202 - a test response
    return client.get(path, headers=api_headers(user))


def test_a_section_lists_only_the_cases_it_works_on(client: FlaskClient, city: City) -> None:
    assert {c["id"] for c in _get(client, "/api/v1/cases", "hoken").get_json()} == set()
    assert {c["id"] for c in _get(client, "/api/v1/cases", "gakko").get_json()} == {city.routed}
    assert {c["id"] for c in _get(client, "/api/v1/cases", "shimin").get_json()} == {city.routed, city.protected}
    assert {c["id"] for c in _get(client, "/api/v1/cases", "manager").get_json()} == {city.routed, city.protected,
                                                                                       city.held}
    assert _get(client, "/api/v1/cases?section=kodomo", "gakko").status_code == 403


def test_a_section_cannot_read_another_sections_case(client: FlaskClient, city: City) -> None:
    refused = _get(client, f"/api/v1/cases/{city.routed}", "hoken")
    assert refused.status_code == 403 and BANK not in refused.get_data(as_text=True)
    assert _get(client, f"/api/v1/cases/{city.held}", "shimin").status_code == 403
    assert _get(client, f"/api/v1/cases/{city.routed}", "gakko").status_code == 200


def test_a_section_reads_only_its_own_inbox(client: FlaskClient, city: City) -> None:
    assert _get(client, "/api/v1/tasks?section=kodomo", "hoken").status_code == 403
    own = _get(client, "/api/v1/tasks", "gakko").get_json()
    assert own and {t["section"] for t in own} == {"gakko"}
    other = next(t for t in city.tasks(city.routed) if t.section_code == "kodomo")
    assert _get(client, f"/api/v1/tasks/{other.id}", "gakko").status_code == 403
    assert _get(client, f"/api/v1/tasks/{other.id}/questions", "gakko").status_code == 403


def test_documents_are_given_to_the_sections_that_process_them(client: FlaskClient, city: City) -> None:
    docs = {d.form_key or d.kind: d.id for d in city.documents(city.routed)}
    assert _get(client, f"/api/v1/documents/{docs['jidou_nintei']}", "hoken").status_code == 403  # no task at all
    assert _get(client, f"/api/v1/documents/{docs['jidou_nintei']}", "gakko").status_code == 403  # not theirs
    assert _get(client, f"/api/v1/documents/{docs['jidou_nintei']}", "kodomo").status_code == 200
    assert _get(client, f"/api/v1/documents/{docs['guide']}", "gakko").status_code == 200
    listed = _get(client, f"/api/v1/cases/{city.routed}/documents", "gakko").get_json()
    assert {d["form_key"] or d["kind"] for d in listed} == {"gakko_tennyu", "guide"}
    assert _get(client, f"/api/v1/cases/{city.routed}/documents", "hoken").status_code == 403
    assert _get(client, f"/api/v1/documents/{docs['jidou_nintei']}", "counter").status_code == 200


def test_a_bank_account_is_for_the_paying_section_and_a_handbook_for_kourei(client: FlaskClient,
                                                                           city: City) -> None:
    """The counter's answers for the printed forms live with the visit's form answers, never in the case data;
    they reach a section only on the PDFs of its own procedures."""
    def data(user: str) -> str:
        response = _get(client, f"/api/v1/cases/{city.routed}", user)
        assert response.status_code == 200, (user, response.get_json())
        return json.dumps(response.get_json(), ensure_ascii=False)

    def pdfs(user: str) -> str:
        listed = _get(client, f"/api/v1/cases/{city.routed}/documents", user).get_json()
        return "".join(squeeze(pdf_text(_get(client, f"/api/v1/documents/{d['id']}", user).data)) for d in listed)

    for user in ("gakko", "shimin", "kourei", "kodomo", "manager", "counter"):
        assert BANK not in data(user), user
    assert squeeze(BANK) in pdfs("kodomo") and squeeze(BANK) in pdfs("counter")
    for user in ("gakko", "shimin", "kourei", "manager"):
        assert squeeze(BANK) not in pdfs(user), user
    for user in ("gakko", "kodomo", "shimin", "manager"):
        assert TECHO not in data(user) and "shintai4" not in data(user), user
        assert squeeze(TECHO) not in pdfs(user), user
    assert "shintai4" in data("kourei")
    withheld = _get(client, f"/api/v1/cases/{city.routed}", "gakko").get_json()["withheld"]
    assert "disability" in withheld


def test_the_pages_keep_the_same_rules(client: FlaskClient, city: City) -> None:
    login(client, "gakko")
    page = client.get(f"/cases/{city.routed}")
    assert page.status_code == 200 and BANK not in page.get_data(as_text=True)
    task = next(t for t in city.tasks(city.routed) if t.section_code == "gakko")
    assert BANK not in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    login(client, "hoken")
    assert client.get(f"/cases/{city.routed}").status_code == 403
    assert client.get(f"/cases/{city.routed}/documents").status_code == 403
    login(client, "kodomo")
    listed = client.get(f"/cases/{city.routed}/documents").get_data(as_text=True)
    assert "児童手当" in listed and BANK not in client.get(f"/cases/{city.routed}").get_data(as_text=True)


def test_a_residents_handbook_grade_is_for_kourei(client: FlaskClient, city: City) -> None:
    from core.db import db

    city.other.disability = "shintai3"
    db.session.commit()
    shown = _get(client, f"/api/v1/residents/{city.other.id}", "kourei").get_json()["facts"]
    hidden = _get(client, f"/api/v1/residents/{city.other.id}", "hoken").get_json()["facts"]
    assert shown["disability"] == "shintai3" and "disability" not in hidden
    login(client, "hoken")
    assert "shintai3" not in client.get(f"/residents/{city.other.id}").get_data(as_text=True)


def test_a_designer_tries_tables_on_households_not_on_residents(client: FlaskClient, city: City) -> None:
    body = {"event": "tenkyo", "event_date": "2026-11-20", "resident_id": city.other.id}
    assert client.post("/api/v1/determinations", json=body, headers=api_headers("designer")).status_code == 403
    assert client.post("/api/v1/determinations", json=body, headers=api_headers("counter")).status_code == 200
    login(client, "designer")
    page = client.get("/designer/models/journey_tennyu").get_data(as_text=True)
    assert city.other.name in runtime.get_case(city.routed).title
    assert f"<td>{city.routed}</td>" in page and city.other.name not in page
