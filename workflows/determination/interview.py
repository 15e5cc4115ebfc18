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
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from core.actor import Actor
from core.errors import Invalid
from forms import taskforms
from forms.taskforms import FormDefinition
from workflows import access, runtime
from workflows.determination import facts, service
from workflows.determination import household as residents
from workflows.models import CaseTask
from workflows.scripting import RestrictedEnvironment, check_expression

JOURNEY_PREFIX = "journey_"
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


def _visit(task: CaseTask) -> tuple[list[str], list[dict[str, Any]]]:
    data = runtime.case_data(task.case)
    key = task.case.process_key
    own = [key.removeprefix(JOURNEY_PREFIX)] if key.startswith(JOURNEY_PREFIX) else []
    events = service.event_list([*own, *(data.get("events") or [])])
    resident_id = data.get("resident_id")
    household = residents.household_for(resident_id) if resident_id else list(data.get("household") or [])
    return events, household


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
            raise Invalid(f"form {form.key}, field {f.name}: ask_if refused ({reason})",
                          details={"form": form.key, "field": f.name})
        scope = {"needed": f.name in needed, "known": _known(f.name, household), "events": events,
                 "household_size": len(household)}
        result[f.name] = bool(_SANDBOX.evaluate(f.ask_if, {}, external_context=scope))
    return result


def form_for(*, task: CaseTask, on: date | None = None) -> FormDefinition | None:
    """The task's form with only the questions this visit needs (every field for other tasks)."""
    if not task.form_key:
        return None
    form = taskforms.get(task.form_key)
    if not any(f.ask_if for f in form.fields):
        return form
    events, household = _visit(task)
    shown = asked(form=form, events=events, household=household, on=on or date.today())
    return replace(form, fields=tuple(f for f in form.fields if shown[f.name]))


def questions(*, task_id: int, actor: Actor) -> dict[str, Any]:
    """The questions a task asks now and those the visit does not need (by name); Forbidden outside its section."""
    task = access.task(actor=actor, task_id=task_id)
    form = form_for(task=task)
    full = taskforms.get(task.form_key) if task.form_key else None
    shown = list(form.fields) if form else []
    names = {f.name for f in shown}
    return {"form": task.form_key, "fields": shown,
            "skipped": [f.name for f in (full.fields if full else ()) if f.name not in names]}
