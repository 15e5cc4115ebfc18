"""POST /api/v1/case-batches: retry, cancel and migrate the cases of a filter as one logged batch, dry run first."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from core import audit
from core.db import db
from core.tx import atomic
from tests.conftest import DATA_DIR, actor, api_headers
from web.model_rules import deploy_files
from workflows import runtime
from workflows.models import Incident

FIXTURE = DATA_DIR / "incidents/fee_stop.bpmn"


def _deploy(xml: bytes) -> None:
    deploy_files(files=[("fee_stop.bpmn", xml)], actor=actor("designer"))
    db.session.commit()


def _start(copies: object, *, review: bool) -> int:
    case = atomic(lambda: runtime.start_case(process_key="incident_fee", actor=actor("counter"),
                                             data={"copies": copies}))
    if review:
        [task] = [t for t in case.tasks if t.state == "ready"]
        atomic(lambda: runtime.complete_task(task_id=task.id, actor=actor("shimin"), data={"outcome": "accepted"}))
    return case.id


def _batch(client: FlaskClient, user: str, **body: object):  # noqa: ANN202
    return client.post("/api/v1/case-batches", json=body, headers=api_headers(user))


def _by_case(response) -> dict[int, str]:  # noqa: ANN001
    assert response.status_code == 200, response.get_json()
    return {i["case_id"]: i["outcome"] for i in response.get_json()["items"]}


def test_retry_then_cancel_as_batches(app: Flask, client: FlaskClient) -> None:
    _deploy(FIXTURE.read_bytes())
    stuck = [_start("二", review=True) for _ in range(3)]
    filt = {"process_key": "incident_fee", "state": "running"}
    dry = _batch(client, "manager", action="retry", filter=filt, reason="原因修正後の再実行", dry_run=True)
    assert _by_case(dry) == {c: "would" for c in stuck}
    assert {i["detail"] for i in dry.get_json()["items"]} == {"再実行: 手数料の計算"}
    english = client.post("/api/v1/case-batches", json={"action": "retry", "filter": filt, "reason": "x"},
                          headers={**api_headers("manager"), "Accept-Language": "en"})
    assert {i["detail"] for i in english.get_json()["items"]} == {"Retry: 手数料の計算"}  # the step's name is data
    db.session.expire_all()
    assert {i.attempts for i in db.session.scalars(db.select(Incident))} == {1}  # the dry run ran nothing
    for case_id in stuck[:2]:
        atomic(lambda c=case_id: runtime.correct_data(case=runtime.get_case(c), values={"copies": "2"},
                                                       now=runtime.get_case(c).updated_at))
    done = _batch(client, "manager", action="retry", filter=filt, reason="原因修正後の再実行", dry_run=False)
    assert _by_case(done) == {stuck[0]: "done", stuck[1]: "done", stuck[2]: "refused"}
    [entry] = audit.list_(target_type="case_batch", action="case.batch")  # the dry run logged nothing
    logged = json.loads(entry.details)
    assert logged["action"] == "retry" and [i["outcome"] for i in logged["items"]] == ["done", "done", "refused"]

    assert _batch(client, "shimin", action="cancel", filter=filt, reason="x", dry_run=False).status_code == 403
    assert _batch(client, "manager", action="cancel", filter=filt, dry_run=False).status_code == 422  # no reason
    assert set(_by_case(_batch(client, "manager", action="cancel", filter=filt, reason="申請の取下げ",
                               dry_run=True)).values()) == {"would"}
    cancelled = _batch(client, "manager", action="cancel", filter=filt, reason="申請の取下げ", dry_run=False)
    assert _by_case(cancelled) == {c: "done" for c in stuck}
    db.session.expire_all()
    assert {runtime.get_case(c).state for c in stuck} == {"cancelled"}
    assert not db.session.scalars(db.select(Incident).where(Incident.state == "open")).all()


def test_migrate_a_batch_from_v1_to_v2_dry_run_first(app: Flask, client: FlaskClient) -> None:
    _deploy(FIXTURE.read_bytes())
    waiting = [_start(1, review=False) for _ in range(4)]
    _deploy(FIXTURE.read_bytes().replace("証明書の交付".encode(), "証明書の交付（第2版）".encode()))
    filt = {"process_key": "incident_fee", "version": 1, "state": "running"}
    assert _batch(client, "manager", action="migrate", filter=filt, to_version=2, reason="版の更新",
                  dry_run=True).status_code == 403  # migrating running cases: administrators
    dry = _batch(client, "admin", action="migrate", filter=filt, to_version=2, reason="版の更新", dry_run=True)
    assert _by_case(dry) == {c: "would" for c in waiting}
    db.session.expire_all()
    assert {json.loads(runtime.get_case(c).snapshot.library)["incident_fee"] for c in waiting} == {1}
    assert _batch(client, "admin", action="migrate", filter=filt, to_version=3, reason="版の更新",
                  dry_run=True).status_code == 422
    done = _batch(client, "admin", action="migrate", filter=filt, to_version=2, reason="版の更新", dry_run=False)
    assert _by_case(done) == {c: "done" for c in waiting}
    db.session.expire_all()
    assert {json.loads(runtime.get_case(c).snapshot.library)["incident_fee"] for c in waiting} == {2}
