"""支援措置, the second round: the ⚠ mark on every list of cases (one batched lookup, no query per row), case and
task pages logged as protection.view, a refused print logged as protection.print_refused after the rollback,
and the public display board that shows ticket numbers only and nothing at all of a protected household."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select

from core.db import db
from core.models import AuditEntry
from residents.models import Resident
from tests.conftest import api_headers, csrf_token, deploy_library, login
from tests.protection.test_protection import _certificate_case, family  # noqa: F401 - the fixture
from workflows.visit.models import CaseDocument

MARK = re.compile(r'data-protection="(flagged|household)"')


def start(client: FlaskClient, resident: Resident, ticket: str) -> int:
    """A certificate case about ``resident`` whose title holds the name (as the counter gives it)."""
    started = client.post("/api/v1/cases", headers=api_headers("counter"), json={
        "process_key": "journey_shomei", "resident_id": resident.id, "title": f"{resident.name} 様 証明書請求",
        "ticket_no": ticket})
    assert started.status_code == 201, started.get_json()
    return started.get_json()["id"]


@pytest.fixture
def cases(client: FlaskClient, family: dict[str, Resident]) -> dict[str, int]:  # noqa: F811
    deploy_library()
    return {who: start(client, family[who], ticket)
            for who, ticket in (("head", "A-801"), ("member", "A-802"), ("other", "A-803"))}


def row_of(html: str, case_id: int) -> str:
    """The table row that links to or names case ``case_id``."""
    rows = [r for r in html.split("<tr")[1:] if f"/cases/{case_id}\"" in r]
    assert len(rows) == 1, f"case {case_id}: {len(rows)} rows"
    return rows[0].split("</tr>")[0]


def assert_marked(html: str, cases: dict[str, int]) -> None:
    assert MARK.findall(row_of(html, cases["head"])) == ["flagged"]
    assert MARK.findall(row_of(html, cases["member"])) == ["household"]
    assert "⚠" in row_of(html, cases["head"]) and "支援措置世帯" in row_of(html, cases["member"])
    assert "⚠" not in row_of(html, cases["other"]) and not MARK.findall(row_of(html, cases["other"]))


@pytest.mark.parametrize(("user", "path"), [("counter", "/inbox"), ("counter", "/cases"), ("manager", "/cases"),
                                            ("manager", "/manager/"), ("manager", "/designer/models/journey_shomei")])
def test_every_list_of_cases_marks_a_protected_household(client: FlaskClient, cases: dict[str, int], user: str,
                                                          path: str) -> None:
    login(client, user)
    page = client.get(path)
    assert page.status_code == 200
    assert_marked(page.get_data(as_text=True), cases)


def test_inbox_fragment_marks_too(client: FlaskClient, cases: dict[str, int]) -> None:
    login(client, "counter")
    assert_marked(client.get("/inbox", headers={"HX-Request": "true"}).get_data(as_text=True), cases)


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_the_busy_lists_look_protection_up_once_not_per_row(client: FlaskClient, cases: dict[str, int],
                                                           family: dict[str, Resident]) -> None:  # noqa: F811
    paths = ("/inbox", "/cases", "/manager/")
    before: dict[str, int] = {}
    for path in paths:
        login(client, "manager" if path == "/manager/" else "counter")
        with counted() as few:
            client.get(path)
        before[path] = len(few)
    used = {r.id for r in family.values()}
    flagged = [r for r in db.session.scalars(select(Resident).where(Resident.setai_no == family["head"].setai_no))
               if r.id not in used]
    plain = list(db.session.scalars(select(Resident).where(Resident.setai_no != family["head"].setai_no,
                                                           Resident.id.not_in(used)).limit(6 - len(flagged))))
    for n, resident in enumerate(flagged + plain):  # six more cases, each about another resident
        start(client, resident, f"B-{n}")
    for path in paths:
        login(client, "manager" if path == "/manager/" else "counter")
        with counted() as many:
            html = client.get(path).get_data(as_text=True)
        assert len(many) == before[path], f"{path}: {before[path]} queries for 3 cases, {len(many)} for 9"
        assert len(MARK.findall(html)) == 2 + len(flagged) and flagged


def test_the_api_marks_every_case_and_task_row_and_logs_opening_one(client: FlaskClient, cases: dict[str, int],
                                                                    family: dict[str, Resident]) -> None:  # noqa: F811
    expected = {cases["head"]: "flagged", cases["member"]: "household", cases["other"]: None}
    listed = client.get("/api/v1/cases", headers=api_headers("manager")).get_json()
    assert {c["id"]: c["protection"] for c in listed} == expected
    tasks = client.get("/api/v1/tasks", headers=api_headers("counter")).get_json()
    assert {t["case_id"]: t["protection"] for t in tasks} == expected
    detail = client.get(f"/api/v1/cases/{cases['member']}", headers=api_headers("counter")).get_json()
    assert detail["protection"] == "household" and {t["protection"] for t in detail["tasks"]} == {"household"}
    task_id = next(t["id"] for t in tasks if t["case_id"] == cases["head"])
    assert client.get(f"/api/v1/tasks/{task_id}", headers=api_headers("counter")).get_json()["protection"] == "flagged"
    assert client.get(f"/api/v1/cases/{cases['other']}", headers=api_headers("counter")).status_code == 200
    assert {(v["screen"], v["case_id"]) for v in _views(family["head"].id)} == {("api.task", cases["head"])}
    assert [(v["screen"], v["flagged"]) for v in _views(family["member"].id)] == [("api.case", False)]
    assert _views(family["other"].id) == []


def _views(target: int) -> list[dict[str, Any]]:
    """The logged views of the cases about ``target`` (starting a visit reads the household: logged apart)."""
    db.session.expire_all()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "protection.view",
                                                          AuditEntry.target_id == str(target)))
    views = [json.loads(e.details) | {"user": e.username} for e in entries]
    return [v for v in views if v.get("screen") != "counter.household"]


def test_opening_a_protected_case_or_its_task_is_logged(client: FlaskClient, cases: dict[str, int],
                                                        family: dict[str, Resident]) -> None:  # noqa: F811
    head, member, other = family["head"], family["member"], family["other"]
    login(client, "counter")
    case_page = client.get(f"/cases/{cases['head']}").get_data(as_text=True)
    assert "protection-alert" in case_page and head.address not in case_page
    [task] = [t for t in client.get(f"/api/v1/cases/{cases['head']}", headers=api_headers("counter"))
              .get_json()["tasks"] if t["state"] == "ready"]
    assert client.get(f"/tasks/{task['id']}").status_code == 200
    summary = client.get(f"/counter/cases/{cases['member']}").get_data(as_text=True)
    assert "⚠" in summary and "protection-alert" in summary
    login(client, "manager")
    assert client.get(f"/manager/cases/{cases['head']}").status_code == 200
    assert client.get(f"/cases/{cases['other']}").status_code == 200
    screens = {(v["screen"], v["case_id"], v["user"]) for v in _views(head.id)}
    assert screens == {("case", cases["head"], "counter"), ("api.case", cases["head"], "counter"),
                       ("task", cases["head"], "counter"), ("manager.case", cases["head"], "manager")}
    assert [(v["screen"], v["flagged"]) for v in _views(member.id)] == [("counter.summary", False)]
    assert _views(other.id) == []


def test_a_refused_print_is_logged_as_a_protection_entry(client: FlaskClient,
                                                        family: dict[str, Resident]) -> None:  # noqa: F811
    deploy_library()
    head = family["head"]
    case_id, [review] = _certificate_case(client, head, "third")
    refused = client.post(f"/api/v1/cases/{case_id}/documents", headers=api_headers("counter"))
    assert refused.status_code == 409
    login(client, "counter")
    page = client.post(f"/cases/{case_id}/documents", data={"csrf_token": csrf_token(client, f"/cases/{case_id}")})
    assert page.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)).all() == []
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "protection.print_refused")))
    assert [(e.target_id, e.username, e.outcome) for e in entries] == [(str(head.id), "counter", "denied")] * 2
    assert all(json.loads(e.details) == {"case_id": case_id, "protection": "pending"} for e in entries)
    assert client.post(f"/api/v1/tasks/{review['id']}/complete", headers=api_headers("shien"), json={
        "data": {"protection_decision": "refuse", "protection_reason": "加害者からの請求の疑い"}}).status_code == 200
    assert client.post(f"/api/v1/cases/{case_id}/documents", headers=api_headers("counter")).status_code == 409
    db.session.expire_all()
    last = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "protection.print_refused")
                              .order_by(AuditEntry.seq.desc())).first()
    assert last is not None and json.loads(last.details)["protection"] == "refuse"
    log = client.get("/api/v1/protection/log", headers=api_headers("manager")).get_json()
    assert "protection.print_refused" in {e["action"] for e in log}
