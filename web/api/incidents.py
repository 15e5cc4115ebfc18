"""Incidents: cases stopped by a failed script, service task or decision; retry or skip the failed step."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.tx import atomic
from web.auth import current_actor, roles_required
from web.i18n import translate
from workflows import access, caseops, incidents
from workflows.models import Incident

URL_PREFIX = "/incidents"
blp = Blueprint("incidents_api", __name__, description="Incidents: no case is stuck in silence")


class IncidentSchema(ma.Schema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    case_title = ma.fields.Function(lambda i: i.case.title)
    element_id = ma.fields.String()
    element_name = ma.fields.String()
    kind = ma.fields.String()
    message = ma.fields.Function(lambda i: translate(incidents.message_of(i)),
                                 metadata={"description": "for staff, in the reader's language (Japanese by default)"})
    error = ma.fields.String(metadata={"description": "the engine's own text"})
    skippable = ma.fields.Boolean()
    state = ma.fields.String()
    since = ma.fields.DateTime(attribute="opened_at")
    attempts = ma.fields.Integer()
    resolved_at = ma.fields.DateTime(allow_none=True)
    resolved_by = ma.fields.String(allow_none=True)
    resolution = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class IncidentQuery(ma.Schema):
    state = ma.fields.String(load_default="open", validate=ma.validate.OneOf(["open", "resolved"]))


class Reason(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


@blp.route("")
@roles_required("counter", "section", "manager")
@blp.arguments(IncidentQuery, location="query")
@blp.response(200, IncidentSchema(many=True))
def list_incidents(query: dict[str, Any]) -> list[Incident]:
    return access.incidents(actor=current_actor(), state=query["state"])


@blp.route("/<int:incident_id>/retry", methods=["POST"])
@roles_required("manager")
@blp.response(200, IncidentSchema)
def retry(incident_id: int) -> Incident:
    actor = current_actor()
    return atomic(lambda: caseops.retry(incident_id=incident_id, actor=actor))


@blp.route("/<int:incident_id>/skip", methods=["POST"])
@roles_required("manager")
@blp.arguments(Reason)
@blp.response(200, IncidentSchema)
def skip(body: dict[str, Any], incident_id: int) -> Incident:
    actor = current_actor()
    return atomic(lambda: caseops.skip(incident_id=incident_id, actor=actor, reason=body["reason"]))


@blp.route("/<int:incident_id>/cancel", methods=["POST"])
@roles_required("manager")
@blp.arguments(Reason)
@blp.response(200, IncidentSchema)
def cancel(body: dict[str, Any], incident_id: int) -> Incident:
    actor = current_actor()
    return atomic(lambda: caseops.cancel(incident_id=incident_id, actor=actor, reason=body["reason"]))


@blp.route("/<int:incident_id>/migrate", methods=["POST"])
@roles_required("admin")
@blp.response(200, IncidentSchema)
def migrate(incident_id: int) -> Incident:
    """Move the stopped case to the fixed model version (the one new cases start on) and run the failed step."""
    actor = current_actor()
    return atomic(lambda: caseops.migrate(incident_id=incident_id, actor=actor))
