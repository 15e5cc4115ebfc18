"""The five-year history generator (bench/history.py) at a tiny scale, on the test database (SQLite or PostgreSQL).

Counts, that every cloned workflow loads and belongs to its case's resident, that a finished case opens on the
counter's summary, the API and the manager's diagram, that the stored workflows agree with the task table
(``madoguchi check cases --all``'s check) and that the operation log's hash chain verifies.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from flask import Flask
from sqlalchemy import func, select

from bench import history
from core import audit_chain, calendar
from core.db import db
from core.models import AuditEntry
from residents.models import Resident
from tests.conftest import PASSWORD, api_headers, login
from workflows import consistency, runtime
from workflows.determination.models import CaseProcedure
from workflows.models import Case, CaseTask
from workflows.visit.models import CaseDocument

END = date(2026, 11, 30)


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_history_generates_a_finished_past_that_the_app_opens(app: Flask, client) -> None:  # noqa: PLR0915
    plan = history.Plan(scale=0.0002, years=1, seed=7, end=END)  # 200 cases, ~6,000 log rows, 2,000 residents
    result = history.generate(app, plan, password=PASSWORD, say=lambda _line: None)
    db.session.remove()

    assert result["failed_templates"] == [], result["failed_templates"]
    templates = result["templates"]
    assert _count(Resident) == plan.residents
    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert len(cases) == plan.cases + templates
    past = [c for c in cases if c.created_at.astimezone(calendar.JST).date() <= END]
    assert len(past) == plan.cases
    states = Counter(c.state for c in past)
    assert set(states) <= {"completed", "cancelled"} and states["completed"] > plan.cases * 0.8
    assert len({c.process_key for c in past}) >= 5  # the journeys' mix, not one template
    # Times: business days of the period, 8:30–17:15 Japan time, every task finished in its visit's day.
    first = END.replace(year=END.year - 1)
    for case in past:
        start = case.created_at.astimezone(calendar.JST)
        assert first < start.date() <= END and calendar.is_business_day(start.date())
        assert (8, 30) <= (start.hour, start.minute) and case.completed_at is not None
        end = case.completed_at.astimezone(calendar.JST)
        assert end.date() == start.date() and (end.hour, end.minute) <= (17, 15)
    tasks = db.session.scalars(select(CaseTask).where(CaseTask.case_id.in_([c.id for c in past]))).all()
    assert tasks and {t.state for t in tasks} <= {"completed", "cancelled"}
    assert all(t.completed_at and t.created_at <= t.completed_at for t in tasks if t.state == "completed")
    assert {t.section_code for t in tasks} - {None, "madoguchi"}  # the sections' tasks, not only the counter's
    assert _count(CaseProcedure) > plan.cases and _count(CaseDocument) > 0
    docs = db.session.scalars(select(CaseDocument).where(CaseDocument.case_id.in_([c.id for c in past]))).all()
    assert docs and all(d.pdf == b"" for d in docs)  # metadata only
    log_rows = _count(AuditEntry)
    assert plan.log * 0.9 <= log_rows <= plan.log * 1.2 + 2000, log_rows

    # Every clone's workflow loads, is finished, and names its own case's resident and household.
    members = {r.id: r for r in db.session.scalars(select(Resident))}
    for case in past:
        stored = runtime.get_case(case.id)
        workflow = runtime.load_workflow(stored)
        assert runtime.engine().is_completed(workflow)  # a cancelled workflow is finished too
        data = runtime.engine().data(workflow)
        assert data["resident_id"] == case.resident_id
        household = {m["resident_id"]: m["name"] for m in data.get("household") or []}
        assert case.resident_id in household
        assert all(members[rid].name == name for rid, name in household.items()), (case.id, household, [
            (rid, members[rid].name) for rid in household])
        assert {members[rid].household_id for rid in household} == {members[case.resident_id].household_id}
        for procedure in db.session.scalars(select(CaseProcedure).where(CaseProcedure.case_id == case.id)):
            assert set(procedure.subject_ids) <= set(household), procedure.subject
    db.session.remove()
    assert list(consistency.check_cases(state=None)) == []
    report = audit_chain.verify()
    assert report.ok, report.problems[:5]
    assert report.checked == log_rows
    ats = [a for (a,) in db.session.execute(select(AuditEntry.at).order_by(AuditEntry.seq))]
    assert ats == sorted(ats)  # the chain follows time: the history before the set-up's entries of today

    # A finished five-year-old case opens: the counter's summary, the API, the manager's diagram.
    old = next(c for c in past if c.state == "completed" and c.process_key == "journey_tennyu") \
        if any(c.process_key == "journey_tennyu" and c.state == "completed" for c in past) else past[0]
    login(client, "counter")
    page = client.get(f"/counter/cases/{old.id}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert members[old.resident_id].name.split("\u3000")[0] in page.get_data(as_text=True)
    detail = client.get(f"/api/v1/cases/{old.id}", headers=api_headers("counter"))
    assert detail.status_code == 200 and detail.get_json()["state"] == "completed"
    client.post("/logout")
    login(client, "manager")
    diagram = client.get(f"/manager/cases/{old.id}")
    assert diagram.status_code == 200, diagram.get_data(as_text=True)[:300]
    assert client.get(f"/manager/cases/{old.id}/diagram.bpmn").status_code == 200
    assert client.get("/manager/").status_code == 200
    answered = db.session.scalars(select(CaseTask.form_data).where(CaseTask.case_id == old.id)).all()
    assert any(json.loads(a) for a in answered if a)  # the tasks' answers came along, as valid JSON
