"""Case batches through the API and the real engine: dry run first, then migrate; cancel with a reason;
refusals named as CaseEngine.migrate names them; one case.batch entry per batch."""

from __future__ import annotations

from lxml import etree

from core.db import db
from core.models import AuditEntry
from tests.conftest import TENNYU_FIXTURE, actor, api_headers, deploy_library
from tests.workflows.test_designer import DESIGNER_DATA, _complete_reception, _deploy_text, _flow, _start
from tests.workflows.test_runtime import start_tennyu
from web.model_rules import deploy_files
from workflows.models import Case


def _v2() -> None:
    changed = TENNYU_FIXTURE.read_text().replace("転入届の審査・入力", "転入届の審査")
    deploy_files(files=[("tennyu.bpmn", changed.encode())], actor=actor("designer"))
    db.session.commit()


def test_dry_run_then_migrate_then_cancel(app, client) -> None:
    deploy_library(TENNYU_FIXTURE)
    cases = [start_tennyu() for _ in range(4)]
    _v2()
    headers = api_headers("manager")
    flt = {"process_key": "tennyu", "version": 1, "state": "running"}
    assert client.post("/api/v1/case-batches", headers=api_headers("shimin"),
                       json={"action": "cancel", "filter": flt, "reason": "x"}).status_code == 403
    dry = client.post("/api/v1/case-batches", headers=headers,
                      json={"action": "migrate", "filter": flt, "to_version": 2, "dry_run": True}).get_json()
    assert dry["counts"] == {"would_migrate": 4} and dry["to_version"] == 2
    db.session.expire_all()
    assert {db.session.get(Case, c.id).snapshot.model_version.version for c in cases} == {1}  # nothing changed
    done = client.post("/api/v1/case-batches", headers=headers,
                       json={"action": "migrate", "filter": flt, "to_version": 2, "dry_run": False}).get_json()
    assert done["counts"] == {"migrated": 4}
    db.session.expire_all()
    assert {db.session.get(Case, c.id).snapshot.model_version.version for c in cases} == {2}
    bad = client.post("/api/v1/case-batches", headers=headers,
                      json={"action": "cancel", "filter": {"process_key": "tennyu"}, "dry_run": False})
    assert bad.status_code in (400, 422) and "理由" in bad.get_json()["error"]["message"]
    cancel = client.post("/api/v1/case-batches", headers=headers, json={
        "action": "cancel", "filter": {"process_key": "tennyu", "version": 2}, "reason": "重複受付のため",
        "dry_run": False}).get_json()
    assert cancel["counts"] == {"cancelled": 4}
    batches = [e for e in db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "case.batch"))]
    assert len(batches) == 3  # the dry run is logged too, as one batch


def test_refusals_are_named_as_the_engine_names_them(app, client) -> None:
    deploy_library(DESIGNER_DATA)
    waiting = _start()
    moved = _start()
    _complete_reception(moved)  # now waiting on "review", which the new version removes
    root = etree.fromstring(_flow().encode())
    for element in root.xpath("//*[@id='review' or @id='review_di' or @id='f4' or @id='f4_di']"):
        element.getparent().remove(element)
    for ref in root.xpath("//*[local-name()='flowNodeRef' and text()='review']"):
        ref.getparent().remove(ref)
    root.xpath("//*[@id='f3']")[0].set("targetRef", "end")
    root.xpath("//*[@id='end']/*[local-name()='incoming']")[0].text = "f3"
    _deploy_text("fee_flow.bpmn", etree.tostring(root, encoding="unicode"))
    dry = client.post("/api/v1/case-batches", headers=api_headers("admin"), json={
        "action": "migrate", "filter": {"process_key": "fee_flow", "state": "running"}, "dry_run": True}).get_json()
    outcomes = {c["case_id"]: c for c in dry["cases"]}
    assert outcomes[waiting]["outcome"] == "would_migrate", outcomes
    assert outcomes[moved]["outcome"] == "refused"
    assert "review" in outcomes[moved]["reason"] and "does not exist in the new version" in outcomes[moved]["reason"]
