"""The visit's event date (異動日・届出の日): read as staff type it, refused with the reason when implausible, and
corrected before the hand-over with the procedures and due dates recomputed (refused after it).

Plausible (DOMAIN.md "Who is who in a visit"): not before 1868-01-25 (the parser, ``core.dates``); not in the
future, except a 転出, which is notified up to 14 days before the move (:data:`AHEAD_DAYS`); not before the birth
of a person the visit is about.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from core import audit, dates
from core.actor import Actor
from core.calendar import JST
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid
from core.i18n import N_, state_name
from workflows import runtime
from workflows.determination import facts, procedures, service
from workflows.determination.models import CaseProcedure
from workflows.determination.routing import CLOSING_TIME
from workflows.models import CaseTask
from workflows.visit import answers

FIELD = "event_date"
SUBJECT = N_("対象者")  # the name of a person without one, in the reader's language
AHEAD_DAYS = {"tenshutsu": 14}  # 転出予定: up to 14 days before the move; every other event has happened
INTERVIEW_PREFIX = "interview_"


def _refuse(message: str) -> Invalid:
    return Invalid(message, details={"fields": {FIELD: [message]}})


def parse(typed: str | date) -> date:
    """The date as typed; Invalid naming the field with the parser's reason."""
    try:
        return dates.parse_date(typed)
    except dates.DateError as err:
        raise _refuse(err.message) from None


def _born(person: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(person.get("birth_date")))
    except ValueError:
        return None


def check(*, day: date, events: list[str], subjects: list[dict[str, Any]], today: date) -> None:
    """Invalid (with the reason, on ``event_date``) when ``day`` cannot be the date of these events."""
    ahead = max((AHEAD_DAYS.get(e, 0) for e in events), default=0)
    if day > today + timedelta(days=ahead):
        if ahead:
            raise _refuse(N_("{day}は先の日付です。転出の予定日は本日から{ahead}日後（{last}）まで入力できます",
                             day=dates.shown(day), ahead=ahead, last=dates.shown(today + timedelta(days=ahead))))
        raise _refuse(N_("{day}は未来の日付です（本日は{today}）", day=dates.shown(day), today=dates.shown(today)))
    for person in subjects:
        born = _born(person)
        if born is not None and day < born:
            raise _refuse(N_("{day}は{name}さんの生年月日（{born}）より前です", day=dates.shown(day),
                             name=person.get("name") or SUBJECT, born=dates.shown(born)))


def _subjects(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in data.get("household") or [] if isinstance(m, dict) and m.get("subject")]


def completion_check(*, task: CaseTask, form: Any, data: dict[str, Any], now: datetime | None) -> None:
    """The interview's event date, checked against the visit before the journey determines (a completion check)."""
    if form is None or not str(form.key).startswith(INTERVIEW_PREFIX) or not data.get(FIELD):
        return
    case_data = runtime.case_data(task.case)
    today = (now or utcnow()).astimezone(JST).date()
    check(day=date.fromisoformat(data[FIELD]), events=_events(task.case.process_key, case_data),
          subjects=_subjects(case_data), today=today)


def _events(process_key: str, data: dict[str, Any]) -> list[str]:
    own = [process_key.removeprefix("journey_")] if process_key.startswith("journey_") else []
    return service.event_list([*own, *(data.get("events") or [])])


def change(*, case_id: int, typed: str, actor: Actor, now: datetime | None = None) -> list[CaseProcedure]:
    """Correct the event date of a visit not yet handed over: due dates move, procedures the new date no longer
    triggers are withdrawn and new ones routed (each with the reason); Conflict after the hand-over."""
    if not actor.has_role("counter"):
        raise Forbidden(N_("異動日の訂正は総合窓口で行います"))
    now = now or utcnow()
    case = runtime.get_case(case_id)
    if case.state != "running":
        raise Conflict(N_("受付番号 {case} は{state}のため訂正できません", case=case.id, state=state_name(case.state)),
                       details={"state": case.state})
    if answers.handed_over(case):
        raise Conflict(N_("各課へ送付済みのため、異動日はここでは訂正できません（各課で訂正の手続をしてください）"),
                       details={"state": "handed_over"})
    data = runtime.case_data(case)
    day, old = parse(typed), data.get(FIELD)
    events = _events(case.process_key, data)
    check(day=day, events=events, subjects=_subjects(data), today=now.astimezone(JST).date())
    interview = {**(data.get("answers") or {}), FIELD: day.isoformat()}
    runtime.correct_data(case=case, values={FIELD: day.isoformat(), "answers": interview}, now=now)
    answers.follow_event_date(case_id=case.id, old=old, new=day.isoformat(), actor=actor)
    changed = _recompute(case.id, data, events, day, actor=actor, now=now) if old else []
    audit.record(actor=actor, action="case.event_date", target_type="case", target_id=case.id,
                 details={"from": old, "to": day.isoformat(), "procedures": [p.code for p in changed],
                          "resident_id": case.resident_id})
    return changed


def _recompute(case_id: int, data: dict[str, Any], events: list[str], day: date, *, actor: Actor,
               now: datetime) -> list[CaseProcedure]:
    """Bring the open determined procedures in line with the determination on ``day``."""
    found = {p["code"]: p for p in service.determine(
        events=events, event_date=day, household=facts.fill_from_answers(list(data.get("household") or []),
                                                                         data.get("answers") or {}),
        answers=data.get("answers") or {}, member_answers=data.get("members") or {}, strict=False)}
    current = [p for p in db.session.scalars(db.select(CaseProcedure).where(CaseProcedure.case_id == case_id))]
    open_ = {p.code: p for p in current if p.state == "open" and p.rule != "manual"}
    changed = []
    for code, proc in open_.items():
        if code not in found:
            procedures.remove(case_id=case_id, procedure_id=proc.id, actor=actor, now=now,
                              reason=f"異動日の訂正（{dates.shown(data.get(FIELD))}→{dates.shown(day)}）により対象外")
        else:
            _move_due(proc, found[code].get("due_date"))
        changed.append(proc)
    decided = {p.code for p in current if p.state != "open"}
    for code, item in found.items():
        if code not in open_ and code not in decided:
            changed.append(procedures.route_item(case_id=case_id, item=item, actor=actor, now=now))
    db.session.flush()
    return changed


def _move_due(proc: CaseProcedure, due_text: str | None) -> None:
    due = date.fromisoformat(due_text) if due_text else None
    proc.due_date = due
    task = db.session.get(CaseTask, proc.task_id) if proc.task_id else None
    if task is not None and due is not None:
        task.due_at = datetime.combine(due, CLOSING_TIME)
