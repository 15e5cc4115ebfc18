"""Case batches: migrate, cancel or retry the cases of a filter as one logged batch, with a dry run first."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.tx import atomic
from web.auth import current_actor, roles_required
from workflows import batches

URL_PREFIX = "/case-batches"
blp = Blueprint("batches_api", __name__, description="Case batches: one logged operation over many cases")


class BatchFilter(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    process_key = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    version = ma.fields.Integer(load_default=None, allow_none=True)
    state = ma.fields.String(load_default=None, allow_none=True,
                             validate=ma.validate.OneOf(["running", "completed", "cancelled"]))
    section = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=32))


class BatchRequest(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    action = ma.fields.String(required=True, validate=ma.validate.OneOf(list(batches.ACTIONS)))
    filter = ma.fields.Nested(BatchFilter, load_default=dict)
    to_version = ma.fields.Integer(load_default=None, allow_none=True)
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))
    dry_run = ma.fields.Boolean(load_default=True)


class CaseOutcomeSchema(ma.Schema):
    case_id = ma.fields.Integer()
    title = ma.fields.String()
    from_version = ma.fields.Integer(allow_none=True)
    outcome = ma.fields.String(metadata={"description": "migrated, cancelled, retried; would_… (dry run); "
                                                        "refused (reason), skipped"})
    reason = ma.fields.String()


class BatchResultSchema(ma.Schema):
    batch_id = ma.fields.String()
    action = ma.fields.String()
    dry_run = ma.fields.Boolean()
    to_version = ma.fields.Integer(allow_none=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    cases = ma.fields.List(ma.fields.Nested(CaseOutcomeSchema))


@blp.route("", methods=["POST"])
@roles_required("manager")
@blp.arguments(BatchRequest)
@blp.response(200, BatchResultSchema)
def run(body: dict[str, Any]) -> batches.BatchResult:
    actor = current_actor()
    return atomic(lambda: batches.run_batch(action=body["action"], flt=body["filter"], actor=actor,
                                            reason=body["reason"], to_version=body["to_version"],
                                            dry_run=body["dry_run"]))
