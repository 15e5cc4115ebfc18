"""Staff pages for work: start a case, the section inbox, a case, a task form."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import audit, users
from core.db import utcnow
from core.errors import Conflict, DomainError, Invalid
from core.tx import atomic
from residents import protection
from web.auth import current_actor, roles_required
from workflows import dashboard, registry, runtime
from workflows.determination import interview

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


def _inbox_filter() -> dashboard.InboxFilter:
    waiting = request.args.get("waiting", "") or "0"
    if not waiting.isdigit():
        raise Invalid("待ち時間は分の数で指定してください", details={"waiting": waiting})
    return dashboard.InboxFilter(section=request.args.get("section", ""), process_key=request.args.get("journey", ""),
                                 due=request.args.get("due", ""), waiting_min=int(waiting),
                                 assignee=request.args.get("assignee", ""))


@bp.route("/inbox")
@roles_required("counter", "section", "manager")
def inbox() -> ResponseReturnValue:
    actor = current_actor()
    filters = _inbox_filter()
    tasks = dashboard.inbox(actor=actor, filters=filters)
    allowed = dashboard.visible_sections(actor)
    sections = [s for s in users.list_sections() if allowed is None or s.code in allowed]
    journeys = [v for v in registry.latest_versions() if v.kind == "bpmn"]
    template = "_inbox_rows.html" if request.headers.get("HX-Request") else "inbox.html"
    return render_template(template, tasks=tasks, sections=sections, journeys=journeys, f=filters,
                           now=utcnow(), me=actor.username, query=request.args.to_dict())


@bp.route("/cases")
@roles_required("counter", "manager")
def cases() -> ResponseReturnValue:
    state = request.args.get("state") or None
    return render_template("cases.html", cases=runtime.list_cases(state=state), state=state)


@bp.route("/cases/<int:case_id>")
@roles_required("counter", "section", "manager")
def case(case_id: int) -> ResponseReturnValue:
    actor, item = current_actor(), runtime.get_case(case_id)
    if not dashboard.may_see_case(actor=actor, case=item):
        abort(403, "この案件を閲覧する権限がありません")
    atomic(lambda: protection.view_case(actor=actor, case=item, screen="case"))
    history = audit.list_(target_type="case", target_id=str(case_id))
    sections = {s.code: s.name for s in users.list_sections()}
    return render_template("case.html", case=item, data=runtime.case_data(item), history=history,
                           sections=sections)


def _task_page(item, form, values, errors, status=200):  # noqa: ANN001, ANN202 - a template and its status
    return render_template("task.html", task=item, form=form, values=values, errors=errors,
                           data=runtime.case_data(item.case)), status


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@roles_required("counter", "section", "manager")
def task(task_id: int) -> ResponseReturnValue:
    actor = current_actor()
    item = runtime.get_task(task_id)
    if not dashboard.may_see_task(actor=actor, task=item):
        abort(403, "他の課の作業は表示できません")
    form = interview.form_for(task=item)  # an interview shows only the questions this visit needs
    if request.method == "GET":
        atomic(lambda: protection.view_case(actor=actor, case=item.case, screen="task"))
        return _task_page(item, form, {}, {})
    values = request.form.to_dict()
    version = int(values.pop("version", "0") or 0) or None
    values.pop("csrf_token", None)
    try:
        atomic(lambda: runtime.complete_task(task_id=task_id, data=values, actor=actor, version=version))
    except Invalid as err:
        errors = err.details.get("fields", {})
        if not errors:
            flash(err.message, "error")
        return _task_page(runtime.get_task(task_id), form, values, errors, 422)
    except Conflict as err:
        flash(f"この作業は他の職員が先に処理したか、内容が変わっています：{err.message}", "error")
        return _task_page(runtime.get_task(task_id), form, values, {}, 409)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("cases.task", task_id=task_id))
    flash(f"「{item.title}」を完了しました。", "info")
    if actor.role == "counter":
        return redirect(url_for("counter.summary", case_id=item.case_id))
    return redirect(url_for("cases.inbox"))


def _back(task_id: int) -> ResponseReturnValue:
    target = request.form.get("next", "")
    ok = target.startswith("/") and not target.startswith("//")
    return redirect(target if ok else url_for("cases.task", task_id=task_id))


def _task_action(task_id: int, action: Callable[..., object], done: str) -> ResponseReturnValue:
    """Run a claim/unclaim for the current user, flash the outcome, go back where the user came from."""
    actor = current_actor()
    try:
        atomic(lambda: action(task_id=task_id, actor=actor))
        flash(done, "info")
    except DomainError as err:
        flash(err.message, "error")
    return _back(task_id)


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@roles_required("counter", "section")
def claim(task_id: int) -> ResponseReturnValue:
    return _task_action(task_id, runtime.claim, "担当しました。")


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@roles_required("counter", "section", "manager")
def unclaim(task_id: int) -> ResponseReturnValue:
    return _task_action(task_id, runtime.unclaim, "担当を外しました。")
