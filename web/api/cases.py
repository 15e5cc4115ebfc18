"""Cases: start one for a resident, list them, read one with its tasks and data, cancel."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.calendar import JST
from core.db import utcnow
from core.tx import atomic
from residents import protection
from web.api.marks import ProtectionMarked
from web.api.tasks import TaskSchema
from web.auth import current_actor, roles_required
from workflows import access, runtime
from workflows.models import Case
from workflows.visit import intake

URL_PREFIX = "/cases"
blp = Blueprint("cases_api", __name__, description="Cases: one visit's routed journey")


class NotifierStart(ma.Schema):
    """The 届出人: a member of the household (``resident_id``, optional ``phone``) or someone entered."""

    class Meta:
        unknown = ma.RAISE

    resident_id = ma.fields.Integer(load_default=None, allow_none=True)
    name = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    kana = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    address = ma.fields.String(load_default=None, validate=ma.validate.Length(max=300))
    relation = ma.fields.String(load_default=None, validate=ma.validate.Length(max=20),
                                metadata={"description": "対象者との関係 (an entered notifier): 父, 母, 代理人 …"})
    phone = ma.fields.String(load_default=None, validate=ma.validate.Length(max=20))


class CaseStart(ma.Schema):
    """A visit (``events`` — or a journey_<event> process — with the ticked ``members``, the ``notifier`` and
    maybe the ``event_date``), or a plain process with ``data`` validated by its start form. Unknown keys are
    refused (422): no client sets the journey's control data."""

    class Meta:
        unknown = ma.RAISE

    process_key = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    resident_id = ma.fields.Integer(load_default=None, allow_none=True, strict=True)
    members = ma.fields.List(ma.fields.Integer(strict=True), load_default=None, validate=ma.validate.Length(max=50),
                             metadata={"description": "the ticked members (resident ids) the visit is about"})
    events = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=32)), load_default=None,
                            validate=ma.validate.Length(max=9))
    notifier = ma.fields.Nested(NotifierStart, load_default=None, allow_none=True)
    event_date = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40),
                                  metadata={"description": "as staff type it: 2026-04-01, 令和8年4月1日, R8.4.1"})
    data = ma.fields.Dict(keys=ma.fields.String(), load_default=dict,
                          metadata={"description": "a plain process's start data, validated by its start form"})
    ticket_no = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=20),
                                 metadata={"description": "the number on the resident's ticket (受付番号)"})
    title = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))


class CaseQuery(ma.Schema):
    state = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["running", "completed", "cancelled"]))
    section = ma.fields.String(load_default=None)
    process_key = ma.fields.String(load_default=None)


class CaseCancel(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class CaseSummarySchema(ProtectionMarked):
    case_key = "id"

    id = ma.fields.Integer()
    process_key = ma.fields.String()
    title = ma.fields.String()
    state = ma.fields.String()
    resident_id = ma.fields.Integer(allow_none=True)
    version = ma.fields.Integer()
    model_version = ma.fields.Function(lambda c: c.snapshot.model_version.version)
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    completed_at = ma.fields.DateTime(allow_none=True)


class CaseSchema(CaseSummarySchema):
    tasks = ma.fields.List(ma.fields.Nested(TaskSchema))


class CaseDetailSchema(CaseSchema):
    data = ma.fields.Dict(metadata={"description": "the case's data, without the fields the caller may not see"})
    withheld = ma.fields.List(ma.fields.String(), metadata={
        "description": "need-to-know fields of the case left out for this caller (docs/security.md)"})


class _Shown:
    """A case read like itself, plus its data as the caller may see it (what CaseDetailSchema dumps)."""

    def __init__(self, case: Case, actor: Any) -> None:
        self._case = case
        self.data, self.withheld = access.case_data(actor=actor, case=case)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)


@blp.route("", methods=["POST"])
@roles_required("counter")
@blp.arguments(CaseStart)
@blp.response(201, CaseDetailSchema)
def start_case(body: dict[str, Any]) -> _Shown:
    actor = current_actor()
    return _Shown(atomic(lambda: intake.start(actor=actor, today=utcnow().astimezone(JST).date(), **body)), actor)


@blp.route("")
@roles_required("counter", "section", "manager")
@blp.arguments(CaseQuery, location="query")
@blp.response(200, CaseSummarySchema(many=True))
def list_cases(query: dict[str, Any]) -> list[Case]:
    return access.cases(actor=current_actor(), **query)


@blp.route("/<int:case_id>")
@roles_required("counter", "section", "manager")
@blp.response(200, CaseDetailSchema)
def get_case(case_id: int) -> _Shown:
    actor = current_actor()
    case = access.case(actor=actor, case_id=case_id)
    atomic(lambda: protection.view_case(actor=actor, case=case, screen="api.case"))
    return _Shown(case, actor)


@blp.route("/<int:case_id>/cancel", methods=["POST"])
@roles_required("counter", "manager")
@blp.arguments(CaseCancel)
@blp.response(200, CaseSchema)
def cancel_case(body: dict[str, Any], case_id: int) -> Case:
    actor = current_actor()
    return atomic(lambda: runtime.cancel_case(case_id=case_id, actor=actor, reason=body["reason"]))
