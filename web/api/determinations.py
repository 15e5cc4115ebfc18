"""手続判定: the dry run (what a visit would trigger) and staff adding/removing a case's procedures with a reason."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.tx import atomic
from web.auth import current_actor, roles_required
from workflows import access
from workflows.determination import procedures
from workflows.determination.models import CaseProcedure

URL_PREFIX = ""
blp = Blueprint("determinations_api", __name__, description="Related-procedure determination and case procedures")


class DeterminationQuery(ma.Schema):
    event = ma.fields.String(load_default=None)
    events = ma.fields.List(ma.fields.String(), load_default=None)
    event_date = ma.fields.Date(required=True)
    resident_id = ma.fields.Integer(load_default=None, allow_none=True)
    household = ma.fields.List(ma.fields.Dict(keys=ma.fields.String()), load_default=None, allow_none=True)
    answers = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)

    @ma.validates_schema
    def _one_event(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("event") and not data.get("events"):
            raise ma.ValidationError("event (or events for a combined visit) is required", field_name="event")


class SubjectSchema(ma.Schema):
    index = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    resident_id = ma.fields.Integer(allow_none=True)
    rule = ma.fields.String()
    reason = ma.fields.String(metadata={"description": "the rule's annotation: why, for this person"})


class ProcedureSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    section = ma.fields.String()
    forms = ma.fields.List(ma.fields.String())
    due_date = ma.fields.String(allow_none=True)
    bring = ma.fields.String()
    rule = ma.fields.String()
    rule_text = ma.fields.String(metadata={"description": "the rule's annotation (readable reason)"})
    subjects = ma.fields.List(ma.fields.Nested(SubjectSchema))


class DeterminationSchema(ma.Schema):
    procedures = ma.fields.List(ma.fields.Nested(ProcedureSchema))


class ProcedureAdd(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))
    subjects = ma.fields.List(ma.fields.Integer(), load_default=None, validate=ma.validate.Length(max=50),
                              metadata={"description": "the people it is for (resident ids; default the resident)"})
    name = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    section = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))


class ProcedureRemove(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))


class CaseProcedureSchema(ma.Schema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    section = ma.fields.String(attribute="section_code")
    forms = ma.fields.List(ma.fields.String())
    due_date = ma.fields.Date(allow_none=True)
    rule = ma.fields.String()
    state = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    task_id = ma.fields.Integer(allow_none=True)
    created_by = ma.fields.String()


@blp.route("/determinations", methods=["POST"])
@roles_required("counter", "section", "manager", "designer")
@blp.arguments(DeterminationQuery)
@blp.response(200, DeterminationSchema)
def determine(body: dict[str, Any]) -> dict[str, Any]:
    actor = current_actor()
    if body["resident_id"] is not None:  # a real resident's household: only the roles that read the resident DB
        access.check_residents(actor=actor)
    events = body["events"] or [body["event"]]
    found = atomic(lambda: procedures.dry_run(events=events, event_date=body["event_date"], actor=actor,
                                              resident_id=body["resident_id"], household=body["household"],
                                              answers=body["answers"]))
    return {"procedures": found}


@blp.route("/cases/<int:case_id>/procedures", methods=["POST"])
@roles_required("counter", "section", "manager")
@blp.arguments(ProcedureAdd)
@blp.response(201, CaseProcedureSchema)
def add_procedure(body: dict[str, Any], case_id: int) -> CaseProcedure:
    actor = current_actor()
    return atomic(lambda: procedures.add(case_id=case_id, actor=actor, **body))


@blp.route("/cases/<int:case_id>/procedures/<int:procedure_id>/remove", methods=["POST"])
@roles_required("counter", "section", "manager")
@blp.arguments(ProcedureRemove)
@blp.response(200, CaseProcedureSchema)
def remove_procedure(body: dict[str, Any], case_id: int, procedure_id: int) -> CaseProcedure:
    actor = current_actor()
    return atomic(lambda: procedures.remove(case_id=case_id, procedure_id=procedure_id, actor=actor, **body))
