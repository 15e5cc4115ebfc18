"""Manager pages: cases in flight and where they wait, per-section queues and times, overdue tasks, a case's
diagram with its progress, the statistics as CSV, every access to 支援措置 residents, and the RPA export."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from core import audit, users
from core.calendar import JST, day_bounds
from core.db import utcnow
from core.errors import Invalid
from core.i18n import N_
from core.tx import atomic
from integrations.rpa import export as rpa
from residents import protection
from web.auth import current_actor, roles_required
from web.i18n import translate
from web.pageinput import PageSchema, optional_date, parse, text, whole_number
from workflows import access, batches, caseops, dashboard, escalation, registry, runtime
from workflows.visit import waits

bp = Blueprint("manager", __name__, url_prefix="/manager")


class PeriodQuery(PageSchema):
    first = optional_date("期間の始まり", data_key="from")
    last = optional_date("期間の終わり", data_key="to")


def _period() -> tuple[datetime, datetime, date, date]:
    """The period of the query string (``from``/``to``, Japan dates, inclusive); default today."""
    today = utcnow().astimezone(JST).date()
    query = parse(PeriodQuery, request.args)
    first = query["first"] or today
    last = query["last"] or first
    if last < first or (last - first).days > 366:
        raise Invalid(N_("期間の指定が正しくありません（終わりは始まり以降、1年以内）"),
                      details={"to": last.isoformat()})
    return day_bounds(first)[0], day_bounds(last)[1], first, last


@bp.route("/")
@roles_required("manager")
def overview() -> ResponseReturnValue:
    start, end, first, last = _period()
    now = utcnow()
    today_start = day_bounds(now.astimezone(JST).date())[0]
    names = {s.code: s.name for s in users.list_sections()}
    stats = dashboard.section_stats(start=start, end=end, now=now)
    is_today = first == last == now.astimezone(JST).date()  # the default: the period is today, read once
    today = stats if is_today else dashboard.section_stats(start=today_start, end=now + timedelta(seconds=1), now=now)
    chart = {"labels": [names.get(c, c) for c in sorted(stats)],
             "queue": [stats[c].queue for c in sorted(stats)],
             "overdue": [stats[c].overdue for c in sorted(stats)],
             "wait": [stats[c].avg_wait or 0 for c in sorted(stats)]}
    return render_template("manager/overview.html", stats=stats, today=today, names=names, chart=chart,
                           cases=dashboard.cases_in_flight(since=today_start), overdue=dashboard.overdue_tasks(now=now),
                           first=first, last=last, now=now, ticket_lines=waits.by_purpose(now=now),
                           incidents=access.incidents(actor=current_actor(), state="open"),
                           overdue_total=escalation.overdue_count(now=now))


class ReasonForm(PageSchema):
    reason = text(max_length=500, required=True, metadata={"label": N_("理由")})


def _back(case_id: int) -> ResponseReturnValue:
    return redirect(url_for("cases.case", case_id=case_id))


@bp.route("/incidents/<int:incident_id>/retry", methods=["POST"])
@roles_required("manager")
def incident_retry(incident_id: int) -> ResponseReturnValue:
    actor = current_actor()
    incident = atomic(lambda: caseops.retry(incident_id=incident_id, actor=actor))
    if incident.state == "open":
        flash(gettext("「%(name)s」は再び失敗しました（%(n)s 回目）: %(error)s", name=incident.element_name,
                      n=incident.attempts, error=incident.error), "error")
    else:
        flash(gettext("「%(name)s」を再実行し、案件 %(case)s が進みました。", name=incident.element_name,
                      case=incident.case_id), "info")
    return _back(incident.case_id)


@bp.route("/incidents/<int:incident_id>/skip", methods=["POST"])
@roles_required("manager")
def incident_skip(incident_id: int) -> ResponseReturnValue:
    actor, form = current_actor(), parse(ReasonForm, request.form)
    incident = atomic(lambda: caseops.skip(incident_id=incident_id, actor=actor, reason=form["reason"]))
    flash(gettext("「%(name)s」を飛ばしました（理由: %(reason)s）。", name=incident.element_name,
                  reason=form["reason"]), "info")
    return _back(incident.case_id)


@bp.route("/incidents/<int:incident_id>/cancel", methods=["POST"])
@roles_required("manager")
def incident_cancel(incident_id: int) -> ResponseReturnValue:
    actor, form = current_actor(), parse(ReasonForm, request.form)
    incident = atomic(lambda: caseops.cancel(incident_id=incident_id, actor=actor, reason=form["reason"]))
    flash(gettext("案件 %(case)s を取り消しました（理由: %(reason)s）。", case=incident.case_id, reason=form["reason"]),
          "info")
    return _back(incident.case_id)


class BatchForm(PageSchema):
    action = text(max_length=16, required=True)
    process_key = text(max_length=200)
    version = whole_number(minimum=0, maximum=10_000)  # 0 (empty): any version
    state = text(max_length=16)
    section = text(max_length=32)
    to_version = whole_number(minimum=0, maximum=10_000)
    reason = text(max_length=500)
    run = text(max_length=8)  # "dry" (the default: change nothing) or "run"


@bp.route("/batches", methods=["GET", "POST"])
@roles_required("manager")
def batch_page() -> ResponseReturnValue:
    """Pick cases by model, version, state or section; a dry run says per case what would happen; then run.
    Migrating running cases is the administrators' (as ``designer.migrate_case``): a manager is not offered it."""
    actor = current_actor()
    page = {"processes": [v for v in registry.latest_versions() if v.kind == "bpmn"],
            "sections": users.list_sections(), "can_migrate": actor.has_role("admin"),
            "version_of": batches.case_version}
    if request.method == "GET":
        return render_template("manager/batches.html", **page, form={"state": "running"}, result=None)
    form, result = request.form.to_dict(), None
    try:
        values = parse(BatchForm, request.form)
        filt = {k: values[k] for k in ("process_key", "version", "state", "section") if values[k]}
        dry_run = values["run"] != "run"
        items = atomic(lambda: batches.run(actor=actor, action=values["action"], filt=filt, reason=values["reason"],
                                           dry_run=dry_run, to_version=values["to_version"] or None))
    except Invalid as err:  # nothing ran; the form stays as typed, with the reason
        flash(gettext("一括操作を実行できません: %(error)s", error=translate(err.message)), "error")
    else:
        result = {"action": values["action"], "dry_run": dry_run, "items": items,
                  "cases": {i.case_id: runtime.get_case(i.case_id) for i in items},
                  "counts": {o: sum(1 for i in items if i.outcome == o) for o in batches.OUTCOMES
                             if any(i.outcome == o for i in items)}}
    return render_template("manager/batches.html", **page, form=form, result=result)


@bp.route("/incidents/<int:incident_id>/migrate", methods=["POST"])
@roles_required("admin")
def incident_migrate(incident_id: int) -> ResponseReturnValue:
    actor = current_actor()
    incident = atomic(lambda: caseops.migrate(incident_id=incident_id, actor=actor))
    if incident.state == "open":
        flash(gettext("案件 %(case)s を新しい版へ移行しましたが、"
                      "「%(name)s」は再び失敗しました（%(n)s 回目）: %(error)s",
                      case=incident.case_id, name=incident.element_name, n=incident.attempts, error=incident.error),
              "error")
    else:
        flash(gettext("案件 %(case)s を新しい版へ移行し（%(reason)s）、「%(name)s」を再実行しました。",
                      case=incident.case_id, reason=incident.reason, name=incident.element_name), "info")
    return _back(incident.case_id)


@bp.route("/stats.csv")
@roles_required("manager")
def stats_csv() -> ResponseReturnValue:
    start, end, first, last = _period()
    names = {s.code: s.name for s in users.list_sections()}
    body = dashboard.stats_csv(dashboard.section_stats(start=start, end=end), names=names, start=start, end=end)
    actor = current_actor()
    atomic(lambda: audit.record(actor=actor, action="stats.export", target_type="stats",
                                details={"from": first.isoformat(), "to": last.isoformat()}))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=madoguchi-stats-{first}-{last}.csv"})


@bp.route("/cases/<int:case_id>")
@roles_required("manager")
def case_diagram(case_id: int) -> ResponseReturnValue:
    actor, case = current_actor(), runtime.get_case(case_id)
    atomic(lambda: protection.view_case(actor=actor, case=case, screen="manager.case"))
    names = {s.code: s.name for s in users.list_sections()}
    markers = dashboard.diagram_markers(case)
    return render_template("manager/case.html", case=case, markers=markers, names=names, now=utcnow())


@bp.route("/cases/<int:case_id>/diagram.bpmn")
@roles_required("manager")
def diagram_xml(case_id: int) -> ResponseReturnValue:
    case = runtime.get_case(case_id)
    return Response(case.snapshot.model_version.xml, mimetype="application/xml")


@bp.route("/protection")
@roles_required("manager")
def protection_log() -> ResponseReturnValue:
    return render_template("protection/manager.html", entries=protection.list_log(limit=300),
                           residents=protection.list_protected())


@bp.route("/rpa", methods=["GET", "POST"])
@roles_required("manager")
def rpa_exports() -> ResponseReturnValue:
    if request.method == "POST":
        actor = current_actor()
        export = atomic(lambda: rpa.create_export(actor=actor, trigger="page"))
        flash(f"RPA 出力 {export.id}: {export.rows} 件（手入力 {export.manual_rows} 件）", "info")
        return redirect(url_for("manager.rpa_exports"))
    return render_template("rpa.html", exports=rpa.list_exports(), pending=len(rpa.pending()))
