"""Routing: the ``determination.route`` operation journeys call (:data:`ROUTE`), and the case hook that mirrors
procedures (:func:`on_case_saved`).

A journey's service task determines the procedures and returns them grouped by section; each section lane
holds one parallel multi-instance user task over its group (``item`` = the procedure), so every procedure is
one task in its section's inbox. The hook (installed in ``workflows.wiring`` by the factory) records each routed
procedure as a :class:`CaseProcedure` linked to its task, names the task after the procedure with its legal due
date, and closes the procedure when the section completes the task (done, or cancelled with a reason).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import bindparam, update

from core import audit
from core.actor import Actor
from core.db import db
from core.errors import Invalid
from core.i18n import N_
from workflows.determination import facts, service
from workflows.determination import household as residents
from workflows.determination.models import CaseProcedure
from workflows.models import PROCEDURE_FORM, Case, CaseTask
from workflows.wiring import Operation

SECTIONS = ("shimin", "hoken", "kodomo", "gakko", "kourei", "kankyo", "zeimu")
CLOSING_TIME = time(8, 15, tzinfo=UTC)  # 17:15 JST, when the counters close


def _answer(value: Any) -> Any:
    """An interview answer as a table reads it: a box left unticked is a "no"; a choice stays what was chosen."""
    return value if isinstance(value, str) and value not in ("true", "false") else value in (True, "true")


def route(*, event: str | list[str], event_date: str, household: list[dict[str, Any]] | None,
          resident_id: int | None, answers: dict[str, Any] | None,
          members: dict[str, dict[str, Any]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The determined procedures grouped by section code (every section present, maybe empty) plus ``all``.

    ``event`` is one event or the list of a combined visit (e.g. 転入 with a newborn: ``["tennyu", "shussei"]``);
    the procedures of every event are unioned without duplicates. ``members`` are the per-person answers
    (``{resident id: {...}}``). A running case is never stopped for an answer nobody gave: it is a "no"
    (the interview asks every answer a table of the visit's events reads, see ``interview``)."""
    events = service.event_list(event)
    # The counter passes the household with who the event is about (e.g. the whole family moving in); without it,
    # the resident DB's household with the case's resident as the only subject.
    people = list(household) if household else residents.household_for(resident_id) if resident_id else []
    cleaned = {k: _answer(v) for k, v in (answers or {}).items()}
    own = {str(k): {n: _answer(v) for n, v in (a or {}).items()} for k, a in (members or {}).items()}
    procedures = service.determine(events=events, event_date=date.fromisoformat(str(event_date)),
                                   household=facts.fill_from_answers(people, cleaned), answers=cleaned,
                                   member_answers=own, strict=False)
    routed: dict[str, list[dict[str, Any]]] = {code: [] for code in SECTIONS}
    for seq, procedure in enumerate(procedures, start=1):
        if procedure["section"] not in routed:
            raise ValueError(f"{procedure['rule']}: section {procedure['section']!r} has no lane in the journeys")
        routed[procedure["section"]].append({**procedure, "seq": seq})
    return {**routed, "all": [p for code in SECTIONS for p in routed[code]]}


ROUTE = Operation("determination.route", route, description="関連手続を判定し、担当課ごとに振り分ける",
                  params={"event": "any", "event_date": "str", "household": "any", "resident_id": "any",
                          "answers": "any", "members": "any"}, optional=frozenset({"members"}))


def on_case_saved(*, case: Case, ready: list[Any], opened: list[Any],
                  completed: tuple[CaseTask, dict[str, Any]] | None, now: datetime) -> None:
    """Record newly routed procedures against their tasks; close the procedure of a completed task.

    Only the tasks this step ``opened`` can carry a procedure not yet recorded (every task's procedure is
    recorded in the step that opens it), so the others are not looked at again on every save."""
    items = [h for h in opened if getattr(h, "item", None) and "seq" in h.item and "code" in h.item]
    if items:
        _record(case, items)
    if completed is not None and completed[0].form_key == PROCEDURE_FORM:  # only procedure tasks close one
        _close(case, *completed, now=now)


def _record(case: Case, items: list[Any]) -> None:
    known = {p.seq for p in db.session.scalars(db.select(CaseProcedure).where(CaseProcedure.case_id == case.id))}
    rows = {t.task_uuid: t for t in db.session.scalars(
        db.select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.task_uuid.in_([h.uuid for h in items])))}
    for human in items:
        item, row = human.item, rows.get(human.uuid)
        if item["seq"] in known or row is None:
            continue
        due = date.fromisoformat(item["due_date"]) if item.get("due_date") else None
        row.title = str(item["name"])[:200]
        row.due_at = datetime.combine(due, CLOSING_TIME) if due else row.due_at
        db.session.add(CaseProcedure(case_id=case.id, code=item["code"], name=item["name"],
                                     section_code=item["section"], form_keys=json.dumps(item.get("forms", [])),
                                     due_date=due, rule=item["rule"], seq=item["seq"], task_id=row.id,
                                     subject=json.dumps(item.get("subjects", []), ensure_ascii=False),
                                     rule_text=item.get("rule_text") or item.get("reason") or None,
                                     bring=item.get("bring") or None, created_by=case.created_by))
    db.session.flush()


_PROCEDURES = CaseProcedure.__table__
# One statement closes the open procedure of a completed task and says which it was (every procedure task pays it).
_CLOSE = (update(_PROCEDURES)
          .where(_PROCEDURES.c.task_id == bindparam("for_task"), _PROCEDURES.c.state == "open")
          .values(state=bindparam("state"), reason=bindparam("reason"), completed_at=bindparam("completed_at"))
          .returning(_PROCEDURES.c.id, _PROCEDURES.c.code))


def _close(case: Case, task: CaseTask, data: dict[str, Any], *, now: datetime) -> None:
    cancelled = data.get("outcome") == "cancelled"
    reason = data.get("reason") if cancelled else None
    closed = db.session.connection().execute(  # Core on the session's connection: skips the ORM execute path
        _CLOSE, {"for_task": task.id, "state": "removed" if cancelled else "done", "reason": reason,
                 "completed_at": now}).one_or_none()
    if closed is None:
        return
    if cancelled and not (reason or "").strip():  # raised after the UPDATE: the caller's rollback undoes it
        raise Invalid(N_("取りやめには理由が必要です"),
                      details={"fields": {"reason": ["取りやめの理由を記入してください"]}})
    audit.record(actor=Actor(username=task.completed_by or "system", role="section"),
                 action="procedure.remove" if cancelled else "procedure.done", target_type="case_procedure",
                 target_id=closed.id, details={"case_id": case.id, "code": closed.code, "reason": reason})
