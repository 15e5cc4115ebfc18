"""Cases: start one without a resident (a plain journey), the list, and one case with its data and history."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import audit, users
from core.db import utcnow
from core.tx import atomic
from residents import protection
from web.auth import current_actor, roles_required
from web.pageinput import PageSchema, parse, text
from workflows import access, escalation, incidents, registry, runtime
from workflows.visit import section

bp = Blueprint("cases", __name__)


class StartForm(PageSchema):
    process_key = text(max_length=200, required=True)
    title = text(max_length=200)


class CaseListQuery(PageSchema):
    state = text(max_length=16)


@bp.route("/cases/new", methods=["GET", "POST"])
@roles_required("counter")
def start() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("start.html", processes=[v for v in registry.latest_versions() if v.kind == "bpmn"])
    actor, form = current_actor(), parse(StartForm, request.form)
    case = atomic(lambda: runtime.start_case(process_key=form["process_key"], actor=actor,
                                             title=form["title"] or None))
    first = next((t for t in case.tasks if t.state == "ready" and t.section_code in actor.sections), None)
    flash(f"受付番号 {case.id} の案件を開始しました。", "info")
    return redirect(url_for("inbox.task", task_id=first.id) if first else url_for("cases.case", case_id=case.id))


@bp.route("/cases")
@roles_required("counter", "manager")
def cases() -> ResponseReturnValue:
    actor, state = current_actor(), parse(CaseListQuery, request.args)["state"] or None
    items = access.cases(actor=actor, state=state)
    idle = escalation.idle_case_ids(items, now=utcnow(), sections=actor.sections)  # the counter's own sections
    return render_template("cases.html", cases=items, state=state, idle_ids=idle, idle_minutes=escalation.IDLE_MINUTES)


@bp.route("/cases/<int:case_id>")
@roles_required("counter", "section", "manager")
def case(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    item = access.case(actor=actor, case_id=case_id)
    atomic(lambda: protection.view_case(actor=actor, case=item, screen="case"))
    history = audit.list_(target_type="case", target_id=str(case_id))
    sections = {s.code: s.name for s in users.list_sections()}
    seen = None if actor.has_role("counter", "manager") else actor.sections
    return render_template("case.html", case=item, history=history, sections=sections,
                           incidents=incidents.for_case(item.id), manages=actor.has_role("manager"),
                           answered=section.answers_by_task(case_id=item.id, sections=seen,
                                                            hidden=access.hidden_fields(actor=actor, case=item)))
