"""整理券 (ticket) pages: issue a ticket at reception (the kiosk page), print its slip, and the call panel the
counter and inbox pages show: call the next number at one's counter, re-call, skip, transfer to a section."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from core import users
from core.errors import DomainError
from core.tx import atomic
from web.auth import current_actor, roles_required
from web.i18n import translate
from web.pageinput import BackTo, PageSchema, local_path, parse, text, whole_number
from workflows.visit import slip, tickets, waits

bp = Blueprint("tickets", __name__, url_prefix="/tickets")
COUNTER_KEY = "ticket_counter"  # the counter the clerk last called at (preselected in the call panel)


class KioskQuery(PageSchema):
    issued = whole_number(maximum=2**31 - 1)


class IssueForm(PageSchema):
    purpose = text(max_length=32, required=True)
    kiosk = text(max_length=1)  # "1": issued from the hall's touch screen


class CallForm(BackTo):
    counter = text(max_length=16, required=True)


class TransferForm(BackTo):
    section = text(max_length=32, required=True)


def status_url(ticket: tickets.Ticket) -> str:
    return url_for("public.status", token=ticket.token, _external=True)


@bp.app_context_processor
def _call_panel() -> dict[str, Any]:
    """``call_panel()`` for the counter and inbox pages: the actor's counters and the ticket they are serving."""
    def panel() -> dict[str, Any] | None:
        actor = current_actor()
        if not actor.has_role(*tickets.CALL_ROLES):
            return None
        return {"counters": tickets.counters_for(actor), "chosen": session.get(COUNTER_KEY),
                "serving": tickets.serving(actor=actor), "sections": users.list_sections(),
                "next": request.full_path.rstrip("?")}
    return {"call_panel": panel}


@bp.route("", methods=["GET"])
@roles_required("counter", "section")
def kiosk() -> ResponseReturnValue:
    """Reception: one large button per purpose, today's queue with the estimates."""
    actor, estimate = current_actor(), waits.estimate()
    issued = parse(KioskQuery, request.args)["issued"]
    return render_template("tickets/kiosk.html", purposes=tickets.PURPOSES.values(), estimate=estimate,
                           minutes=waits.minutes, queue=[t for t in tickets.today() if t.state in ("waiting",
                                                                                                  "called")],
                           issued=tickets.get_for(actor=actor, ticket_id=issued) if issued else None,
                           labels={p.code: p.label for p in tickets.PURPOSES.values()},
                           sections={s.code: s.name for s in users.list_sections()})


@bp.route("/kiosk", methods=["GET"])
@roles_required("counter")
def self_service() -> ResponseReturnValue:
    """The hall's touch screen (a terminal logged in for reception): one large button per purpose; after a
    touch, the number and its slip, then back to the buttons."""
    actor, estimate = current_actor(), waits.estimate()
    issued = parse(KioskQuery, request.args)["issued"]
    return render_template("tickets/self_service.html", purposes=tickets.PURPOSES.values(), estimate=estimate,
                           minutes=waits.minutes,
                           issued=tickets.get_for(actor=actor, ticket_id=issued) if issued else None)


@bp.route("", methods=["POST"])
@roles_required("counter")
def issue() -> ResponseReturnValue:
    actor, form = current_actor(), parse(IssueForm, request.form)
    back = "tickets.self_service" if form["kiosk"] else "tickets.kiosk"
    try:
        ticket = atomic(lambda: tickets.issue(purpose=form["purpose"], actor=actor))
    except DomainError as err:
        flash(translate(err.message), "error")
        return redirect(url_for(back))
    flash(gettext("整理券 %(label)s（%(purpose)s）を発行しました。", label=ticket.label,
                  purpose=translate(tickets.purpose_of(ticket).label)), "info")
    return redirect(url_for(back, issued=ticket.id))


@bp.route("/<int:ticket_id>/slip.pdf")
@roles_required("counter", "section")
def slip_pdf(ticket_id: int) -> ResponseReturnValue:
    ticket = tickets.get(ticket_id)
    pdf = slip.slip_pdf(ticket=ticket, status_url=status_url(ticket))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="ticket-{ticket.label}.pdf"'})


def _back() -> ResponseReturnValue:
    return redirect(local_path(parse(BackTo, request.form)["next"]) or url_for("tickets.kiosk"))


def _act(action: Any, done: Any, retries: int = 2) -> ResponseReturnValue:
    """Run one call action, flash what happened (or why not), go back where the clerk came from."""
    try:
        ticket = atomic(action, retries=retries)
    except DomainError as err:
        flash(translate(err.message), "error")
    else:
        flash(done(ticket), "info")
    return _back()


@bp.route("/call-next", methods=["POST"])
@roles_required("counter", "section")
def call_next() -> ResponseReturnValue:
    actor, form = current_actor(), parse(CallForm, request.form)
    session[COUNTER_KEY] = form["counter"]
    return _act(lambda: tickets.call_next(counter=form["counter"], actor=actor),
                lambda t: gettext("%(label)s をお呼びしました。", label=t.label) if t
                else gettext("お待ちの方はいません。"),
                retries=tickets.CALL_RETRIES)


@bp.route("/<int:ticket_id>/recall", methods=["POST"])
@roles_required("counter", "section")
def recall(ticket_id: int) -> ResponseReturnValue:
    actor = current_actor()
    return _act(lambda: tickets.recall(ticket_id=ticket_id, actor=actor),
                lambda t: gettext("%(label)s を再度お呼びしました。", label=t.label))


@bp.route("/<int:ticket_id>/skip", methods=["POST"])
@roles_required("counter", "section")
def skip(ticket_id: int) -> ResponseReturnValue:
    actor = current_actor()
    return _act(lambda: tickets.skip(ticket_id=ticket_id, actor=actor),
                lambda t: gettext("%(label)s を不在にしました。", label=t.label))


@bp.route("/<int:ticket_id>/transfer", methods=["POST"])
@roles_required("counter", "section")
def transfer(ticket_id: int) -> ResponseReturnValue:
    actor, form = current_actor(), parse(TransferForm, request.form)
    return _act(lambda: tickets.transfer(ticket_id=ticket_id, section=form["section"], actor=actor),
                lambda t: gettext("%(label)s を回付しました。", label=t.label))
