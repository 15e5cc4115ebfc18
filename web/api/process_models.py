"""Process models (BPMN) and decision tables (DMN): list, deploy, versions."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask_smorest import Blueprint

from core.errors import Invalid
from core.i18n import N_
from core.tx import atomic
from web.auth import current_actor, roles_required
from web.model_rules import deploy_files
from workflows import registry
from workflows.models import ModelVersion

URL_PREFIX = "/process-models"
blp = Blueprint("process_models_api", __name__, description="Deployed BPMN processes and DMN decision tables")


class ModelVersionSchema(ma.Schema):
    key = ma.fields.String()
    kind = ma.fields.String()
    version = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    file_name = ma.fields.String()
    content_hash = ma.fields.String()
    deployed_by = ma.fields.String()
    deployed_at = ma.fields.DateTime()


class DeployForm(ma.Schema):
    files = ma.fields.Raw(metadata={"type": "string", "format": "binary"}, required=True)


@blp.route("")
@roles_required("counter", "section", "manager", "designer")
@blp.response(200, ModelVersionSchema(many=True))
def list_models() -> list[ModelVersion]:
    return registry.latest_versions()


@blp.route("", methods=["POST"])
@roles_required("designer")
@blp.arguments(DeployForm, location="files")
@blp.response(201, ModelVersionSchema(many=True))
def deploy_models(_form: dict[str, Any]) -> list[ModelVersion]:
    uploads = request.files.getlist("files")
    if not uploads:
        raise Invalid(N_("ファイルが送られていません（.bpmn か .dmn のファイルを添付してください）"),
                      details={"files": "attach .bpmn/.dmn files as 'files'"})
    files = [(u.filename or "upload.bpmn", u.read()) for u in uploads]
    actor = current_actor()
    return atomic(lambda: deploy_files(files=files, actor=actor))


@blp.route("/<key>/versions")
@roles_required("counter", "section", "manager", "designer")
@blp.response(200, ModelVersionSchema(many=True))
def list_model_versions(key: str) -> list[ModelVersion]:
    return registry.list_versions(key)
