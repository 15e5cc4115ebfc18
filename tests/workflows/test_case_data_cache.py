"""runtime.case_data reads a cache keyed by the stored workflow: a copy each time, never stale after a change."""

from __future__ import annotations

from flask import Flask

from core.db import db, utcnow
from core.tx import atomic
from tests.conftest import DATA_DIR, actor
from web.model_rules import deploy_files
from workflows import runtime


def test_case_data_is_a_copy_and_follows_every_change_of_the_workflow(app: Flask) -> None:
    deploy_files(files=[("fee_stop.bpmn", (DATA_DIR / "incidents/fee_stop.bpmn").read_bytes())],
                 actor=actor("designer"))
    db.session.commit()
    case = atomic(lambda: runtime.start_case(process_key="incident_fee", actor=actor("counter"), data={"copies": 1}))
    first = runtime.case_data(case)
    assert first["copies"] == 1
    first["copies"] = 99  # a caller changing what it got changes nothing stored, nor the next read
    assert runtime.case_data(case)["copies"] == 1
    atomic(lambda: runtime.correct_data(case=runtime.get_case(case.id), values={"copies": 3}, now=utcnow()))
    db.session.expire_all()
    assert runtime.case_data(runtime.get_case(case.id))["copies"] == 3
