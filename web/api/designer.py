"""The designer's API: check or deploy an edited model, fetch a version's XML, diff versions, cases per version,
migrate a running case (admin), test a decision table on sample data."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask_smorest import Blueprint

from core.errors import Conflict, Invalid
from core.i18n import N_
from core.tx import atomic
from forms import deployed, printupload
from web.api.process_models import ModelVersionSchema
from web.auth import current_actor, roles_required
from web.model_rules import check_files, deploy_files
from workflows import designer, registry

URL_PREFIX = "/designer"
blp = Blueprint("designer_api", __name__, description="Process designer's workbench")


class ModelXml(ma.Schema):
    file_name = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=255),
                                                          ma.validate.Regexp(r"^[^/\\]+\.(bpmn|dmn)$",
                                                                             error="a .bpmn or .dmn file name")])
    xml = ma.fields.String(required=True, validate=ma.validate.Length(min=1))


class ProblemSchema(ma.Schema):
    file = ma.fields.String()
    message = ma.fields.String()
    element = ma.fields.String(allow_none=True)
    line = ma.fields.Integer(allow_none=True)
    rule_id = ma.fields.String(allow_none=True, metadata={"description": "a decision table cell's rule"})
    column_id = ma.fields.String(allow_none=True, metadata={"description": "a decision table cell's column"})


class CheckResult(ma.Schema):
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema))


class DiffQuery(ma.Schema):
    old = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    new = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))


class ElementChangeSchema(ma.Schema):
    element = ma.fields.String()
    kind = ma.fields.String()
    tag = ma.fields.String()
    name = ma.fields.String(allow_none=True)


class CellChangeSchema(ma.Schema):
    kind = ma.fields.String()
    rule = ma.fields.String()
    rule_id = ma.fields.String(allow_none=True)
    column = ma.fields.String()
    before = ma.fields.String(allow_none=True)
    after = ma.fields.String(allow_none=True)


class DiffSchema(ma.Schema):
    key = ma.fields.String()
    elements = ma.fields.List(ma.fields.Nested(ElementChangeSchema))
    cells = ma.fields.List(ma.fields.Nested(CellChangeSchema), metadata={"description": "a decision table's cells"})
    lines = ma.fields.List(ma.fields.String())


class MigrationSchema(ma.Schema):
    case_id = ma.fields.Integer()
    migrated = ma.fields.Boolean()
    reason = ma.fields.String()
    from_version = ma.fields.Integer(allow_none=True)
    to_version = ma.fields.Integer(allow_none=True)
    changed_tasks = ma.fields.List(ma.fields.String())


class DecisionRun(ma.Schema):
    xml = ma.fields.String(required=True, validate=ma.validate.Length(min=1))
    data = ma.fields.Raw(required=True, metadata={"description": "the sample: a JSON object (checked by the service)"})


def _upload(body: dict[str, Any]) -> list[tuple[str, bytes]]:
    return [(body["file_name"], body["xml"].encode("utf-8"))]


@blp.route("/check", methods=["POST"])
@roles_required("designer")
@blp.arguments(ModelXml)
@blp.response(200, CheckResult)
def check(body: dict[str, Any]) -> dict[str, Any]:
    return {"problems": [p.as_dict() for p in check_files(_upload(body))]}


class DeployedVersionSchema(ModelVersionSchema):
    new = ma.fields.Boolean(metadata={"description": "false: the file said what the latest version says (no new "
                                                     "version was made)"})


class DeployResult(ma.Schema):
    versions = ma.fields.List(ma.fields.Nested(DeployedVersionSchema))


@blp.route("/deploy", methods=["POST"])
@roles_required("designer")
@blp.arguments(ModelXml)
@blp.response(201, DeployResult)
def deploy(body: dict[str, Any]) -> dict[str, Any]:
    actor = current_actor()

    def run() -> dict[str, Any]:
        before = {v.key: v.id for v in registry.latest_versions()}
        versions = deploy_files(files=_upload(body), actor=actor)
        fields = ModelVersionSchema().fields
        return {"versions": [{**{name: getattr(v, name) for name in fields}, "new": before.get(v.key) != v.id}
                             for v in versions]}

    return atomic(run)


@blp.route("/models/<key>/versions/<int:version>/xml")
@roles_required("designer", "manager")
def version_xml(key: str, version: int) -> Response:
    row = designer.get_version(key=key, version=version)
    return Response(row.xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'inline; filename="{row.file_name}"'})


@blp.route("/models/<key>/diff")
@roles_required("designer", "manager")
@blp.arguments(DiffQuery, location="query")
@blp.response(200, DiffSchema)
def diff(query: dict[str, int], key: str) -> Any:
    return designer.diff_versions(key=key, old=query["old"], new=query["new"])


@blp.route("/models/<key>/cases")
@roles_required("designer", "manager")
def cases_by_version(key: str) -> dict[str, Any]:
    usage = designer.cases_by_version(key=key)
    return {"key": key, "versions": {str(v): dict(counts) for v, counts in usage.items()}}


@blp.route("/cases/<int:case_id>/migrate", methods=["POST"])
@roles_required("admin")
@blp.response(200, MigrationSchema)
def migrate(case_id: int) -> Any:
    actor = current_actor()
    result = atomic(lambda: designer.migrate_case(case_id=case_id, actor=actor))
    if not result.migrated:
        raise Conflict(N_("案件 {case} を第{version}版へ移行できません: {reason}",
                          case=case_id, version=result.to_version,
                          reason=result.reason),
                       details={"reason": result.reason, "from_version": result.from_version,
                                "to_version": result.to_version})
    return result


@blp.route("/decisions/evaluate", methods=["POST"])
@roles_required("designer")
@blp.arguments(DecisionRun)
def evaluate(body: dict[str, Any]) -> dict[str, Any]:
    actor = current_actor()
    return {"result": atomic(lambda: designer.evaluate_decision(xml=body["xml"], data=body["data"], actor=actor))}


# -- forms (form-js schema; a printed form's field map and layout) ------------------------------------------
class FormBody(ma.Schema):
    key = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=200))
    schema = ma.fields.Dict(required=True, metadata={"description": "the form-js schema"})
    print_map = ma.fields.String(load_default="", validate=ma.validate.Length(max=printupload.MAX_MAP_BYTES),
                                 metadata={"description": "YAML field map: makes it a printed form"})
    template = ma.fields.String(load_default="", validate=ma.validate.Length(max=printupload.MAX_TEMPLATE_BYTES),
                                metadata={"description": "the layout: the body of the sheet (Jinja, sandboxed)"})


class DeployedFormSchema(ma.Schema):
    key = ma.fields.String()
    version = ma.fields.Integer()
    title = ma.fields.String()
    new = ma.fields.Boolean()
    printed = ma.fields.Boolean()
    deployed_by = ma.fields.String()
    deployed_at = ma.fields.DateTime()


def _problems(err: Invalid) -> list[dict[str, Any]]:
    return err.details.get("problems") or [{"message": err.message}]


@blp.route("/forms/check", methods=["POST"])
@roles_required("designer")
@blp.arguments(FormBody)
@blp.response(200, CheckResult)
def check_form(body: dict[str, Any]) -> dict[str, Any]:
    try:
        deployed.check(**body)
    except Invalid as err:
        return {"problems": _problems(err)}
    return {"problems": []}


@blp.route("/forms/deploy", methods=["POST"])
@roles_required("designer")
@blp.arguments(FormBody)
@blp.response(201, DeployedFormSchema)
def deploy_form(body: dict[str, Any]) -> dict[str, Any]:
    actor = current_actor()

    def run() -> dict[str, Any]:
        done = deployed.deploy(actor=actor, **body)
        row = done.form
        return {"key": row.key, "version": row.version, "title": row.title, "new": done.new,
                "printed": row.print_json is not None, "deployed_by": row.deployed_by, "deployed_at": row.deployed_at}

    return atomic(run)


@blp.route("/forms/<key>")
@roles_required("designer", "manager")
def form_source(key: str) -> dict[str, Any]:
    """What the form editor opens: the newest deployed version, else the library's form, else an empty one."""
    return deployed.editable(key)
