"""The designer's services on a real database: diff, cases per version, migration of running cases, decision runs."""

from __future__ import annotations

import pytest
from lxml import etree

from core.db import db
from core.errors import Conflict, Forbidden, Invalid
from core.models import AuditEntry
from tests.conftest import DATA_DIR, actor, deploy_library
from web.model_rules import deploy_files
from workflows import designer, runtime

DESIGNER_DATA = DATA_DIR / "designer"


def _deploy_text(name: str, text: str) -> None:
    deploy_files(files=[(name, text.encode())], actor=actor("designer"))
    db.session.commit()


def _flow() -> str:
    return (DESIGNER_DATA / "fee_flow.bpmn").read_text(encoding="utf-8")


def _start(members: int = 2) -> int:
    case = runtime.start_case(process_key="fee_flow", actor=actor("counter"), data={"members": members})
    db.session.commit()
    return case.id


def _complete_reception(case_id: int) -> None:
    task = next(t for t in runtime.get_case(case_id).tasks if t.spec_name == "reception")
    runtime.complete_task(task_id=task.id, data={"outcome": "accepted"}, actor=actor("counter"))
    db.session.commit()


def test_diff_names_changed_elements_and_ignores_layout(app) -> None:
    deploy_library(DESIGNER_DATA)
    changed = _flow().replace('name="手数料の審査"', 'name="手数料の確認"').replace(
        '<dc:Bounds x="182" y="117"', '<dc:Bounds x="190" y="117"')
    _deploy_text("fee_flow.bpmn", changed)
    diff = designer.diff_versions(key="fee_flow", old=1, new=2)
    assert [(c.element, c.kind) for c in diff.elements] == [("review", "changed")]
    assert any("手数料の確認" in line for line in diff.lines)


def test_cases_per_version_and_migration_moves_a_waiting_case(app) -> None:
    deploy_library(DESIGNER_DATA)
    old_case = _start()
    _deploy_text("fee_flow.bpmn", _flow().replace('name="受付"', 'name="受付（新）"'))
    assert designer.cases_by_version(key="fee_flow") == {1: {"running": 1}}
    assert [(c.id, v) for c, v in designer.running_cases(key="fee_flow")] == [(old_case, 1)]

    result = designer.migrate_case(case_id=old_case, actor=actor("admin"))
    db.session.commit()
    assert result.migrated and (result.from_version, result.to_version) == (1, 2)
    assert designer.cases_by_version(key="fee_flow") == {2: {"running": 1}}
    ready = [t for t in runtime.get_case(old_case).tasks if t.state == "ready"]
    assert [t.title for t in ready] == ["受付（新）"]
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "case.migrate")).one()
    assert entry.outcome == "ok" and entry.target_id == str(old_case)
    _complete_reception(old_case)  # the migrated case runs on
    assert [t.spec_name for t in runtime.get_case(old_case).tasks if t.state == "ready"] == ["review"]


def test_migration_is_refused_when_a_ready_task_is_removed(app) -> None:
    deploy_library(DESIGNER_DATA)
    case_id = _start()
    _complete_reception(case_id)  # now waiting on "review"
    root = etree.fromstring(_flow().encode())
    for element in root.xpath("//*[@id='review' or @id='review_di' or @id='f4' or @id='f4_di']"):
        element.getparent().remove(element)
    for ref in root.xpath("//*[local-name()='flowNodeRef' and text()='review']"):
        ref.getparent().remove(ref)
    root.xpath("//*[@id='f3']")[0].set("targetRef", "end")
    root.xpath("//*[@id='end']/*[local-name()='incoming']")[0].text = "f3"
    renamed = etree.tostring(root, encoding="unicode")
    _deploy_text("fee_flow.bpmn", renamed)
    result = designer.migrate_case(case_id=case_id, actor=actor("admin"))
    db.session.commit()
    assert not result.migrated
    assert "review" in result.reason and "READY" in result.reason and "does not exist" in result.reason
    assert designer.cases_by_version(key="fee_flow") == {1: {"running": 1}}
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "case.migrate")).one()
    assert entry.outcome == "refused"


def test_migration_needs_admin_and_a_newer_version(app) -> None:
    deploy_library(DESIGNER_DATA)
    case_id = _start()
    with pytest.raises(Forbidden):
        designer.migrate_case(case_id=case_id, actor=actor("designer"))
    with pytest.raises(Conflict, match="最新版"):
        designer.migrate_case(case_id=case_id, actor=actor("admin"))


@pytest.mark.parametrize(("members", "fee"), [(1, 300), (2, 300), (3, 0), (6, 0)])
def test_decision_test_run(app, members: int, fee: int) -> None:
    xml = (DESIGNER_DATA / "fee_by_household.dmn").read_text(encoding="utf-8")
    assert designer.evaluate_decision(xml=xml, data={"members": members}, actor=actor("designer")) == {"fee": fee}


def test_decision_test_run_names_a_missing_input(app) -> None:
    xml = (DESIGNER_DATA / "fee_by_household.dmn").read_text(encoding="utf-8")
    with pytest.raises(Invalid, match="members"):
        designer.evaluate_decision(xml=xml, data={"household": []}, actor=actor("designer"))
    assert designer.decision_inputs(xml) == (["members"], ["fee"])


def test_check_reports_problems_with_elements_and_stores_nothing(app) -> None:
    bad = _flow().replace('value="section_review" />\n          <spiffworkflow:property name="due"',
                          'value="no_such_form" />\n          <spiffworkflow:property name="due"')
    problems = designer.check(files=[("fee_flow.bpmn", bad.encode()),
                                     ("fee_by_household.dmn", (DESIGNER_DATA / "fee_by_household.dmn").read_bytes())],
                              lanes={"総合窓口", "市民課", "保険年金課"}, operation_names=set(),
                              form_exists=lambda k: k == "section_review", max_bytes=1_000_000)
    assert [(p.element, "no_such_form" in p.message) for p in problems] == [("review", True)]
    broken = designer.check(files=[("x.bpmn", b"<bpmn:definitions")], lanes=set(), operation_names=set(),
                            form_exists=lambda k: True, max_bytes=1000)
    assert broken and broken[0].file == "x.bpmn"
