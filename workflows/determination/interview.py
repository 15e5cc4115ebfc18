"""The interview asks only what the determination needs and what the resident DB does not already know.

A question in an interview form (``forms/library/interview_<event>/form.yaml``) may carry ``ask_if``, an
expression evaluated in the script sandbox over:

- ``needed``: some procedure table reads this answer for this household — found by running the determination
  without the answer: a table that reaches the answer's column names it as missing (see ``service._fired``);
  probed twice, with the answers found so far all "no" and all "yes", so that an answer read only behind
  another answer is found too;
- ``known``: the question is a member fact (e.g. ``dog_owner``) that every subject's record already holds;
- ``events`` (the visit's events) and ``household_size``.

A question without ``ask_if`` is always asked. A question not asked is submitted as empty, which is right by
construction: no table reads it for this household, or the record's fact wins (``facts.fill_from_answers``).

A visit with several events asks the questions of every event's interview form (:func:`combined`), so nothing a
table of the visit reads is left unasked. A question with ``per: member`` is asked of each ticked member for whom
its ``member_if`` holds (ages judged on the event date given at the start, else today in Japan): :func:`form_for`
is the factory's form provider (``workflows.wiring``), so the page, the API and the completion agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from core.actor import Actor
from core.calendar import JST
from core.db import utcnow
from core.errors import Invalid
from core.i18n import N_
from forms import taskforms
from forms.taskforms import FormDefinition, FormField, FormMember
from workflows import access, runtime
from workflows.determination import facts, service
from workflows.determination import household as residents
from workflows.models import CaseTask
from workflows.scripting import RestrictedEnvironment, check_expression

JOURNEY_PREFIX = "journey_"
INTERVIEW_PREFIX = "interview_"
NOTE = "counter_note"
_SANDBOX = RestrictedEnvironment()


def needed_answers(*, events: list[str], on: date, household: list[dict[str, Any]],
                   candidates: set[str]) -> set[str]:
    """The candidate answers some table reads for this household; all candidates if the household is unreadable."""
    needed: set[str] = set()
    for fill in (False, True):
        answers: dict[str, Any] = {}
        for _ in range(len(candidates) + 1):
            try:
                service.determine(events=events, event_date=on, household=household, answers=answers)
                break
            except Invalid as err:
                missing = set((err.details or {}).get("answers") or {})
                if not missing or not missing <= candidates or missing <= set(answers):
                    return set(candidates)  # a household we cannot judge yet: ask everything
                needed |= missing
                answers.update(dict.fromkeys(missing, fill))
    return needed


def _known(name: str, household: list[dict[str, Any]]) -> bool:
    if name not in facts.BOOL_FACTS and name not in facts.TEXT_FACTS:
        return False
    subjects = [m for m in household if m.get("subject")] or household
    return bool(subjects) and all(m.get(name) is not None for m in subjects)


def _visit(task: CaseTask) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    data = runtime.case_data(task.case)
    key = task.case.process_key
    own = [key.removeprefix(JOURNEY_PREFIX)] if key.startswith(JOURNEY_PREFIX) else []
    events = service.event_list([*own, *(data.get("events") or [])])
    resident_id = data.get("resident_id")
    household = list(data.get("household") or []) or (residents.household_for(resident_id) if resident_id else [])
    return events, household, data


def asked(*, form: FormDefinition, events: list[str], household: list[dict[str, Any]],
          on: date) -> dict[str, bool]:
    """Field name → whether the interview asks it for this visit."""
    conditional = [f for f in form.fields if f.ask_if]
    if not conditional:
        return {f.name: True for f in form.fields}
    candidates = {f.name for f in conditional}
    needed = needed_answers(events=events, on=on, household=household, candidates=candidates) if events else candidates
    result = {}
    for f in form.fields:
        if not f.ask_if:
            result[f.name] = True
            continue
        reason = check_expression(f.ask_if, mode="eval")
        if reason:
            raise Invalid(N_("様式 {form} の項目 {field}: 伺う条件（ask_if）の式は使えません（{reason}）",
                             form=form.key,
                             field=f.name, reason=reason),
                          details={"form": form.key, "field": f.name})
        scope = {"needed": f.name in needed, "known": _known(f.name, household), "events": events,
                 "household_size": len(household)}
        result[f.name] = bool(_SANDBOX.evaluate(f.ask_if, {}, external_context=scope))
    return result


def combined(form: FormDefinition, events: list[str]) -> FormDefinition:
    """An interview with the questions of every event of the visit: a combined visit (転入 + 証明書交付) asks
    what any of its events' tables reads before it determines. The event with a date of its own leads
    (a 転入 date, not the day of a certificate request); each question once, the counter's note last."""
    forms = [form]
    for event in sorted(events, key=lambda e: e == "shomei"):
        key = f"{INTERVIEW_PREFIX}{event}"
        if key != form.key and taskforms.exists(key):
            forms.append(taskforms.get(key))
    lead = next((f for f in forms if f.key != f"{INTERVIEW_PREFIX}shomei"), form)
    fields: dict[str, FormField] = {}
    for source in [lead, *forms]:
        for field in source.fields:
            fields.setdefault(field.name, field)
    ordered = [f for f in fields.values() if f.name != NOTE] + [f for f in fields.values() if f.name == NOTE]
    groups = tuple(dict.fromkeys(g for source in forms for g in source.at_least_one))
    return replace(form, fields=tuple(ordered), at_least_one=groups)


def _members_asked(fields: tuple[FormField, ...], household: list[dict[str, Any]], *, event: str,
                   on: date) -> tuple[FormMember, ...]:
    """Who each per-person question is asked of: the visit's subjects for whom its ``member_if`` holds."""
    per_person = [f for f in fields if f.per == "member"]
    if not per_person:
        return ()
    asked_of = []
    for index, member in enumerate(household):
        if not member.get("subject") or member.get("resident_id") is None:
            continue
        try:
            scope = facts.member_context(facts.normalise_member(member, index), event=event, on=on)
        except Invalid:  # a partial birth date (不詳日): no age to judge by, so not asked
            continue
        names = tuple(f.name for f in per_person
                      if not f.member_if or bool(_SANDBOX.evaluate(f.member_if, {}, external_context=scope)))
        if names:
            asked_of.append(FormMember(id=int(member["resident_id"]), name=str(member.get("name") or ""),
                                       fields=names))
    return tuple(asked_of)


def _on(data: dict[str, Any], now: datetime | None) -> date:
    """The day ages are judged on: the visit's event date when known, else today in Japan."""
    try:
        return date.fromisoformat(str(data.get("event_date")))
    except ValueError:
        return (now or utcnow()).astimezone(JST).date()


def form_for(*, task: CaseTask, now: datetime | None = None, on: date | None = None) -> FormDefinition | None:
    """The task's form as it asks now: for a visit's interview, the questions of all its events that this visit
    needs, the per-person ones with whom to ask (every other task: its form as defined)."""
    if not task.form_key:
        return None
    form = taskforms.get(task.form_key)
    if not task.form_key.startswith(INTERVIEW_PREFIX):
        return form
    events, household, data = _visit(task)
    form = combined(form, events)
    on = on or _on(data, now)
    shown = asked(form=form, events=events, household=household, on=on)
    fields = tuple(f for f in form.fields if shown[f.name])
    members = _members_asked(fields, household, event=events[0] if events else "", on=on)
    whose = {n for m in members for n in m.fields}
    fields = tuple(f for f in fields if f.per != "member" or f.name in whose)
    names = {f.name for f in fields}
    groups = tuple((kept, message) for group, message in form.at_least_one
                   if (kept := tuple(n for n in group if n in names)))
    return replace(form, fields=fields, members=members, at_least_one=groups)


def questions(*, task_id: int, actor: Actor) -> dict[str, Any]:
    """The questions a task asks now — one entry per person for a per-person question (``member``) — and those
    the visit does not need (by name); Forbidden outside its section."""
    task = access.task(actor=actor, task_id=task_id)
    form = form_for(task=task)
    if form is None:
        return {"form": task.form_key, "fields": [], "skipped": [], "at_least_one": []}
    shown = [Question(field=f) for f in form.visit_fields]
    shown += [Question(field=f, member=m.id, member_name=m.name) for f in form.member_fields
              for m in form.members if f.name in m.fields]
    names = {f.name for f in form.fields}
    full = taskforms.get(task.form_key).fields
    return {"form": task.form_key, "fields": shown, "skipped": [f.name for f in full if f.name not in names],
            "at_least_one": [{"fields": list(group), "message": message} for group, message in form.at_least_one]}


@dataclass(frozen=True)
class Question:
    """One question of a task as a client asks it: the field, and whose it is for a per-person question."""

    field: FormField
    member: int | None = None
    member_name: str = ""
