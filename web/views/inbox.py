"""The section inbox and a task: the filtered list of ready tasks, the task's form, claim and release."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import users
from core.db import utcnow
from core.errors import Conflict, DomainError, Invalid
from core.tx import atomic
from forms.taskforms import MEMBERS
from residents import protection
from web.auth import current_actor, roles_required
from web.pageinput import BackTo, PageSchema, local_path, parse, split_members, text, whole_number
from workflows import access, dashboard, escalation, registry, runtime, wiring
from workflows.visit import section

bp = Blueprint("inbox", __name__)


class InboxQuery(PageSchema):
    section = text(max_length=32)
    journey = text(max_length=200)
    due = text(max_length=16)
    waiting = whole_number(maximum=100_000)
    assignee = text(max_length=16)


class TaskVersion(PageSchema):
    version = whole_number(maximum=2**31 - 1)



@bp.route("/inbox")
@roles_required("counter", "section", "manager")
def inbox() -> ResponseReturnValue:
    actor = current_actor()
    query = parse(InboxQuery, request.args)
    filters = dashboard.InboxFilter(section=query["section"], process_key=query["journey"], due=query["due"],
                                    waiting_min=query["waiting"], assignee=query["assignee"])
    tasks = dashboard.inbox(actor=actor, filters=filters)
    allowed = access.visible_sections(actor)
    sections = [s for s in users.list_sections() if allowed is None or s.code in allowed]
    journeys = [v for v in registry.latest_versions() if v.kind == "bpmn"]
    template = "_inbox_rows.html" if request.headers.get("HX-Request") else "inbox.html"
    now = utcnow()
    overdue = escalation.overdue_count(now=now, sections=allowed)  # its own sections' (a manager's: all)
    return render_template(template, tasks=tasks, sections=sections, journeys=journeys, f=filters,
                           now=now, me=actor.username, query=request.args.to_dict(), overdue=overdue)


def _prefill(item: Any, form: Any) -> dict[str, Any]:
    """What the form starts from: the task's own answers; a journey-wide (``scope: case``) form also from what the
    visit already knows for its fields (e.g. the event date given at the start). Never another task's answers."""
    own = item.answers
    if form is None or form.scope != "case":
        return _flat(own)
    data = runtime.case_data(item.case)
    known = {f.name: data[f.name] for f in form.visit_fields if data.get(f.name) not in (None, "")}
    members = data.get(MEMBERS) if isinstance(data.get(MEMBERS), dict) else {}
    return {**known, **_flat({MEMBERS: members}), **_flat(own)}


def _flat(values: dict[str, Any]) -> dict[str, Any]:
    members = values.get(MEMBERS) if isinstance(values.get(MEMBERS), dict) else {}
    flat = {k: v for k, v in values.items() if k != MEMBERS}
    flat.update({f"{MEMBERS}.{m}.{k}": v for m, answers in members.items() for k, v in (answers or {}).items()})
    return flat


def _task_page(item, form, values, errors, status=200):  # noqa: ANN001, ANN202 - a template and its status
    hidden = access.hidden_fields(actor=current_actor(), case=item.case)
    return render_template("task.html", task=item, form=form, values=values or _prefill(item, form), errors=errors,
                           visit=section.for_task(item, hidden=hidden)), status


@bp.route("/tasks/<int:task_id>")
@roles_required("counter", "section", "manager")
def task(task_id: int) -> ResponseReturnValue:
    actor = current_actor()
    item = access.task(actor=actor, task_id=task_id)
    def read() -> None:
        protection.view_case(actor=actor, case=item.case, screen="task")
        runtime.mark_opened(item, actor=actor)

    atomic(read)
    return _task_page(item, _form(item), {}, {})


def _form(item: Any) -> Any:
    return wiring.task_form(item) if item.form_key else None  # an interview: only what this visit needs


@bp.route("/tasks/<int:task_id>", methods=["POST"])
@roles_required("counter", "section")
def complete(task_id: int) -> ResponseReturnValue:
    """Complete the task with its form (its own section's staff: managers read, sections work)."""
    actor = current_actor()
    item = access.task(actor=actor, task_id=task_id)
    form = _form(item)
    version = parse(TaskVersion, request.form)["version"] or None
    top, members = split_members(request.form, skip={"version", "csrf_token"})  # the task form's own fields
    values = {k: v for k, v in request.form.items() if k not in {"version", "csrf_token"}}
    data = {**top, MEMBERS: members} if members else top
    try:
        atomic(lambda: runtime.complete_task(task_id=task_id, data=data, actor=actor, version=version))
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
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(f"「{item.title}」を完了しました。", "info")
    if actor.role == "counter":
        return redirect(url_for("counter.summary", case_id=item.case_id))
    return redirect(url_for("inbox.inbox"))


def _back(task_id: int) -> ResponseReturnValue:
    return redirect(local_path(parse(BackTo, request.form)["next"]) or url_for("inbox.task", task_id=task_id))


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
