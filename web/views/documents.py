"""A case's documents for the staff who may see them (workflows.access): the list, reprint; generate again (counter
and sections)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from core.errors import DomainError
from core.tx import atomic
from residents import protection
from web.auth import current_actor, roles_required
from web.links import status_url
from workflows import access
from workflows.visit import documents, signatures
from workflows.visit import protection as case_protection

bp = Blueprint("documents", __name__)


@bp.route("/cases/<int:case_id>/documents")
@roles_required("counter", "section", "manager")
def case_documents(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    case = access.case(actor=actor, case_id=case_id)
    st = protection.case_status(case)
    release_for = case.resident_id if st and st.household and actor.has_role("counter") else None
    return render_template("documents.html", case_id=case_id, docs=documents.list_for_case(case_id=case_id,
                                                                                            actor=actor),
                           signature=signatures.get(case_id), release_for=release_for,
                           released=bool(st and st.household) and case_protection.released_for_print(case))


@bp.route("/cases/<int:case_id>/documents", methods=["POST"])
@roles_required("counter", "section")
def generate(case_id: int) -> ResponseReturnValue:
    """Make (or bring up to date) the case's documents: the counter and the sections do, managers read."""
    actor = current_actor()
    try:
        made = atomic(lambda: documents.generate_visit(case_id=case_id, actor=actor, status_url=status_url(case_id)))
        flash(f"{len(made)} 件の書類を作成しました（変更のない書類はそのままです）。", "info")
    except DomainError as err:
        flash(f"{err.message} {err.details.get('fields', '')}", "error")
    return redirect(url_for("documents.case_documents", case_id=case_id))
