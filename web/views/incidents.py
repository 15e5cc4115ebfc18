"""Incident pages: the open incidents (oldest first) and the manager's actions on one, from the list or the case."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core.errors import Conflict, Invalid
from core.tx import atomic
from web.auth import current_actor, roles_required
from web.pageinput import PageSchema, parse, text
from workflows import incidents

bp = Blueprint("incidents", __name__, url_prefix="/manager/incidents")

ACTIONS = {"retry": "再実行しました", "skip": "スキップしました", "cancel": "案件を取り消しました",
           "migrate": "新しい版へ移行して再実行しました"}


class ActionForm(PageSchema):
    action = text(max_length=16, required=True)
    reason = text(max_length=500)
    back = text(max_length=16)
    case_id = text(max_length=12)


@bp.route("/")
@roles_required("manager")
def index() -> ResponseReturnValue:
    return render_template("manager/incidents.html", incidents=incidents.list_incidents(actor=current_actor()))


@bp.route("/<int:incident_id>", methods=["POST"])
@roles_required("manager")
def act(incident_id: int) -> ResponseReturnValue:
    """One action on an incident; a refusal (it still fails, not skippable, no reason) is shown, nothing changes."""
    actor, form = current_actor(), parse(ActionForm, request.form)
    action = form["action"]
    if action not in ACTIONS:
        raise Invalid(f"操作「{action}」はありません（retry, skip, cancel, migrate のいずれか）",
                      details={"action": action})
    calls = {"retry": lambda: incidents.retry(incident_id=incident_id, actor=actor),
             "skip": lambda: incidents.skip(incident_id=incident_id, reason=form["reason"], actor=actor),
             "cancel": lambda: incidents.cancel(incident_id=incident_id, reason=form["reason"], actor=actor),
             "migrate": lambda: incidents.migrate(incident_id=incident_id, actor=actor)}
    try:
        incident = atomic(calls[action])
    except (Conflict, Invalid) as err:
        flash(f"インシデント {incident_id}: {err.message}", "error")
        incident = None
    else:
        flash(f"インシデント {incident_id}: {ACTIONS[action]}", "info")
    case_id = incident.case_id if incident else (int(form["case_id"]) if form["case_id"].isdigit() else None)
    if form["back"] == "case" and case_id:
        return redirect(url_for("cases.case", case_id=case_id))
    return redirect(url_for("incidents.index"))
