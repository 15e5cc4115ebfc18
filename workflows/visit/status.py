"""The public status page of a visit: reached by an unguessable token (the guide's or the ticket's QR code),
shows no person.

Only the ticket number, where the ticket stands (waiting: how many are ahead and the estimated wait; called: the
counter to go to), and each procedure's name, section and state are given out, with where to go next (the first
open procedure's section and its counters): no name, no address, no date of birth, no case id — nothing that
identifies the resident.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core import users
from core.db import db, utcnow
from core.errors import NotFound
from core.i18n import N_
from core.models import Counter
from workflows import runtime
from workflows.visit import context as ctx
from workflows.visit import tickets, waits
from workflows.visit.models import CaseStatusLink
from workflows.visit.queue_models import Ticket

STATE_LABELS = {"done": N_("手続済"), "open": N_("未了")}


def token_for(case_id: int) -> str:
    """The case's status token, created on first use (256 bits from ``secrets``)."""
    link = db.session.scalar(db.select(CaseStatusLink).where(CaseStatusLink.case_id == case_id))
    if link is None:
        runtime.get_case(case_id)
        link = CaseStatusLink(case_id=case_id, token=secrets.token_urlsafe(32))
        db.session.add(link)
        db.session.flush()
    return link.token


def public_status(token: str, *, now: datetime | None = None) -> dict[str, Any]:
    """What the page shows for ``token`` (a case's or a ticket's); NotFound for any unknown or malformed token."""
    now = now or utcnow()
    link = None
    if 20 <= len(token) <= 64:
        link = db.session.scalar(db.select(CaseStatusLink).where(CaseStatusLink.token == token))
    ticket = tickets.by_token(token) if link is None else None
    case_id = link.case_id if link is not None else ticket.case_id if ticket is not None else None
    if link is None and ticket is None:
        raise NotFound(N_("このページは存在しません"))
    if ticket is None and case_id is not None:
        ticket = tickets.for_case(case_id)
    result: dict[str, Any] = {"ticket_no": ticket.label if ticket else None, "ticket": _ticket(ticket, now),
                              "finished": False, "procedures": [], "next": None}
    if case_id is not None:
        result.update(_case(case_id))
        result["ticket_no"] = result["ticket_no"] or result.pop("case_ticket_no")
    result.pop("case_ticket_no", None)
    return result


def _ticket(ticket: Ticket | None, now: datetime) -> dict[str, Any] | None:
    """Where the ticket stands today: its state, the counter it is called to, the people ahead, the estimate."""
    if ticket is None or ticket.day != tickets.day_of(now):
        return None
    view: dict[str, Any] = {"state": ticket.state, "state_label": tickets.STATE_LABELS[ticket.state],
                            "purpose": tickets.purpose_of(ticket).label,
                            "section": _sections().get(ticket.section_code)}
    if ticket.state == "called":
        counter = db.session.scalar(select(Counter).where(Counter.number == ticket.counter))
        view["counter"] = counter.name if counter else ticket.counter
    elif ticket.state == "waiting":
        estimate = waits.estimate(now=now)
        view["ahead"] = estimate.ahead.get(ticket.id, 0)
        view["minutes"] = waits.minutes(estimate.ticket.get(ticket.id, 0.0))
    return view


def _sections() -> dict[str, str]:
    return {s.code: s.name for s in users.list_sections()}


def _case(case_id: int) -> dict[str, Any]:
    case = runtime.get_case(case_id)
    data = runtime.case_data(case)
    sections = _sections()
    procedures = ctx.procedures(case.id)
    shown = [{"name": p.name, "section": sections.get(p.section_code, p.section_code), "state": p.state,
              "state_label": STATE_LABELS.get(p.state, p.state)} for p in procedures]
    open_ = next((p for p in procedures if p.state == "open"), None)
    where = None
    if open_ is not None:
        counters = [c.name for c in db.session.scalars(select(Counter).where(
            Counter.section_code == open_.section_code, Counter.active.is_(True)).order_by(Counter.number))]
        where = {"section": sections.get(open_.section_code, open_.section_code), "counters": counters}
    return {"case_ticket_no": str(data.get("ticket_no") or case.id), "procedures": shown, "next": where,
            "finished": case.state == "completed"}
