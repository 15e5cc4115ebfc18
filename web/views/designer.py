"""The process designer's pages: the library, one model (versions, cases per version, diff, migration), the
BPMN and DMN editors. Editing talks to ``/api/v1/designer`` from the page's own script."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core.tx import atomic
from forms import deployed
from web.auth import current_actor, roles_required
from web.model_rules import deploy_files, form_list, palette
from web.pageinput import BackTo, PageSchema, local_path, parse, text, whole_number
from workflows import access, designer, registry

bp = Blueprint("designer", __name__, url_prefix="/designer")


class VersionsQuery(PageSchema):
    old = whole_number(maximum=2**31 - 1)
    new = whole_number(maximum=2**31 - 1)
    version = whole_number(maximum=2**31 - 1)



class NewModel(PageSchema):
    key = text(max_length=64)
    title = text(max_length=200)


@bp.route("/")
@roles_required("designer", "manager")
def index() -> ResponseReturnValue:
    versions = registry.latest_versions()
    return render_template("designer/index.html", processes=[v for v in versions if v.kind == "bpmn"],
                           decisions=[v for v in versions if v.kind == "dmn"], forms=form_list())


@bp.route("/upload", methods=["POST"])
@roles_required("designer")
def upload() -> ResponseReturnValue:
    files = [(f.filename or "upload.bpmn", f.read()) for f in request.files.getlist("files") if f.filename]
    actor = current_actor()
    deployed = atomic(lambda: deploy_files(files=files, actor=actor))
    flash("デプロイしました: " + "、".join(f"{v.key} v{v.version}" for v in deployed), "info")
    return redirect(url_for("designer.index"))


@bp.route("/models/<key>")
@roles_required("designer", "manager")
def model(key: str) -> ResponseReturnValue:
    versions = registry.list_versions(key)
    query = parse(VersionsQuery, request.args)
    old, new = query["old"], query["new"]
    diff = designer.diff_versions(key=key, old=old, new=new) if old and new else None
    return render_template("designer/model.html", key=key, versions=versions, latest=versions[-1], diff=diff,
                           usage=designer.cases_by_version(key=key),
                           running=designer.running_cases(key=key) if versions[-1].kind == "bpmn" else [],
                           reads_cases=access.reads_every_case(current_actor()))


@bp.route("/models/<key>/edit")
@roles_required("designer")
def edit(key: str) -> ResponseReturnValue:
    versions = registry.list_versions(key)
    chosen = parse(VersionsQuery, request.args)["version"] or versions[-1].version
    version = designer.get_version(key=key, version=chosen)
    template = "designer/bpmn_editor.html" if version.kind == "bpmn" else "designer/dmn_editor.html"
    sample = {name: None for name in designer.decision_inputs(version.xml)[0]} if version.kind == "dmn" else {}
    return render_template(template, version=version, palette=palette(), sample=sample, new_xml=None)


@bp.route("/decisions/new")
@roles_required("designer")
def new_decision() -> ResponseReturnValue:
    """A new procedure table (判定表) from the standard columns, edited in the DMN editor before it is deployed."""
    query = parse(NewModel, request.args)
    key, name = designer.new_decision_key(query["key"]), query["title"] or "新しい手続"
    draft = designer.Draft(key=key, name=name, kind="dmn", file_name=f"{key}.dmn")
    return render_template("designer/dmn_editor.html", version=draft, palette=palette(),
                           sample=designer.PROCEDURE_SAMPLE, new_xml=designer.procedure_table(key=key, name=name))


@bp.route("/forms/new")
@roles_required("designer")
def new_form() -> ResponseReturnValue:
    query = parse(NewModel, request.args)
    return redirect(url_for("designer.edit_form", key=query["key"] or "_", title=query["title"] or None))


@bp.route("/forms/<key>/edit")
@roles_required("designer")
def edit_form(key: str) -> ResponseReturnValue:
    """The form editor (form-js) on the newest version of form ``key`` (or the library's, or a new one)."""
    source = deployed.editable(key)
    title = parse(NewModel, request.args)["title"]
    if source["origin"] == "new" and title:
        source["title"] = title
    return render_template("designer/form_editor.html", source=source)


@bp.route("/cases/<int:case_id>/migrate", methods=["POST"])
@roles_required("admin")
def migrate(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    result = atomic(lambda: designer.migrate_case(case_id=case_id, actor=actor))
    if result.migrated:
        flash(f"案件 {case_id} を v{result.from_version} から v{result.to_version} へ移行しました。", "info")
    else:
        flash(f"案件 {case_id} は移行できません: {result.reason}", "error")
    return redirect(local_path(parse(BackTo, request.form)["next"]) or url_for("designer.index"))
