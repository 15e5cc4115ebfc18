"""RPA exports: export every accepted application not yet exported, then fetch the CP932 CSV files."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask_smorest import Blueprint

from core.tx import atomic
from integrations.rpa import export as rpa
from integrations.rpa.models import RpaExport
from web.auth import current_actor, roles_required

URL_PREFIX = "/rpa-exports"
blp = Blueprint("rpa_api", __name__, description="CSV for the RPA robot (CP932, CRLF, one file per procedure)")


class ExportRequest(ma.Schema):
    since = ma.fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)


class ExportFileSchema(ma.Schema):
    procedure = ma.fields.String()
    filename = ma.fields.String()
    rows = ma.fields.Integer()
    sha256 = ma.fields.String()


class ExportSchema(ma.Schema):
    id = ma.fields.Integer()
    trigger = ma.fields.String()
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()
    rows = ma.fields.Integer()
    manual_rows = ma.fields.Integer()
    delivered_at = ma.fields.DateTime(allow_none=True)
    files = ma.fields.List(ma.fields.Nested(ExportFileSchema))


class FileQuery(ma.Schema):
    procedure = ma.fields.String(load_default=None)


@blp.route("", methods=["POST"])
@roles_required("manager")
@blp.arguments(ExportRequest)
@blp.response(201, ExportSchema)
def create(body: dict[str, Any]) -> RpaExport:
    actor = current_actor()
    return atomic(lambda: rpa.create_export(actor=actor, trigger="api", since=body["since"]))


@blp.route("/<int:export_id>")
@roles_required("manager")
@blp.response(200, ExportSchema)
def get(export_id: int) -> RpaExport:
    return rpa.get_export(export_id=export_id)


@blp.route("/<int:export_id>/file")
@roles_required("manager")
@blp.arguments(FileQuery, location="query")
@blp.response(200, description="The CSV (or a ZIP of all CSVs)", content_type="text/csv")
def file(query: dict[str, Any], export_id: int) -> Response:
    actor = current_actor()
    name, content, media = atomic(lambda: rpa.export_file(export_id=export_id, actor=actor, **query))
    return Response(content, mimetype=media.split(";")[0], content_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
