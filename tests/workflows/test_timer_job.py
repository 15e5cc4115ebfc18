"""The scheduler's ``cases.timers`` job moves a case whose timer fell due, and records the run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import Flask

from core.actor import SYSTEM
from core.db import db
from core.tx import atomic
from integrations.scheduler import runner
from tests.conftest import DATA_DIR, actor
from web.model_rules import deploy_files
from workflows import runtime


def test_timer_job_fires_due_timers(app: Flask) -> None:
    deploy_files(files=[("timer.bpmn", (DATA_DIR / "engine/timer.bpmn").read_bytes())], actor=actor("designer"))
    db.session.commit()
    remind_at = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    case = atomic(lambda: runtime.start_case(process_key="timer_case", actor=actor("counter"),
                                             data={"remind_at": remind_at}))
    assert "cases.timers" in {j["id"] for j in runner.list_jobs()}
    time.sleep(1.1)
    run = runner.execute("cases.timers", trigger="test", actor=SYSTEM, settings=app.config["MADOGUCHI"])
    assert run.status == "succeeded" and "1 件" in run.message
    db.session.expire_all()
    assert [t.spec_name for t in runtime.get_case(case.id).tasks if t.state == "ready"] == ["reminder"]
    again = runner.execute("cases.timers", trigger="test", actor=SYSTEM, settings=app.config["MADOGUCHI"])
    assert again.status == "succeeded" and "ありません" in again.message
