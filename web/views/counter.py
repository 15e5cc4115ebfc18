"""総合窓口 (counter) pages: the whole visit at the counter, one screen per step.

search (name, kana, birth date, address or a barcode scan) → household (choose the life events) → the journey's
interview (``inbox.task``: only what the DB does not know) → the visit page (``summary``: the determined
procedures with section, due date, what to bring and the rule that fired; add or remove one with a reason) →
documents (the answers the printed forms still need, asked once; generate and preview) → signature (tablet) →
hand over to the sections → the procedure guide, printed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date

import marshmallow as ma
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import users
from core.calendar import JST
from core.db import utcnow
from core.errors import DomainError, Invalid
from core.i18n import N_
from core.tx import atomic
from residents import protection
from web.auth import current_actor, roles_required
from web.links import status_url
from web.pageinput import PageSchema, optional_date, parse, search_form, split_members, text
from web.security import CSP
from workflows import access, registry, runtime
from workflows.determination import procedures, service
from workflows.visit import answers as visit
from workflows.visit import documents, eventdate, guide, guidetexts, intake, preentry, reception, signatures
from workflows.visit import notifier as notifier_rules

bp = Blueprint("counter", __name__, url_prefix="/counter")
# Which deployed journey handles which life event: bpmn/journeys/journey_<event>.bpmn.
EVENT_PROCESS = {code: f"journey_{code}" for code in intake.EVENTS}
PNG_DATA_URL = "data:image/png;base64,"
FRAMED_PDF_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


class GuideLanguage(PageSchema):
    """Which 手続案内書: Japanese, やさしい日本語 (``easy``) or English (``en``), as the visitor asks."""

    guide = ma.fields.String(load_default="ja", validate=ma.validate.OneOf(guidetexts.LANGUAGES))


class SearchQuery(PageSchema):
    q = text(max_length=200)
    birth_date = optional_date("生年月日")
    address = text(max_length=300)


class StartVisitForm(PageSchema):
    events = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=32)), load_default=list)
    subjects = ma.fields.List(ma.fields.Integer(strict=False), load_default=list)
    notifier = text(max_length=20)  # a member's id, or "other" for someone entered
    notifier_name = text(max_length=200)
    notifier_kana = text(max_length=200)
    notifier_address = text(max_length=300)
    notifier_relation = text(max_length=20)
    notifier_phone = text(max_length=20)
    event_date = text(max_length=40)
    pre_entry = text(max_length=20)


class PreEntryQuery(PageSchema):
    ref = text(max_length=40)
    pre_entry = text(max_length=40)


class EventDateForm(PageSchema):
    event_date = text(max_length=40, required=True)


class ProcedureAdd(PageSchema):
    code = text(max_length=64, required=True)
    reason = text(max_length=500)
    subjects = ma.fields.List(ma.fields.Integer(strict=False), load_default=list)


class ProcedureRemove(PageSchema):
    reason = text(max_length=500)


class SignatureForm(PageSchema):
    signature = text(max_length=2_000_000)


def _today() -> date:
    return utcnow().astimezone(JST).date()


@bp.route("/", methods=["GET"])
@roles_required("counter")
def search() -> ResponseReturnValue:
    actor = current_actor()
    typed = request.args.get("q", "")
    if preentry.is_reference(typed):  # a pre-entry's QR code scanned into the search field: no resident search
        return redirect(url_for("counter.pre_entry", ref=typed[:40]))
    args, results, error = search_form(lambda query: atomic(lambda: intake.find_residents(actor=actor, **query)),
                                       request.args, SearchQuery)
    if results is not None and len(results) == 1 and args["q"].isdigit():
        return redirect(url_for("counter.household", resident_id=results[0].id))  # a scan found one person
    return render_template("counter/search.html", args=args, results=results, error=error,
                           shown_address=protection.shown_address)


def _notifier(form: dict[str, str]) -> dict[str, str]:
    """The 届出人 as the household page gives it: a member chosen, or someone entered ("other")."""
    if form["notifier"] == "other":
        return {k: form[f"notifier_{k}"] for k in ("name", "kana", "address", "relation", "phone")}
    chosen = form["notifier"]
    return {"resident_id": int(chosen) if chosen.isdigit() else None, "phone": form["notifier_phone"]}


@bp.route("/residents/<int:resident_id>", methods=["GET", "POST"])
@roles_required("counter")
def household(resident_id: int) -> ResponseReturnValue:
    actor = current_actor()
    deployed = {v.key: v for v in registry.latest_versions() if v.kind == "bpmn"}
    events = {code: label for code, label in intake.EVENTS.items() if EVENT_PROCESS[code] in deployed}
    form, status = {}, 200
    if request.method == "POST":
        form = parse(StartVisitForm, request.form, events=True, subjects=True)
        chosen = form["events"]
        try:
            case = atomic(lambda: reception.start_at_counter(
                process_key=intake.journey_for(chosen), resident_id=resident_id, events=chosen, actor=actor,
                today=_today(), subjects=form["subjects"] or None, notifier=_notifier(form),
                event_date=form["event_date"] or None, pre_entry=form["pre_entry"]))
        except Invalid as err:
            flash(_refusal(err), "error")
            status = 422
        else:
            first = next((t for t in case.tasks if t.state == "ready" and t.section_code in actor.sections), None)
            return redirect(url_for("inbox.task", task_id=first.id) if first else url_for("counter.summary",
                                                                                           case_id=case.id))
    view = atomic(lambda: intake.get_household(resident_id=resident_id, actor=actor))
    if not form and (ref := parse(PreEntryQuery, request.args)["pre_entry"]):
        entry = atomic(lambda: preentry.get_by_reference(actor=actor, reference=ref))
        form = reception.pre_filled(entry, [m.id for m in view.members])
    return render_template("counter/household.html", view=view, events=events, today=_today(), form=form,
                           proposed=intake.default_notifier(view, _today()),
                           relations=notifier_rules.ENTERED_RELATIONS, is_child=intake.is_child,
                           shown_address=protection.shown_address), status


@bp.route("/pre-entry", methods=["GET"])
@roles_required("counter")
def pre_entry() -> ResponseReturnValue:
    """A resident's pre-entry (its QR code scanned or its number typed): what they entered, and the residents
    their name and birth date find; choosing one opens the household page pre-filled."""
    actor, ref = current_actor(), parse(PreEntryQuery, request.args)["ref"]
    entry, results, error = None, None, None
    if ref:
        try:
            entry = atomic(lambda: preentry.get_by_reference(actor=actor, reference=ref))
            results = atomic(lambda: intake.find_residents(actor=actor, q=entry.data["name"],
                                                           birth_date=_birth_date(entry.data)))
        except DomainError as err:
            error = err
    return render_template("counter/pre_entry.html", ref=ref, entry=entry, results=results, error=error,
                           events=intake.EVENTS, questions=preentry.questions(entry.data["events"]) if entry else [],
                           shown_address=protection.shown_address), 404 if error else 200


def _birth_date(data: dict[str, str]) -> date | None:
    return date.fromisoformat(data["birth_date"]) if data.get("birth_date") else None


def _refusal(err: DomainError) -> str:
    """The refusal as the counter reads it: the message, and each field's reason."""
    fields = err.details.get("fields") if isinstance(err.details.get("fields"), dict) else {}
    reasons = [m for msgs in fields.values() for m in (msgs if isinstance(msgs, list) else [msgs])
               if isinstance(m, str) and m not in err.message]
    where = err.details.get("field") or ""
    return "　".join([err.message, *reasons]) + (f"（{where}）" if where else "")


@bp.route("/cases/<int:case_id>")
@roles_required("counter")
def summary(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    case = access.case(actor=actor, case_id=case_id)
    atomic(lambda: protection.view_case(actor=actor, case=case, screen="counter.summary"))
    sections = {s.code: s.name for s in users.list_sections()}
    return render_template("counter/summary.html", case=case, data=runtime.case_data(case), sections=sections,
                           procedures=guide.views(case.id), catalogue=service.catalogue(),
                           docs=documents.list_for_case(case_id=case.id), signature=signatures.get(case.id),
                           handed_over=visit.handed_over(case))


def _to_summary(case_id: int, work: Callable[[], object], done: str) -> ResponseReturnValue:
    """Run ``work`` in one transaction; flash ``done`` or the refusal (nothing changed) and show the visit."""
    try:
        atomic(work)
        flash(done, "info")
    except DomainError as err:
        flash(_refusal(err), "error")
    return redirect(url_for("counter.summary", case_id=case_id))


@bp.route("/cases/<int:case_id>/event-date", methods=["POST"])
@roles_required("counter")
def event_date(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    typed = parse(EventDateForm, request.form)["event_date"]
    return _to_summary(case_id, lambda: eventdate.change(case_id=case_id, typed=typed, actor=actor),
                       "異動日を訂正しました（手続と期限を再判定しました・記録済み）。")


@bp.route("/cases/<int:case_id>/procedures", methods=["POST"])
@roles_required("counter")
def add_procedure(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = parse(ProcedureAdd, request.form, subjects=True)
    form["subjects"] = form["subjects"] or None
    return _to_summary(case_id, lambda: procedures.add(case_id=case_id, actor=actor, **form),
                       "手続を追加しました（担当課へ回付済み・記録済み）。")


@bp.route("/cases/<int:case_id>/procedures/<int:procedure_id>/remove", methods=["POST"])
@roles_required("counter")
def remove_procedure(case_id: int, procedure_id: int) -> ResponseReturnValue:
    actor = current_actor()
    return _to_summary(case_id, lambda: procedures.remove(case_id=case_id, procedure_id=procedure_id, actor=actor,
                                                          **parse(ProcedureRemove, request.form)),
                       "手続を取りやめました（理由は記録済み）。")


@bp.route("/cases/<int:case_id>/documents", methods=["GET", "POST"])
@roles_required("counter")
def visit_documents(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    case, values, errors, status = access.case(actor=actor, case_id=case_id), {}, {}, 200
    if request.method == "POST":
        # The answers' own fields are the forms' (validated by the forms' schemas in the service).
        top, members = split_members(request.form, skip={"csrf_token"})
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        try:
            made = atomic(lambda: visit.prepare_documents(case_id=case_id, values=top, members=members, actor=actor,
                                                          status_url=status_url(case_id)))
            flash(f"{len(made)} 件の書類を作成しました。内容を確認してから署名に進んでください。", "info")
            return redirect(url_for("counter.visit_documents", case_id=case_id))
        except Invalid as err:
            errors, status = err.details.get("fields", {}), 422
            flash(err.message, "error")
    names = {m.get("resident_id"): m.get("name") for m in runtime.case_data(case).get("household") or []}
    return render_template("counter/documents.html", case=case,
                           groups=visit.by_person(visit.questions(case_id=case_id, everything=True)),
                           values=values, errors=errors, docs=documents.list_for_case(case_id=case_id),
                           signature=signatures.get(case_id), names=names), status


def _png(data_url: str) -> bytes:
    if not data_url.startswith(PNG_DATA_URL):
        raise Invalid(N_("署名がありません。枠の中に署名してください。"),
                      details={"fields": {"signature": ["必須です"]}})
    try:
        return base64.b64decode(data_url.removeprefix(PNG_DATA_URL), validate=True)
    except (binascii.Error, ValueError) as err:
        raise Invalid(N_("署名データが壊れています"),
                      details={"fields": {"signature": ["base64 ではありません"]}}) from err


@bp.route("/cases/<int:case_id>/signature", methods=["GET", "POST"])
@roles_required("counter")
def signature(case_id: int) -> ResponseReturnValue:
    """The signature tablet: a bad or empty drawing shows the page again (422); a good one goes to the visit."""
    if request.method == "GET":
        return render_template("signature.html", case_id=case_id, signature=signatures.get(case_id))
    actor = current_actor()
    try:
        png = _png(parse(SignatureForm, request.form)["signature"])
        atomic(lambda: signatures.save(case_id=case_id, png=png, actor=actor))
    except Invalid as err:
        flash(err.message, "error")
        return render_template("signature.html", case_id=case_id, signature=signatures.get(case_id)), 422
    flash("署名を保存しました。", "info")
    return redirect(url_for("counter.summary", case_id=case_id))


@bp.route("/cases/<int:case_id>/hand-over", methods=["POST"])
@roles_required("counter")
def hand_over(case_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        atomic(lambda: visit.hand_over(case_id=case_id, actor=actor, status_url=status_url(case_id)))
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("counter.summary", case_id=case_id))
    flash("各課へ送付しました。手続案内書を印刷してお渡しください。", "info")
    return redirect(url_for("counter.guide_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/guide")
@roles_required("counter", "manager")
def guide_page(case_id: int) -> ResponseReturnValue:
    """The 手続案内書 as the PDF it is: shown in the page and printed from it (one document, never two)."""
    actor = current_actor()
    case = access.case(actor=actor, case_id=case_id)
    language = parse(GuideLanguage, request.args)["guide"]
    doc = atomic(lambda: documents.guide_document(case_id=case.id, actor=actor, status_url=status_url(case.id),
                                                  language=language))
    return render_template("counter/guide.html", case=case, doc=doc, procedures=guide.views(case.id, removed=False),
                           guide_language=language)


@bp.route("/cases/<int:case_id>/guide.pdf")
@roles_required("counter", "manager")
def guide_pdf(case_id: int) -> ResponseReturnValue:
    """The guide's PDF (the page frames it: this response alone may be framed, by our own pages)."""
    actor = current_actor()
    access.case(actor=actor, case_id=case_id)
    language = parse(GuideLanguage, request.args)["guide"]
    viewed = atomic(lambda: documents.printed_guide(case_id=case_id, actor=actor, status_url=status_url(case_id),
                                                    language=language))
    return Response(viewed.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="guide-{case_id}.pdf"', "Cache-Control": "no-store",
        "X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": FRAMED_PDF_CSP})
