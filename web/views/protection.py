"""支援措置 pages: the reveal of a protected address (purpose + reason, logged) and the manager's list of every
access to protected residents. Also gives every template the helpers that mark protected residents."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from core.tx import atomic
from residents import protection
from web.auth import current_actor, roles_required

bp = Blueprint("protection", __name__)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"protection_status": protection.status, "protected_address": protection.shown_address,
            "case_protection": protection.case_status, "case_marks": protection.case_marks,
            "household_protected": protection.household_protected, "protection_purposes": protection.PURPOSES}


@bp.route("/residents/<int:resident_id>/reveal", methods=["POST"])
@roles_required("counter", "section", "manager")
def reveal(resident_id: int) -> ResponseReturnValue:
    actor = current_actor()
    purpose, reason = request.form.get("purpose", ""), request.form.get("reason", "")
    shown = atomic(lambda: protection.reveal_address(actor=actor, resident_id=resident_id, purpose=purpose,
                                                     reason=reason))
    return render_template("protection/revealed.html", shown=shown, purpose=protection.PURPOSES[purpose][0],
                           reason=reason.strip())


@bp.route("/manager/protection")
@roles_required("manager")
def log_page() -> ResponseReturnValue:
    entries = protection.list_log(limit=300)
    return render_template("protection/manager.html", entries=entries, residents=protection.list_protected())
