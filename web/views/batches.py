"""The manager's batch page: pick cases by model, version, state or section; dry run; then run the batch."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask.typing import ResponseReturnValue

from core.errors import Invalid
from core.tx import atomic
from web.auth import current_actor, roles_required
from web.pageinput import PageSchema, parse, text, whole_number
from workflows import batches, registry

bp = Blueprint("batches", __name__, url_prefix="/manager/batches")

OUTCOMES = {"migrated": "移行しました", "cancelled": "取り消しました", "retried": "再実行しました",
            "would_migrate": "移行できます", "would_cancel": "取り消します", "would_retry": "再実行します",
            "refused": "できません", "skipped": "対象外"}


class BatchForm(PageSchema):
    action = text(max_length=16, required=True)
    process_key = text(max_length=200)
    version = whole_number(maximum=10_000)
    state = text(max_length=16)
    section = text(max_length=32)
    to_version = whole_number(maximum=10_000)
    reason = text(max_length=500)
    run = text(max_length=8)  # "dry" (the default) or "run"


@bp.route("/", methods=["GET", "POST"])
@roles_required("manager")
def index() -> ResponseReturnValue:
    processes = [v for v in registry.latest_versions() if v.kind == "bpmn"]
    if request.method == "GET":
        return render_template("manager/batches.html", processes=processes, form={}, result=None,
                               outcomes=OUTCOMES)
    actor, form = current_actor(), parse(BatchForm, request.form)
    flt = {k: form[k] for k in ("process_key", "version", "state", "section") if form[k]}
    try:
        result = atomic(lambda: batches.run_batch(action=form["action"], flt=flt, actor=actor, reason=form["reason"],
                                                  to_version=form["to_version"] or None, dry_run=form["run"] != "run"))
    except Invalid as err:  # the form stays as typed, with the reason
        flash(err.message, "error")
        result = None
    return render_template("manager/batches.html", processes=processes, form=form, result=result, outcomes=OUTCOMES)
