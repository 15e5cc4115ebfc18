"""Staff pages for work: start a case, the section inbox, a case, a task form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import audit, users
from core.errors import DomainError, Invalid
from core.tx import atomic
from forms import taskforms
from web.auth import current_actor, roles_required
from workflows import registry, runtime

bp = Blueprint("cases", __name__)


@bp.route("/cases/new", methods=["GET", "POST"])
@roles_required("counter")
def start() -> ResponseReturnValue:
    processes = [v for v in registry.latest_versions() if v.kind == "bpmn"]
    if request.method == "GET":
        return render_template("start.html", processes=processes)
    actor = current_actor()
    key = request.form.get("process_key", "")
    case = atomic(lambda: runtime.start_case(process_key=key, actor=actor,
                                             title=(request.form.get("title") or "").strip()[:200] or None))
    first = next((t for t in case.tasks if t.state == "ready" and t.section_code in actor.sections), None)
    flash(f"受付番号 {case.id} の案件を開始しました。", "info")
    return redirect(url_for("cases.task", task_id=first.id) if first else url_for("cases.case", case_id=case.id))


@bp.route("/inbox")
@roles_required("counter", "section", "manager")
def inbox() -> ResponseReturnValue:
    actor = current_actor()
    sections = users.list_sections()
    mine = list(actor.sections)
    chosen = request.args.get("section") or (mine[0] if len(mine) == 1 else "")
    if chosen and chosen not in mine and not actor.has_role("manager"):
        chosen = mine[0] if mine else ""
    tasks = runtime.list_tasks(section=chosen or None)
    if not chosen and not actor.has_role("manager"):
        tasks = [t for t in tasks if t.section_code in mine]
    template = "_inbox_rows.html" if request.headers.get("HX-Request") else "inbox.html"
    return render_template(template, tasks=tasks, sections=sections, chosen=chosen, mine=mine)


@bp.route("/cases")
@roles_required("counter", "manager")
def cases() -> ResponseReturnValue:
    state = request.args.get("state") or None
    return render_template("cases.html", cases=runtime.list_cases(state=state), state=state)


@bp.route("/cases/<int:case_id>")
@roles_required("counter", "section", "manager")
def case(case_id: int) -> ResponseReturnValue:
    item = runtime.get_case(case_id)
    history = audit.list_(target_type="case", target_id=str(case_id))
    sections = {s.code: s.name for s in users.list_sections()}
    return render_template("case.html", case=item, data=runtime.case_data(item), history=history,
                           sections=sections)


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@roles_required("counter", "section", "manager")
def task(task_id: int) -> ResponseReturnValue:
    item = runtime.get_task(task_id)
    form = taskforms.get(item.form_key) if item.form_key else None
    if request.method == "GET":
        return render_template("task.html", task=item, form=form, values={}, errors={},
                               data=runtime.case_data(item.case))
    actor = current_actor()
    values = request.form.to_dict()
    version = int(values.pop("version", "0") or 0) or None
    values.pop("csrf_token", None)
    try:
        atomic(lambda: runtime.complete_task(task_id=task_id, data=values, actor=actor, version=version))
    except Invalid as err:
        errors = err.details.get("fields", {})
        if not errors:
            flash(err.message, "error")
        return render_template("task.html", task=runtime.get_task(task_id), form=form, values=values, errors=errors,
                               data=runtime.case_data(item.case)), 422
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("cases.task", task_id=task_id))
    flash(f"「{item.title}」を完了しました。", "info")
    return redirect(url_for("cases.inbox"))


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@roles_required("counter", "section")
def claim(task_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        atomic(lambda: runtime.claim(task_id=task_id, actor=actor))
        flash("担当しました。", "info")
    except DomainError as err:
        flash(err.message, "error")
    return redirect(url_for("cases.task", task_id=task_id))


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@roles_required("counter", "section", "manager")
def unclaim(task_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        atomic(lambda: runtime.unclaim(task_id=task_id, actor=actor))
        flash("担当を外しました。", "info")
    except DomainError as err:
        flash(err.message, "error")
    return redirect(url_for("cases.task", task_id=task_id))
