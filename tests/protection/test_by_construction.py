"""支援措置 by construction: what a request carries never lifts a protection. The address is printed only after a
logged 本人確認 (a reveal with purpose and reason, for the case), printing waits for the supervisor's logged
decision, an address search never confirms a protected address, and the robot's file never holds one.

Each test here is a finding of issue 17 that failed on the code before it."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db, utcnow
from core.errors import Conflict
from core.models import AuditEntry
from residents.models import Resident
from tests.conftest import actor, api_headers, csrf_token, login
from tests.forms.support import exported_text, pdf_text, squeeze
from tests.security import scenario
from tests.security.scenario import City
from workflows import caserows, runtime
from workflows.visit import documents
from workflows.visit import protection as case_protection


@pytest.fixture
def city(app: object) -> City:
    return scenario.build()


def _forged_certificate(head: Resident, **forged: object) -> int:
    """The counter starts a certificate case whose data claims the resident applies in person (and more)."""
    case = runtime.start_case(process_key="journey_shomei", actor=actor("counter"), resident_id=head.id,
                              data={"resident_id": head.id, "applicant_name": "代理 一郎", **forged})
    db.session.commit()
    [interview] = [t for t in case.tasks if t.state == "ready"]
    runtime.complete_task(task_id=interview.id, actor=actor("counter"),
                          data={"event_date": "2026-11-20", "cert_juminhyo": True, "requester": "self"})
    db.session.commit()
    return case.id


def _printed(city: City, case_id: int) -> str:
    return "".join(squeeze(pdf_text(d.pdf)) for d in city.documents(case_id))


def _reveals(resident_id: int) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "protection.reveal",
                                                            AuditEntry.target_id == str(resident_id))))


def test_a_claim_in_the_data_never_prints_the_address_nor_skips_the_supervisor(city: City) -> None:
    case_id = _forged_certificate(city.head, requester="self", protection_decision="approve",
                                  protection={"hold": False})
    [review] = city.tasks(case_id)
    assert review.section_code == "shien"  # the supervisor checks every certificate request about them
    with pytest.raises(Conflict):  # a preset decision does not pass while the supervisor's task is open
        documents.generate_visit(case_id=case_id, actor=actor("counter"), status_url=scenario.STATUS_URL)
    db.session.rollback()
    runtime.complete_task(task_id=review.id, actor=actor("shien"),
                          data={"protection_decision": "approve", "protection_reason": "本人申出を確認"})
    scenario.prepare(case_id, scenario.CERTIFICATE)
    db.session.commit()
    text = _printed(city, case_id)
    assert text and squeeze(city.head.address) not in text and "支援措置" in text
    assert city.head.postal_code.replace("-", "") not in text.replace("-", "")
    assert [e for e in _reveals(city.head.id) if e.outcome == "ok"] == []


def test_the_address_is_printed_after_a_logged_identity_check_for_the_case(client: FlaskClient,
                                                                          city: City) -> None:
    url = f"/api/v1/protection/residents/{city.head.id}/reveal"
    wrong_case = client.post(url, headers=api_headers("counter"), json={
        "purpose": "self", "reason": "運転免許証で本人確認", "case_id": city.routed})
    assert wrong_case.status_code == 422  # the resident is not part of that visit
    shown = client.post(url, headers=api_headers("counter"), json={
        "purpose": "self", "reason": "運転免許証で本人確認", "case_id": city.protected})
    assert shown.status_code == 200, shown.get_json()
    [entry] = [e for e in _reveals(city.head.id) if e.outcome == "ok"]
    assert json.loads(entry.details)["case_id"] == city.protected and entry.username == "counter"
    made = client.post(f"/api/v1/cases/{city.protected}/documents", headers=api_headers("counter"))
    assert made.status_code == 201, made.get_json()
    assert squeeze(city.head.address) in _printed(city, city.protected)
    assert squeeze(city.head.address) not in _printed(city, city.routed)


def test_a_preset_decision_in_the_data_does_not_pass_the_print_check(city: City) -> None:
    data = runtime.case_data(runtime.get_case(city.held))
    assert data["protection"]["hold"]
    workflow = runtime.load_workflow(runtime.get_case(city.held))
    workflow.data["protection_decision"] = "approve"  # what a start request could have carried
    caserows.write_case(runtime.get_case(city.held), workflow, runtime.engine(), now=utcnow())
    db.session.commit()
    with pytest.raises(Conflict):
        case_protection.assert_printable(case=runtime.get_case(city.held), actor=actor("counter"))


@pytest.mark.parametrize("user", ["counter", "shimin", "manager", "admin"])
def test_an_address_search_never_confirms_a_protected_address(client: FlaskClient, city: City, user: str) -> None:
    head = city.head
    fragment = head.address[3:12]
    for query in (f"address={fragment}", f"q={head.name}&address={fragment}",
                  f"birth_date={head.birth_date.isoformat()}&address={fragment}"):
        hits = client.get(f"/api/v1/residents?{query}", headers=api_headers(user)).get_json()
        assert head.id not in {h["id"] for h in hits}, (user, query)
        assert city.member.id not in {h["id"] for h in hits}, (user, query)
    assert head.id in {h["id"] for h in client.get(f"/api/v1/residents?q={head.name}",
                                                   headers=api_headers(user)).get_json()}


def test_the_search_pages_do_not_confirm_it_either(client: FlaskClient, city: City) -> None:
    fragment = city.head.address[3:12]
    login(client, "counter")
    for path in (f"/counter/?address={fragment}", f"/residents?address={fragment}",
                 f"/counter/?q={city.head.name}&address={fragment}"):
        page = client.get(path).get_data(as_text=True)
        assert f"/residents/{city.head.id}\"" not in page, path


def test_the_robot_file_never_holds_a_protected_address_or_postal_code(client: FlaskClient, city: City) -> None:
    head = city.head
    case = runtime.start_case(process_key="journey_tennyu", actor=actor("counter"), resident_id=head.id,
                              data={"household": [{**scenario.FAMILY[0], "resident_id": head.id}],
                                    "ticket_no": "A-303"})
    db.session.commit()
    [interview] = city.tasks(case.id)
    runtime.complete_task(task_id=interview.id, actor=actor("counter"), data={"event_date": "2026-11-20"})
    db.session.commit()
    assert client.post(f"/api/v1/protection/residents/{head.id}/reveal", headers=api_headers("counter"), json={
        "purpose": "self", "reason": "運転免許証で本人確認", "case_id": case.id}).status_code == 200
    scenario.prepare(case.id, scenario.ANSWERS)
    db.session.commit()
    assert squeeze(head.address) in _printed(city, case.id)  # released for the resident's own papers
    for task in city.tasks(case.id):
        runtime.complete_task(task_id=task.id, actor=actor("admin"), data={"outcome": "done"})
    db.session.commit()
    text = exported_text(client)
    assert head.jumin_code in text and "支援措置" in text
    assert head.address not in text and scenario.ANSWERS["previous_address"] not in text
    assert head.postal_code not in text and head.postal_code.replace("-", "") not in text


def test_json_lists_carry_the_protection_mark(client: FlaskClient, city: City) -> None:
    listed = client.get(f"/api/v1/cases/{city.protected}/documents", headers=api_headers("counter")).get_json()
    assert listed and {d["protection"] for d in listed} == {"flagged"}
    plain = client.get(f"/api/v1/cases/{city.routed}/documents", headers=api_headers("counter")).get_json()
    assert {d["protection"] for d in plain} == {None}
    hits = client.get(f"/api/v1/residents?q={city.head.name}", headers=api_headers("counter")).get_json()
    assert {h["id"]: h["protection"] for h in hits}[city.head.id] == "flagged"
    household = client.get(f"/api/v1/residents/{city.member.id}", headers=api_headers("counter")).get_json()
    assert household["protection"] == "household"


def test_a_page_reveal_for_the_case_is_logged_with_it(client: FlaskClient, city: City) -> None:
    login(client, "counter")
    assert "本人確認を記録する" in client.get(f"/cases/{city.protected}/documents").get_data(as_text=True)
    token = csrf_token(client, f"/residents/{city.head.id}")
    shown = client.post(f"/residents/{city.head.id}/reveal", data={
        "purpose": "self", "reason": "マイナンバーカードで本人確認", "case_id": str(city.protected),
        "csrf_token": token})
    assert shown.status_code == 200 and city.head.address in shown.get_data(as_text=True)
    [entry] = [e for e in _reveals(city.head.id) if e.outcome == "ok"]
    assert json.loads(entry.details)["case_id"] == city.protected
    assert "本人確認が記録されています" in client.get(f"/cases/{city.protected}/documents").get_data(as_text=True)
