"""The common resident DB's pages for staff: search, one resident with the household, and the reveal of a
protected address (purpose and reason, logged)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from core.tx import atomic
from residents import protection, search
from web.auth import current_actor, roles_required
from web.pageinput import PageSchema, optional_date, parse, search_form, text, whole_number
from workflows import access
from workflows.visit import protection as case_protection

bp = Blueprint("residents", __name__)


class SearchQuery(PageSchema):
    q = text(max_length=200)
    birth_date = optional_date("生年月日")
    address = text(max_length=300)


class RevealForm(PageSchema):
    purpose = text(max_length=32)
    reason = text(max_length=500)
    case_id = whole_number(maximum=2**31 - 1)


@bp.route("/residents")
@roles_required("counter", "section", "manager")
def search_page() -> ResponseReturnValue:
    actor = current_actor()
    args, hits, error = search_form(
        lambda query: atomic(lambda: search.search(actor=actor, limit=50, screen="residents.search", **query)),
        request.args, SearchQuery)
    return render_template("residents/search.html", args=args, hits=hits, error=error)


@bp.route("/residents/<int:resident_id>")
@roles_required("counter", "section", "manager")
def resident_page(resident_id: int) -> ResponseReturnValue:
    actor = current_actor()
    resident = atomic(lambda: search.get(resident_id=resident_id, actor=actor, screen="residents.detail"))
    return render_template("residents/detail.html", r=resident, members=search.members(resident),
                           hidden_facts=access.hidden_facts(actor=actor))


@bp.route("/residents/<int:resident_id>/reveal", methods=["POST"])
@roles_required("counter", "section", "manager")
def reveal(resident_id: int) -> ResponseReturnValue:
    actor, form = current_actor(), parse(RevealForm, request.form)
    case_id = form.pop("case_id") or None
    shown = atomic(lambda: case_protection.reveal(actor=actor, resident_id=resident_id, case_id=case_id, **form))
    return render_template("protection/revealed.html", shown=shown, purpose=protection.PURPOSES[form["purpose"]][0],
                           reason=form["reason"])
