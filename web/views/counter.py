"""総合窓口 (counter) pages: identify the resident, see the household, choose life events, start, summary, guide.

The interview is the journey's reception task (``cases.task``), pre-filled from the resident DB; procedure review,
forms and signature plug in through :mod:`web.views.counter_plugins` as the features that provide them land.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import users
from core.db import utcnow
from core.errors import Invalid
from core.tx import atomic
from web.auth import current_actor, roles_required
from web.filters import JST
from web.views import counter_plugins
from workflows import intake, registry, runtime
from workflows.dashboard import may_see_case

bp = Blueprint("counter", __name__, url_prefix="/counter")
# Which deployed journey handles which life event (the journey's process key is the event code).
EVENT_PROCESS = {code: code for code in intake.EVENTS}


def _today() -> date:
    return utcnow().astimezone(JST).date()


def _parse_date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise Invalid("生年月日は YYYY-MM-DD の形で入力してください", details={"birth_date": text}) from err


@bp.route("/", methods=["GET"])
@roles_required("counter")
def search() -> ResponseReturnValue:
    args = {k: (request.args.get(k) or "").strip() for k in ("q", "birth_date", "address")}
    results, error = None, None
    if any(args.values()):
        try:
            results = intake.find_residents(actor=current_actor(), q=args["q"], address=args["address"],
                                            birth_date=_parse_date(args["birth_date"]))
            atomic(lambda: None)  # commit the logged search
        except Invalid as err:
            error = err
        if results is not None and len(results) == 1 and args["q"].isdigit():
            return redirect(url_for("counter.household", resident_id=results[0].id))  # a scan found one person
    return render_template("counter/search.html", args=args, results=results, error=error,
                           shown_address=intake.shown_address)


@bp.route("/residents/<int:resident_id>", methods=["GET", "POST"])
@roles_required("counter")
def household(resident_id: int) -> ResponseReturnValue:
    actor = current_actor()
    deployed = {v.key: v for v in registry.latest_versions() if v.kind == "bpmn"}
    events = {code: label for code, label in intake.EVENTS.items() if EVENT_PROCESS[code] in deployed}
    if request.method == "POST":
        chosen = request.form.getlist("events")
        process_key = EVENT_PROCESS.get(chosen[0], "") if chosen else ""
        case = atomic(lambda: intake.start_for_resident(process_key=process_key, resident_id=resident_id,
                                                        events=chosen, actor=actor, today=_today()))
        first = next((t for t in case.tasks if t.state == "ready" and t.section_code in actor.sections), None)
        return redirect(url_for("cases.task", task_id=first.id) if first else url_for("counter.summary",
                                                                                       case_id=case.id))
    view = atomic(lambda: intake.get_household(resident_id=resident_id, actor=actor))
    return render_template("counter/household.html", view=view, events=events, today=_today(),
                           is_child=intake.is_child, shown_address=intake.shown_address)


@bp.route("/cases/<int:case_id>")
@roles_required("counter")
def summary(case_id: int) -> ResponseReturnValue:
    case = runtime.get_case(case_id)
    sections = {s.code: s.name for s in users.list_sections()}
    return render_template("counter/summary.html", case=case, data=runtime.case_data(case), sections=sections,
                           plugins=counter_plugins.for_case(case))


@bp.route("/cases/<int:case_id>/guide")
@roles_required("counter", "manager")
def guide(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    case = runtime.get_case(case_id)
    if not may_see_case(actor=actor, case=case):
        return redirect(url_for("pages.home"))
    sections = {s.code: s for s in users.list_sections()}
    return render_template("counter/guide.html", case=case, data=runtime.case_data(case), sections=sections,
                           procedures=counter_plugins.procedures(case))
