"""The counter starts a visit: with the ticket the clerk is serving (its number goes on the case and every form,
and the ticket is linked to the case) and, when the resident pre-entered on their phone, with that entry's
answers (the interview starts from them, the previous address goes to the forms' answers) — then the entry is
deleted."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.actor import Actor
from core.db import db
from forms import wareki
from workflows.models import Case
from workflows.visit import form_answers, intake, preentry, tickets
from workflows.visit.queue_models import PreEntry

FORM_ANSWERS = ("previous_address",)  # what of a pre-entry the printed forms ask (workflows.visit.answers)


def pre_filled(entry: PreEntry | None, member_ids: list[int]) -> dict[str, Any]:
    """The household page's form as a pre-entry fills it: the events, the date, the phone, everyone ticked."""
    if entry is None:
        return {}
    data = entry.data
    typed = data.get("event_date")
    shown = wareki.to_wareki(date.fromisoformat(typed)) if typed else ""  # staff read 和暦; the page parses it back
    return {"events": data["events"], "event_date": shown, "notifier_phone": data.get("phone"),
            "subjects": member_ids, "pre_entry": entry.reference}


def start_at_counter(*, process_key: str, resident_id: int, events: list[str], actor: Actor, today: date,
                     subjects: list[int] | None, notifier: dict[str, Any] | None, event_date: str | None,
                     pre_entry: str = "") -> Case:
    """Start the visit (``intake.start_visit``) with the served ticket and the pre-entry, if any (see the module)."""
    ticket = tickets.serving(actor=actor)
    ticket = ticket if ticket is not None and ticket.case_id is None else None
    entry = preentry.get_by_reference(actor=actor, reference=pre_entry) if pre_entry else None
    case = intake.start_visit(process_key=process_key, resident_id=resident_id, events=events, actor=actor,
                              today=today, subjects=subjects, notifier=notifier, event_date=event_date,
                              ticket_no=ticket.label if ticket else None,
                              prefill=entry.data.get("answers") if entry else None)
    if ticket is not None:
        ticket.case_id = case.id
    if entry is not None:
        visit = {k: entry.data[k] for k in FORM_ANSWERS if entry.data.get(k)}
        if visit:
            form_answers.merge(case_id=case.id, visit=visit, members={}, by=actor.username)
        preentry.consume(reference=entry.reference)
    db.session.flush()
    return case
