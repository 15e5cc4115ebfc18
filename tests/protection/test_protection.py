"""支援措置 on every path, for a protected household of the generated data: import, API, pages, certificate
requests stopped for the supervisor, documents, RPA export, public status page, operation log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from integrations.imports import generator
from residents.models import Resident
from tests.conftest import api_headers, deploy_library, login
from tests.forms.support import exported_text, pdf_text, squeeze
from tests.integrations.residents_support import load
from tests.support.handover import as_handed_over
from workflows.determination.models import list_for_case
from workflows.visit import status
from workflows.visit.models import CaseDocument

# The certificate form's own answers (a form's unmapped fields are its own questions: <form>.<field>).
APPLICATION = {"cert_juminhyo.copies": 1, "cert_juminhyo.scope": "self", "cert_juminhyo.purpose": "相続手続"}
PROXY = {"name": "代理 一郎", "kana": "ダイリ イチロウ", "relation": "代理人", "address": "広島県広島市中区基町10-52"}
SEED, COUNT = 2, 200  # this seed's 200 residents hold one 支援措置 household (世帯主 + 妻 + 子)


def _generated() -> list[dict[str, str]]:
    rows = list(generator.generate(COUNT, seed=SEED))
    flagged = [r for r in rows if r["support_measure"]]
    assert len(flagged) >= 2, "the seed must give a protected household"
    flagged[-1]["support_measure"] = ""  # one member is not covered: a household member of a protected person
    for key in ("support_measure_from", "support_measure_until", "support_measure_relation"):
        flagged[-1][key] = ""
    return rows


@pytest.fixture
def family(app: Any) -> dict[str, Resident]:
    assert load(_generated()).status == "succeeded"
    head = db.session.scalar(select(Resident).where(Resident.support_measure.is_(True),
                                                    Resident.relation == "世帯主"))
    member = db.session.scalar(select(Resident).where(Resident.setai_no == head.setai_no,
                                                      Resident.support_measure.is_(False)))
    other = db.session.scalar(select(Resident).where(Resident.setai_no != head.setai_no).limit(1))
    assert head and member and other
    return {"head": head, "member": member, "other": other}


def _entries(action: str, target: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action)
    if target is not None:
        query = query.where(AuditEntry.target_id == str(target))
    db.session.expire_all()
    return list(db.session.scalars(query))


def test_import_keeps_kind_period_and_relation_and_a_change_takes_effect_at_once(client: FlaskClient,
                                                                                 family: dict[str, Resident]) -> None:
    head = family["head"]
    assert (head.support_measure_kind, head.support_measure_relation) == ("dv", "申出者")
    assert head.support_measure_from and head.support_measure_until > head.support_measure_from
    body = client.get(f"/api/v1/residents/{head.id}", headers=api_headers("counter")).get_json()
    assert body["support_measure_until"] == head.support_measure_until.isoformat()
    assert body["alert"] and head.address not in json.dumps(body, ensure_ascii=False)
    rows = _generated()
    for row in rows:
        if row["setai_no"] == head.setai_no:
            row["support_measure"] = ""
    assert load(rows).updated >= 1  # the flag is part of the row hash: the next run takes it
    lifted = client.get(f"/api/v1/residents/{head.id}", headers=api_headers("counter")).get_json()
    assert lifted["alert"] is None and lifted["address"] == head.address


def test_api_search_marks_and_hides_the_address_of_the_household_and_logs_hits(client: FlaskClient,
                                                                                family: dict[str, Resident]) -> None:
    head, member, other = family["head"], family["member"], family["other"]
    hits = client.get(f"/api/v1/residents?q={head.jumin_code}", headers=api_headers("counter")).get_json()
    assert [h["id"] for h in hits] == [head.id]
    assert hits[0]["alert"] and hits[0]["support_measure"] and hits[0]["address"] == "（支援措置のため非表示）"
    assert hits[0]["postal_code"] is None and head.address not in json.dumps(hits, ensure_ascii=False)
    detail = client.get(f"/api/v1/residents/{member.id}", headers=api_headers("shimin")).get_json()
    assert not detail["support_measure"] and detail["household_protected"] and "同一世帯" in detail["alert"]
    assert member.address not in json.dumps(detail, ensure_ascii=False)
    plain = client.get(f"/api/v1/residents/{other.id}", headers=api_headers("counter")).get_json()
    assert plain["alert"] is None and plain["address"] == other.address
    assert _entries("protection.search_hit", head.id) and _entries("protection.view", member.id)
    assert not _entries("protection.view", other.id)


def test_reveal_needs_role_purpose_and_reason_and_is_logged(client: FlaskClient,
                                                            family: dict[str, Resident]) -> None:
    head = family["head"]
    url = f"/api/v1/protection/residents/{head.id}/reveal"
    no_reason = client.post(url, json={"purpose": "official"}, headers=api_headers("shimin"))
    assert no_reason.status_code == 422 and "reason" in json.dumps(no_reason.get_json())
    refused = client.post(url, json={"purpose": "official", "reason": "第三者からの照会"},
                          headers=api_headers("counter"))
    assert refused.status_code == 403 and head.address not in refused.get_data(as_text=True)
    shown = client.post(url, json={"purpose": "official", "reason": "国保資格の職権確認のため"},
                        headers=api_headers("shimin"))
    assert shown.status_code == 200 and shown.get_json()["address"] == head.address
    [denied] = [e for e in _entries("protection.reveal", head.id) if e.outcome == "denied"]
    [ok] = [e for e in _entries("protection.reveal", head.id) if e.outcome == "ok"]
    assert denied.username == "counter" and ok.username == "shimin"
    assert json.loads(ok.details)["reason"] == "国保資格の職権確認のため"
    log = client.get("/api/v1/protection/log", headers=api_headers("manager")).get_json()
    assert {e["action"] for e in log} >= {"protection.reveal", "protection.search_hit"} or log
    assert client.get("/api/v1/protection/log", headers=api_headers("counter")).status_code == 403


def _certificate_case(client: FlaskClient, resident: Resident, requester: str) -> tuple[int, list[dict[str, Any]]]:
    notifier = {"notifier": PROXY} if requester != "self" else {}
    started = client.post("/api/v1/cases", json={"process_key": "journey_shomei", "resident_id": resident.id,
                                                 **notifier}, headers=api_headers("counter"))
    assert started.status_code == 201, started.get_json()
    case = started.get_json()
    [interview] = case["tasks"]
    done = client.post(f"/api/v1/tasks/{interview['id']}/complete",
                       json={"data": {"event_date": "2026-11-20", "cert_juminhyo": True, "requester": requester}},
                       headers=api_headers("counter"))
    assert done.status_code == 200, done.get_json()
    tasks = [t for t in client.get("/api/v1/tasks?state=ready", headers=api_headers("admin")).get_json()
             if t["case_id"] == case["id"]]
    return case["id"], tasks


def _documents(case_id: int) -> list[CaseDocument]:
    db.session.expire_all()
    return list(db.session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)))


def test_third_party_certificate_waits_for_the_supervisor_and_prints_nothing(client: FlaskClient,
                                                                           family: dict[str, Resident]) -> None:
    deploy_library()
    head = family["head"]
    case_id, tasks = _certificate_case(client, head, "third")
    assert [(t["section"], t["spec_name"]) for t in tasks] == [("shien", "supervisor_check")]
    assert list_for_case(case_id) == []  # nothing routed to 市民課 yet
    printed = client.post(f"/api/v1/cases/{case_id}/documents", headers=api_headers("counter"))
    assert printed.status_code == 409 and _documents(case_id) == []
    assert client.post(f"/api/v1/tasks/{tasks[0]['id']}/complete", headers=api_headers("shimin"),
                       json={"data": {"protection_decision": "refuse"}}).status_code in (403, 422)
    refused = client.post(f"/api/v1/tasks/{tasks[0]['id']}/complete", headers=api_headers("shien"),
                          json={"data": {"protection_decision": "refuse", "protection_reason": "加害者の代理人の疑い"}})
    assert refused.status_code == 200, refused.get_json()
    case = client.get(f"/api/v1/cases/{case_id}", headers=api_headers("manager")).get_json()
    assert case["state"] == "completed" and list_for_case(case_id) == []
    assert client.post(f"/api/v1/cases/{case_id}/documents", headers=api_headers("counter")).status_code == 409
    assert _documents(case_id) == []
    [hold] = _entries("protection.hold", head.id)
    [decision] = _entries("protection.decision", head.id)
    assert json.loads(hold.details)["requester"] == "third"
    assert decision.username == "shien" and json.loads(decision.details)["decision"] == "refuse"


def test_approved_request_prints_and_exports_without_the_address(client: FlaskClient,
                                                                 family: dict[str, Resident]) -> None:
    deploy_library()
    head = family["head"]
    case_id, [review] = _certificate_case(client, head, "proxy")
    approved = client.post(f"/api/v1/tasks/{review['id']}/complete", headers=api_headers("shien"),
                           json={"data": {"protection_decision": "approve", "protection_reason": "委任状を本人に確認"}})
    assert approved.status_code == 200, approved.get_json()
    [proc] = list_for_case(case_id)
    assert proc.code == "cert.juminhyo"
    answered = client.put(f"/api/v1/cases/{case_id}/form-answers", json={"answers": APPLICATION},
                          headers=api_headers("counter"))
    assert answered.status_code == 200, answered.get_json()
    made = client.post(f"/api/v1/cases/{case_id}/documents", headers=api_headers("counter"))
    assert made.status_code == 201, made.get_json()
    for doc in _documents(case_id):
        text = squeeze(pdf_text(doc.pdf))
        assert squeeze(head.address) not in text, doc.doc_key
    form = next(d for d in _documents(case_id) if d.kind == "form")
    assert "支援措置" in squeeze(pdf_text(form.pdf))
    as_handed_over(case_id)
    [task] = [t for t in client.get("/api/v1/tasks?state=ready", headers=api_headers("admin")).get_json()
              if t["case_id"] == case_id]
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"outcome": "done"}},
                       headers=api_headers("shimin")).status_code == 200
    text = exported_text(client)
    assert head.jumin_code in text and "支援措置" in text
    assert head.address not in text and (head.address_extra or "\x00") not in text
    public = client.get(f"/status/{status.token_for(case_id)}")
    assert public.status_code == 200
    page = public.get_data(as_text=True)
    assert head.name not in page and head.address not in page and head.jumin_code not in page


def test_the_resident_in_person_is_checked_by_the_supervisor_too(client: FlaskClient,
                                                                 family: dict[str, Resident]) -> None:
    """Who the interview says is asking is an answer, not a logged check: every certificate request about a
    protected household waits for the supervisor (DOMAIN.md), "self" included (tests/protection/test_by_construction
    shows the address printed after a logged 本人確認)."""
    deploy_library()
    case_id, tasks = _certificate_case(client, family["head"], "self")
    assert [t["section"] for t in tasks] == ["shien"]
    [hold] = _entries("protection.hold", family["head"].id)
    assert json.loads(hold.details) == {"hold": True, "protected": True, "requester": "self"}


def test_pages_alert_hide_and_reveal_with_a_logged_reason(client: FlaskClient, family: dict[str, Resident]) -> None:
    head, member = family["head"], family["member"]
    login(client, "counter")
    search = client.get(f"/residents?q={head.jumin_code}").get_data(as_text=True)
    assert "⚠" in search and "支援措置" in search and head.address not in search
    for resident, words in ((head, "支援措置対象者"), (member, "同一世帯員")):
        page = client.get(f"/residents/{resident.id}").get_data(as_text=True)
        assert 'role="alert"' in page and words in page and resident.address not in page
    login(client, "shimin")
    from tests.conftest import csrf_token
    token = csrf_token(client, f"/residents/{head.id}")
    shown = client.post(f"/residents/{head.id}/reveal", data={"purpose": "official", "reason": "職権調査のため",
                                                              "csrf_token": token})
    assert shown.status_code == 200 and head.address in shown.get_data(as_text=True)
    login(client, "manager")
    log = client.get("/manager/protection").get_data(as_text=True)
    assert "protection.reveal" in log and "職権調査のため" in log and head.address not in log
