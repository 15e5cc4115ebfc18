"""Incidents: cases stopped by a failing service task, script or decision, and the actions that resolve them."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.tx import atomic
from web.auth import current_actor, roles_required
from workflows import incidents
from workflows.models import Incident

URL_PREFIX = "/incidents"
blp = Blueprint("incidents_api", __name__, description="Incidents: stopped cases and their retry, skip, cancel")


class IncidentQuery(ma.Schema):
    state = ma.fields.String(load_default="open", validate=ma.validate.OneOf(["open", "resolved", "all"]))
    case_id = ma.fields.Integer(load_default=None)


class IncidentSchema(ma.Schema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    case_title = ma.fields.Function(lambda i: i.case.title)
    process_key = ma.fields.Function(lambda i: i.case.process_key)
    element_id = ma.fields.String()
    element_name = ma.fields.String()
    message = ma.fields.String(metadata={"description": "日本語の説明"})
    detail = ma.fields.String(metadata={"description": "the engine's own error text"})
    skippable = ma.fields.Boolean()
    state = ma.fields.String()
    since = ma.fields.DateTime()
    resolution = ma.fields.String(allow_none=True)
    resolved_by = ma.fields.String(allow_none=True)
    resolved_at = ma.fields.DateTime(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class Reason(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


@blp.route("")
@roles_required("manager")
@blp.arguments(IncidentQuery, location="query")
@blp.response(200, IncidentSchema(many=True))
def list_incidents(query: dict[str, Any]) -> list[Incident]:
    state = None if query["state"] == "all" else query["state"]
    return incidents.list_incidents(actor=current_actor(), state=state, case_id=query["case_id"])


@blp.route("/<int:incident_id>/retry", methods=["POST"])
@roles_required("manager")
@blp.response(200, IncidentSchema)
def retry(incident_id: int) -> Incident:
    actor = current_actor()
    return atomic(lambda: incidents.retry(incident_id=incident_id, actor=actor))


@blp.route("/<int:incident_id>/skip", methods=["POST"])
@roles_required("manager")
@blp.arguments(Reason)
@blp.response(200, IncidentSchema)
def skip(body: dict[str, Any], incident_id: int) -> Incident:
    actor = current_actor()
    return atomic(lambda: incidents.skip(incident_id=incident_id, reason=body["reason"], actor=actor))


@blp.route("/<int:incident_id>/cancel", methods=["POST"])
@roles_required("manager")
@blp.arguments(Reason)
@blp.response(200, IncidentSchema)
def cancel(body: dict[str, Any], incident_id: int) -> Incident:
    actor = current_actor()
    return atomic(lambda: incidents.cancel(incident_id=incident_id, reason=body["reason"], actor=actor))


@blp.route("/<int:incident_id>/migrate", methods=["POST"])
@roles_required("admin")
@blp.response(200, IncidentSchema)
def migrate(incident_id: int) -> Incident:
    actor = current_actor()
    return atomic(lambda: incidents.migrate(incident_id=incident_id, actor=actor))
