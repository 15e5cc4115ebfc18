"""Incidents through the real engine and database: a failing service task stops the case visibly, and the
manager resolves it by retry (after the cause is fixed), skip (where the model allows), cancel or migrate."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.db import db
from core.errors import Conflict, Forbidden, Invalid
from core.models import AuditEntry
from core.tx import atomic
from tests.conftest import TENNYU_FIXTURE, actor, deploy_library
from tests.workflows.test_runtime import RECEPTION, complete, ready, start_tennyu
from web.model_rules import deploy_files
from workflows import incidents, runtime, wiring
from workflows.models import Case


def _break_deadline_service(monkeypatch: pytest.MonkeyPatch) -> wiring.Operation:
    """The calendar service is 'down': the operation raises, as an unreachable external system would."""
    original = wiring.WIRING.operations["calendar.deadline"]

    def down(**_: object) -> str:
        raise ConnectionError("calendar service unreachable")

    monkeypatch.setitem(wiring.WIRING.operations, "calendar.deadline", replace(original, func=down))
    return original


def stuck_case(monkeypatch: pytest.MonkeyPatch) -> tuple[Case, wiring.Operation]:
    deploy_library(TENNYU_FIXTURE)
    original = _break_deadline_service(monkeypatch)
    case = start_tennyu()
    complete(ready(case)["reception"].id, "counter", RECEPTION)  # the counter's answers are kept
    return case, original


def test_failing_service_task_opens_an_incident_and_keeps_the_answers(app, monkeypatch) -> None:
    case, _ = stuck_case(monkeypatch)
    db.session.refresh(case)
    assert case.state == "running" and ready(case) == {}
    [incident] = incidents.list_incidents(actor=actor("manager"))
    assert (incident.case_id, incident.element_id, incident.element_name) == (case.id, "compute_deadline",
                                                                              "届出期限の計算")
    assert "サービスタスク「届出期限の計算」が失敗" in incident.message and "unreachable" in incident.detail
    assert incident.since is not None and not incident.skippable
    assert {t.spec_name: t.state for t in case.tasks}["reception"] == "completed"
    with pytest.raises(Forbidden):
        incidents.list_incidents(actor=actor("shimin"))


def test_retry_fails_again_until_the_cause_is_fixed(app, monkeypatch) -> None:
    case, original = stuck_case(monkeypatch)
    [incident] = incidents.list_incidents(actor=actor("manager"))
    with pytest.raises(Conflict, match="まだ失敗します"):
        atomic(lambda: incidents.retry(incident_id=incident.id, actor=actor("manager")))
    monkeypatch.setitem(wiring.WIRING.operations, "calendar.deadline", original)  # the service is back
    atomic(lambda: incidents.retry(incident_id=incident.id, actor=actor("manager")))
    assert set(ready(case)) == {"juki_entry", "hoken_entry"}
    assert runtime.case_data(case)["notification_deadline"] == "2026-05-07"
    assert incidents.list_incidents(actor=actor("manager")) == []
    actions = [e.action for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]
    assert "incident.open" in actions and "incident.retried" in actions


def test_skip_only_where_the_model_allows_it_and_with_a_reason(app, monkeypatch) -> None:
    xml = TENNYU_FIXTURE.read_text().replace(
        '<bpmn:serviceTask id="compute_deadline" name="届出期限の計算">\n      <bpmn:extensionElements>',
        '<bpmn:serviceTask id="compute_deadline" name="届出期限の計算">\n      <bpmn:extensionElements>'
        '<spiffworkflow:properties><spiffworkflow:property name="skippable" value="true"/>'
        '</spiffworkflow:properties>')
    assert "skippable" in xml
    deploy_library(TENNYU_FIXTURE)
    _break_deadline_service(monkeypatch)
    plain = start_tennyu()
    complete(ready(plain)["reception"].id, "counter", RECEPTION)
    [first] = incidents.list_incidents(actor=actor("manager"))
    with pytest.raises(Conflict, match="スキップ可能とされていません"):
        atomic(lambda: incidents.skip(incident_id=first.id, reason="期限は手計算", actor=actor("manager")))
    deploy_files(files=[("tennyu.bpmn", xml.encode())], actor=actor("designer"))
    db.session.commit()
    case = start_tennyu()
    complete(ready(case)["reception"].id, "counter", RECEPTION)
    second = incidents.list_incidents(actor=actor("manager"), case_id=case.id)[0]
    assert second.skippable
    with pytest.raises(Invalid):
        atomic(lambda: incidents.skip(incident_id=second.id, reason=" ", actor=actor("manager")))
    atomic(lambda: incidents.skip(incident_id=second.id, reason="期限は手計算で記入", actor=actor("manager")))
    assert set(ready(case)) == {"juki_entry", "hoken_entry"}
    db.session.refresh(second)
    assert (second.state, second.resolution, second.reason) == ("resolved", "skipped", "期限は手計算で記入")


def test_cancel_with_reason(app, monkeypatch) -> None:
    case, _ = stuck_case(monkeypatch)
    [incident] = incidents.list_incidents(actor=actor("manager"))
    atomic(lambda: incidents.cancel(incident_id=incident.id, reason="本人の申出により取下げ", actor=actor("manager")))
    db.session.refresh(case)
    assert case.state == "cancelled"
    assert incidents.list_incidents(actor=actor("manager")) == []
    with pytest.raises(Conflict, match="解決済み"):
        atomic(lambda: incidents.retry(incident_id=incident.id, actor=actor("manager")))


def test_migrate_to_a_fixed_version_runs_the_step_there(app, monkeypatch) -> None:
    case, _ = stuck_case(monkeypatch)
    [incident] = incidents.list_incidents(actor=actor("manager"))
    fixed = TENNYU_FIXTURE.read_text().replace(
        '<spiffworkflow:serviceTaskOperator id="calendar.deadline" resultVariable="notification_deadline">',
        '<spiffworkflow:serviceTaskOperator id="calendar.deadline" resultVariable="notification_deadline">'
    ).replace("届出期限の計算", "届出期限の計算（修正版）")
    deploy_files(files=[("tennyu.bpmn", fixed.encode())], actor=actor("designer"))
    db.session.commit()
    monkeypatch.undo()  # the fixed version's service works
    with pytest.raises(Forbidden):
        atomic(lambda: incidents.migrate(incident_id=incident.id, actor=actor("manager")))
    atomic(lambda: incidents.migrate(incident_id=incident.id, actor=actor("admin")))
    assert set(ready(case)) == {"juki_entry", "hoken_entry"}
    db.session.refresh(incident)
    assert incident.resolution == "migrated"
