"""Case batches: migrate, cancel or retry the cases of a filter as one logged operation, dry run first."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.tx import atomic
from web.auth import current_actor, roles_required
from web.i18n import translate
from workflows import batches

URL_PREFIX = "/case-batches"
blp = Blueprint("batches_api", __name__, description="Case batches: many cases, one logged operation")


class BatchFilter(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    process_key = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    version = ma.fields.Integer(load_default=None, strict=True)
    state = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["running", "completed", "cancelled"]))
    section = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))


class BatchRequest(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    action = ma.fields.String(required=True, validate=ma.validate.OneOf(batches.ACTIONS))
    filter = ma.fields.Nested(BatchFilter, load_default=dict)
    to_version = ma.fields.Integer(load_default=None, strict=True)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    dry_run = ma.fields.Boolean(load_default=True)


class BatchItemSchema(ma.Schema):
    case_id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"description": "would, done, refused, skipped"})
    detail = ma.fields.String()


class BatchResult(ma.Schema):
    action = ma.fields.String()
    dry_run = ma.fields.Boolean()
    items = ma.fields.List(ma.fields.Nested(BatchItemSchema))


@blp.route("", methods=["POST"])
@roles_required("manager")
@blp.arguments(BatchRequest)
@blp.response(200, BatchResult)
def run_batch(body: dict[str, Any]) -> dict[str, Any]:
    actor = current_actor()
    items = atomic(lambda: batches.run(actor=actor, action=body["action"], filt=body["filter"],
                                       reason=body["reason"], dry_run=body["dry_run"], to_version=body["to_version"]))
    # Each case's detail is a catalogue message (workflows.batches), given in the reader's language.
    return {"action": body["action"], "dry_run": body["dry_run"],
            "items": [{**asdict(i), "detail": translate(i.detail)} for i in items]}
