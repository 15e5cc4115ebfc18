"""Imports of core-system files into the resident DB: upload one, read a run with its errors."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from core.errors import Invalid
from core.i18n import N_
from core.tx import atomic
from integrations.imports import drop, importer
from integrations.imports.models import ImportRun
from web.api.base import error_body
from web.auth import current_actor, roles_required

URL_PREFIX = "/imports"
blp = Blueprint("imports_api", __name__, description="Core-system imports into the resident DB")


class ImportFile(ma.Schema):
    file = Upload(required=True)


class ImportForm(ma.Schema):
    source = ma.fields.String(load_default="kikan", validate=ma.validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"))
    mode = ma.fields.String(load_default="full", validate=ma.validate.OneOf(importer.MODES))
    confirm_deletions = ma.fields.Boolean(load_default=False, metadata={
        "description": "a full import that would delete more than 5 % of the residents is refused (409, with the "
                       "dry run's counts in details) unless this is true"})


class ImportRunSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    source = ma.fields.String()
    mode = ma.fields.String()
    filename = ma.fields.String(allow_none=True)
    file_sha256 = ma.fields.String(allow_none=True)
    file_format = ma.fields.String(allow_none=True)
    encoding = ma.fields.String(allow_none=True)
    trigger = ma.fields.String()
    status = ma.fields.String()
    started_by = ma.fields.String()
    started_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    counts = ma.fields.Function(lambda r: {"read": r.rows_read, "inserted": r.inserted, "updated": r.updated,
                                           "deleted": r.deleted, "unchanged": r.unchanged,
                                           "rejected": r.rejected})
    message = ma.fields.String(allow_none=True)


class ImportRunSchema(ImportRunSummarySchema):
    errors = ma.fields.Function(importer.errors_of)


@blp.route("", methods=["POST"])
@roles_required("admin")
@blp.arguments(ImportFile, location="files")
@blp.arguments(ImportForm, location="form")
@blp.response(201, ImportRunSchema)
def create_import(files: dict[str, Any], form: dict[str, Any]) -> Any:
    upload, actor, settings = files["file"], current_actor(), current_app.config["MADOGUCHI"]
    data = upload.read()
    run = atomic(lambda: drop.import_file(data=data, filename=upload.filename, actor=actor, settings=settings,
                                          trigger="api", **form))
    if run.status == "rejected":
        raise Invalid(N_("取込ファイルを受け付けませんでした（{rejected}行に誤り）。データは変更していません。",
                         rejected=run.rejected),
                      details={"run": ImportRunSchema().dump(run)})
    if run.status == "failed":
        return error_body(500, run.message or "import failed", {"run": ImportRunSchema().dump(run)}), 500
    return run


@blp.route("")
@roles_required("admin")
@blp.response(200, ImportRunSummarySchema(many=True))
def list_imports() -> list[ImportRun]:
    return importer.list_runs()


@blp.route("/<int:run_id>")
@roles_required("admin")
@blp.response(200, ImportRunSchema)
def get_import(run_id: int) -> ImportRun:
    return importer.get_run(run_id)
