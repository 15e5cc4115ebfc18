"""Tasks: the inbox, claim/unclaim, complete with form data (422 field errors, 409 conflicts)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.tx import atomic
from residents import protection
from web.api.marks import ProtectionMarked
from web.auth import current_actor, roles_required
from workflows import access, runtime
from workflows.models import CaseTask

URL_PREFIX = "/tasks"
blp = Blueprint("tasks_api", __name__, description="Human tasks, routed to sections by lane")


class TaskSchema(ProtectionMarked):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    spec_name = ma.fields.String()
    title = ma.fields.String()
    lane = ma.fields.String(allow_none=True)
    section = ma.fields.String(attribute="section_code", allow_none=True)
    form = ma.fields.String(attribute="form_key", allow_none=True)
    state = ma.fields.String()
    assignee = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    claimed_at = ma.fields.DateTime(allow_none=True)
    opened_at = ma.fields.DateTime(allow_none=True)
    completed_at = ma.fields.DateTime(allow_none=True)
    completed_by = ma.fields.String(allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True)
    version = ma.fields.Integer()


class TaskQuery(ma.Schema):
    section = ma.fields.String(load_default=None)
    state = ma.fields.String(load_default="ready", validate=ma.validate.OneOf(["ready", "completed", "cancelled"]))
    assignee = ma.fields.String(load_default=None)


class TaskComplete(ma.Schema):
    data = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)
    version = ma.fields.Integer(load_default=None, allow_none=True)


@blp.route("")
@roles_required("counter", "section", "manager")
@blp.arguments(TaskQuery, location="query")
@blp.response(200, TaskSchema(many=True))
def list_tasks(query: dict[str, Any]) -> list[CaseTask]:
    return access.tasks(actor=current_actor(), **query)


@blp.route("/<int:task_id>")
@roles_required("counter", "section", "manager")
@blp.response(200, TaskSchema)
def get_task(task_id: int) -> CaseTask:
    actor = current_actor()
    task = access.task(actor=actor, task_id=task_id)
    def read() -> None:
        protection.view_case(actor=actor, case=task.case, screen="api.task")
        runtime.mark_opened(task, actor=actor)

    atomic(read)
    return task


@blp.route("/<int:task_id>/claim", methods=["POST"])
@roles_required("counter", "section")
@blp.response(200, TaskSchema)
def claim_task(task_id: int) -> CaseTask:
    actor = current_actor()
    return atomic(lambda: runtime.claim(task_id=task_id, actor=actor))


@blp.route("/<int:task_id>/unclaim", methods=["POST"])
@roles_required("counter", "section", "manager")
@blp.response(200, TaskSchema)
def unclaim_task(task_id: int) -> CaseTask:
    actor = current_actor()
    return atomic(lambda: runtime.unclaim(task_id=task_id, actor=actor))


@blp.route("/<int:task_id>/complete", methods=["POST"])
@roles_required("counter", "section")
@blp.arguments(TaskComplete)
@blp.response(200, TaskSchema)
def complete_task(body: dict[str, Any], task_id: int) -> CaseTask:
    actor = current_actor()
    return atomic(lambda: runtime.complete_task(task_id=task_id, actor=actor, **body))
