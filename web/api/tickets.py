"""Tickets (整理券): issue per purpose, call the next number at a counter, re-call, skip, transfer to a section."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import g, url_for
from flask_smorest import Blueprint

from core.tx import atomic
from web.auth import current_actor, roles_required
from workflows.visit import tickets, waits
from workflows.visit.queue_models import Ticket

URL_PREFIX = "/tickets"
blp = Blueprint("tickets_api", __name__, description="Numbered tickets and calls (待たない)")


class TicketSchema(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String(metadata={"description": "the number the resident holds (A-012)"})
    purpose = ma.fields.String()
    purpose_label = ma.fields.Function(lambda t: tickets.purpose_of(t).label)
    section = ma.fields.String(attribute="section_code")
    state = ma.fields.String(metadata={"description": "waiting, called, done or skipped"})
    counter = ma.fields.String(allow_none=True)
    call_count = ma.fields.Integer()
    issued_at = ma.fields.DateTime()
    called_at = ma.fields.DateTime(allow_none=True)
    case_id = ma.fields.Integer(allow_none=True)
    status_url = ma.fields.Function(lambda t: url_for("public.status", token=t.token, _external=True))
    estimated_minutes = ma.fields.Method("_estimate", allow_none=True)

    def _estimate(self, ticket: Ticket) -> int | None:
        """Minutes still to wait (one estimate per request, however many tickets are listed)."""
        if ticket.state != "waiting":
            return None
        if "ticket_estimate" not in g:
            g.ticket_estimate = waits.estimate()
        return waits.minutes(g.ticket_estimate.ticket.get(ticket.id))


class IssueBody(ma.Schema):
    purpose = ma.fields.String(required=True, validate=ma.validate.OneOf(list(tickets.PURPOSES)),
                               metadata={"description": "ido, shussei_shibo, shomei, hoken, kodomo"})


class CallBody(ma.Schema):
    counter = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=16))


class CallResult(ma.Schema):
    ticket = ma.fields.Nested(TicketSchema, allow_none=True)
    message = ma.fields.String()


class TransferBody(ma.Schema):
    section = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))


@blp.route("", methods=["POST"])
@roles_required("counter")
@blp.arguments(IssueBody)
@blp.response(201, TicketSchema)
def issue(body: dict[str, Any]) -> Ticket:
    actor = current_actor()
    return atomic(lambda: tickets.issue(purpose=body["purpose"], actor=actor))


@blp.route("", methods=["GET"])
@roles_required("counter", "section", "manager")
@blp.response(200, TicketSchema(many=True))
def today() -> list[Ticket]:
    """Today's tickets in queue order, each waiting one with its estimate."""
    return tickets.today()


@blp.route("/call-next", methods=["POST"])
@roles_required("counter", "section")
@blp.arguments(CallBody)
@blp.response(200, CallResult)
def call_next(body: dict[str, Any]) -> dict[str, Any]:
    actor = current_actor()
    ticket = atomic(lambda: tickets.call_next(counter=body["counter"], actor=actor), retries=tickets.CALL_RETRIES)
    return {"ticket": ticket, "message": f"{ticket.label} をお呼びしました" if ticket else "お待ちの方はいません"}


@blp.route("/<int:ticket_id>/recall", methods=["POST"])
@roles_required("counter", "section")
@blp.response(200, TicketSchema)
def recall(ticket_id: int) -> Ticket:
    actor = current_actor()
    return atomic(lambda: tickets.recall(ticket_id=ticket_id, actor=actor))


@blp.route("/<int:ticket_id>/skip", methods=["POST"])
@roles_required("counter", "section")
@blp.response(200, TicketSchema)
def skip(ticket_id: int) -> Ticket:
    actor = current_actor()
    return atomic(lambda: tickets.skip(ticket_id=ticket_id, actor=actor))


@blp.route("/<int:ticket_id>/transfer", methods=["POST"])
@roles_required("counter", "section")
@blp.arguments(TransferBody)
@blp.response(200, TicketSchema)
def transfer(body: dict[str, Any], ticket_id: int) -> Ticket:
    actor = current_actor()
    return atomic(lambda: tickets.transfer(ticket_id=ticket_id, section=body["section"], actor=actor))
