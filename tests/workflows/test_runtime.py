"""The case runtime through the real database: routing, pinning, timers, DMN, conflicts, sandbox."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.db import db
from core.errors import Conflict, Forbidden, Invalid
from core.models import AuditEntry
from core.tx import atomic
from tests.conftest import DATA_DIR, TENNYU_FIXTURE, actor, deploy_library
from tests.workflows.test_registry import FORM, process
from web.model_rules import deploy_files
from workflows import runtime
from workflows.models import Case

RECEPTION = {"applicant_name": "山口 花子", "applicant_kana": "ヤマグチ ハナコ", "moved_in_on": "2026-04-21",
             "previous_address": "福岡県福岡市中央区天神1-1", "new_address": "山口県山口市小郡下郷1-1",
             "household_size": 1, "children_count": 0, "identity_document": "drivers_license"}


def ready(case: Case) -> dict[str, object]:
    db.session.refresh(case)
    return {t.spec_name: t for t in case.tasks if t.state == "ready"}


def start_tennyu() -> Case:
    return atomic(lambda: runtime.start_case(process_key="tennyu", actor=actor("counter")))


def complete(task_id: int, username: str, data: dict, **kw: object) -> object:
    return atomic(lambda: runtime.complete_task(task_id=task_id, data=data, actor=actor(username), **kw))


def test_reception_routes_to_sections_and_skips_absent_branch(app) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    complete(ready(case)["reception"].id, "counter", RECEPTION)
    tasks = ready(case)
    assert {name: t.section_code for name, t in tasks.items()} == {"juki_entry": "shimin", "hoken_entry": "hoken"}
    assert all(t.due_at is not None for t in tasks.values())
    # 2026-04-21 + 14 days = 5 May (こどもの日), 6 May is 振替休日 → the next open day, 7 May
    assert runtime.case_data(case)["notification_deadline"] == "2026-05-07"
    complete(tasks["juki_entry"].id, "shimin", {"outcome": "accepted"})
    complete(tasks["hoken_entry"].id, "hoken", {"outcome": "not_applicable"})
    db.session.refresh(case)
    assert case.state == "completed" and case.completed_at is not None
    actions = [e.action for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("task.complete") == 3 and "case.start" in actions


def test_form_errors_name_the_field_and_change_nothing(app) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    before = (case.version, case.workflow_json)
    with pytest.raises(Invalid) as info:
        complete(ready(case)["reception"].id, "counter", {**RECEPTION, "moved_in_on": "2026-02-30",
                                                          "household_size": 0, "applicant_name": ""})
    assert set(info.value.details["fields"]) == {"moved_in_on", "household_size", "applicant_name"}
    db.session.refresh(case)
    assert (case.version, case.workflow_json) == before


def test_conflicts_and_permissions(app) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    reception = ready(case)["reception"]
    with pytest.raises(Forbidden):
        complete(reception.id, "shimin", RECEPTION)
    with pytest.raises(Conflict):
        complete(reception.id, "counter", RECEPTION, version=reception.version + 7)
    complete(reception.id, "counter", RECEPTION)
    with pytest.raises(Conflict, match="既に完了です（counter）"):
        complete(reception.id, "counter", RECEPTION)
    juki = ready(case)["juki_entry"]
    atomic(lambda: runtime.claim(task_id=juki.id, actor=actor("shimin")))
    with pytest.raises(Conflict):
        atomic(lambda: runtime.claim(task_id=juki.id, actor=actor("admin")))
    with pytest.raises(Conflict, match="shimin が担当しています"):
        complete(juki.id, "admin", {"outcome": "accepted"})
    atomic(lambda: runtime.unclaim(task_id=juki.id, actor=actor("shimin")))
    complete(juki.id, "admin", {"outcome": "accepted"})


def test_running_case_keeps_its_version_while_new_cases_use_the_new_one(app) -> None:
    deploy_library(TENNYU_FIXTURE)
    old_case = start_tennyu()
    complete(ready(old_case)["reception"].id, "counter", RECEPTION)
    source = TENNYU_FIXTURE.read_text(encoding="utf-8")
    moved = source.replace('<bpmn:lane id="Lane_shimin" name="市民課">\n        <bpmn:flowNodeRef>juki_entry'
                           '</bpmn:flowNodeRef>', '<bpmn:lane id="Lane_shimin" name="市民課">')
    moved = moved.replace('<bpmn:lane id="Lane_hoken" name="保険年金課">',
                          '<bpmn:lane id="Lane_hoken" name="保険年金課">\n        <bpmn:flowNodeRef>juki_entry'
                          '</bpmn:flowNodeRef>')
    assert moved != source
    deploy_files(files=[("tennyu.bpmn", moved.encode())], actor=actor("designer"))
    db.session.commit()
    new_case = start_tennyu()
    complete(ready(new_case)["reception"].id, "counter", RECEPTION)
    assert ready(old_case)["juki_entry"].section_code == "shimin"
    assert ready(new_case)["juki_entry"].section_code == "hoken"
    assert old_case.snapshot.model_version.version == 1 and new_case.snapshot.model_version.version == 2
    # the old case still runs to the end on version 1
    for name, user in [("juki_entry", "shimin"), ("hoken_entry", "hoken")]:
        complete(ready(old_case)[name].id, user, {"outcome": "accepted"})
    assert old_case.state == "completed"


def test_due_timer_moves_the_case_on(app) -> None:
    deploy_files(files=[("timer.bpmn", (DATA_DIR / "engine/timer.bpmn").read_bytes())], actor=actor("designer"))
    db.session.commit()
    remind_at = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    case = atomic(lambda: runtime.start_case(process_key="timer_case", actor=actor("counter"),
                                             data={"remind_at": remind_at}))
    assert case.next_timer_at is not None and list(ready(case)) == ["wait_docs"]
    assert atomic(lambda: runtime.fire_due_timers(actor=actor("admin"))) == []  # not yet due
    time.sleep(1.1)
    assert atomic(lambda: runtime.fire_due_timers(actor=actor("admin"))) == [case.id]
    assert list(ready(case)) == ["reminder"]
    assert {t.spec_name: t.state for t in case.tasks}["wait_docs"] == "cancelled"
    assert case.next_timer_at is None


def test_business_rule_task_evaluates_the_decision_table(app) -> None:
    deploy_files(files=[(p.name, p.read_bytes()) for p in [DATA_DIR / "engine/fee_rule.bpmn",
                                                            DATA_DIR / "engine/certificate_fee.dmn"]],
                 actor=actor("designer"))
    db.session.commit()
    case = atomic(lambda: runtime.start_case(process_key="fee_case", actor=actor("counter"),
                                             data={"kind": "inkan", "copies": 2}))
    assert runtime.case_data(case)["fee"] == 600
    with pytest.raises(Invalid, match="業務フローを開始できません"):
        atomic(lambda: runtime.start_case(process_key="fee_case", actor=actor("counter"),
                                          data={"kind": "inkan"}))  # a missing input is an error


def _script_process(script: str) -> bytes:
    return process('<bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>'
                   f'<bpmn:scriptTask id="calc"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>'
                   f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
                   f'<bpmn:userTask id="task">{FORM}<bpmn:incoming>b</bpmn:incoming></bpmn:userTask>'
                   '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="calc"/>'
                   '<bpmn:sequenceFlow id="b" sourceRef="calc" targetRef="task"/>', key="scripted")


@pytest.mark.parametrize(("script", "error"), [
    ("while True:\n    pass", "time"),
    ("x = [0] * 10**9", "limit"),
    ("x = getattr(1, '__class__')", "underscore"),
])
def test_runaway_or_escaping_scripts_stop_the_start_and_store_nothing(app, script: str, error: str) -> None:
    deploy_files(files=[("s.bpmn", _script_process(script).replace(b"\n    ", b"&#10;    "))],
                 actor=actor("designer"))
    db.session.commit()
    started = time.monotonic()
    with pytest.raises(Invalid) as info:
        atomic(lambda: runtime.start_case(process_key="scripted", actor=actor("counter")))
    assert time.monotonic() - started < 5
    assert error in info.value.message.lower()
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0


def test_cancel_takes_tasks_out_of_inboxes(app) -> None:
    deploy_library(TENNYU_FIXTURE)
    case = start_tennyu()
    with pytest.raises(Invalid):
        atomic(lambda: runtime.cancel_case(case_id=case.id, actor=actor("counter"), reason=" "))
    atomic(lambda: runtime.cancel_case(case_id=case.id, actor=actor("counter"), reason="本人の申出により取下げ"))
    assert case.state == "cancelled"
    assert runtime.list_tasks(section="madoguchi") == []
    with pytest.raises(Conflict):
        atomic(lambda: runtime.cancel_case(case_id=case.id, actor=actor("counter"), reason="二重"))


def test_a_loop_keeps_running_past_the_iterators_depth_limit(app) -> None:
    """SpiffWorkflow's task iterator stops at depth 1000 (~330 rounds of a 3-step loop); our engine does not."""
    from workflows import safe_xml, validation
    from workflows.engine import CaseEngine

    path = Path(__file__).resolve().parents[2] / "bench" / "data" / "loop.bpmn"
    content = path.read_bytes()
    doc = validation.classify(path.name, content, safe_xml.parse(content, file_name=path.name, max_bytes=10**6))
    parser = validation.build_parser([doc])
    engine = CaseEngine()
    workflow = engine.start((parser.get_spec("bench_loop"), parser.get_subprocess_specs("bench_loop")), {"count": 0})
    for _ in range(400):
        (task,) = engine.human_tasks(workflow)
        engine.complete(workflow, task.uuid, {"outcome": "accepted"})
    assert engine.data(workflow)["count"] == 400
    assert len(engine.human_tasks(workflow)) == 1 and not engine.is_completed(workflow)
