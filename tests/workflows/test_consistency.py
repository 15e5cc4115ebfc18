"""``madoguchi check cases`` finds a case whose stored workflow and task table disagree, and passes a sound one."""

from __future__ import annotations

from flask import Flask

from core.db import db
from core.tx import atomic
from tests.conftest import TENNYU_FIXTURE, actor, deploy_library
from tests.workflows.test_runtime import RECEPTION, ready, start_tennyu
from workflows import consistency, runtime
from workflows.models import CaseTask


def test_sound_cases_pass_and_each_kind_of_damage_is_named(app: Flask) -> None:
    deploy_library(TENNYU_FIXTURE)
    sound, lost, doubled = start_tennyu(), start_tennyu(), start_tennyu()
    atomic(lambda: runtime.complete_task(task_id=ready(sound)["reception"].id, data=RECEPTION,
                                         actor=actor("counter")))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check", "cases"])
    assert result.exit_code == 0 and "不整合はありません" in result.output, result.output

    # a completion lost after the workflow moved on: the task row vanished
    db.session.delete(ready(lost)["reception"])
    # a ready row the workflow does not have
    extra = ready(doubled)["reception"]
    db.session.add(CaseTask(case_id=doubled.id, task_uuid="00000000-0000-0000-0000-000000000000",
                            spec_name=extra.spec_name, title=extra.title, section_code=extra.section_code))
    db.session.commit()
    problems = {(d.case_id, d.problem[:20]) for d in consistency.check_cases()}
    assert {case_id for case_id, _ in problems} == {lost.id, doubled.id}
    result = runner.invoke(args=["check", "cases"])
    assert result.exit_code != 0 and "2 件の不整合" in result.output, result.output
