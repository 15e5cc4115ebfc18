"""Staff actions on a case's procedures: the dry run, adding a procedure with a reason, removing one with a reason.

An added procedure reaches its section as a BPMN message: every journey holds a non-interrupting event
subprocess ``added_procedures`` whose message start event (``add_procedure``) routes the procedure through an
exclusive gateway to a user task in the section's lane. Each message starts one more instance, and the case
only ends when every instance has finished, so the case cannot end before the added procedure is done or
removed. The routing hook records it as a :class:`CaseProcedure` linked to that task, like a determined one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.i18n import N_, state_name
from workflows import runtime
from workflows.determination import household as residents
from workflows.determination import service
from workflows.determination.facts import fill_from_answers
from workflows.determination.models import CaseProcedure
from workflows.determination.routing import SECTIONS

ADD_MESSAGE = "add_procedure"
STAFF_ROLES = ("counter", "section", "manager")
MANUAL_SEQ = 1000  # added procedures are numbered after this, so they never meet a determined one


def dry_run(*, events: list[str], event_date: date, actor: Actor, resident_id: int | None = None,
            household: list[dict[str, Any]] | None = None, answers: dict[str, Any] | None = None
            ) -> list[dict[str, Any]]:
    """The procedures a visit would trigger, changing nothing; reading a resident's household is logged."""
    if (resident_id is None) == (household is None):
        raise Invalid(N_("resident_id か household のどちらかを指定してください"), details={"field": "resident_id"})
    members = residents.household_for(resident_id) if resident_id is not None else list(household or [])
    given = dict(answers or {})
    found = service.determine(events=service.event_list(events), event_date=event_date,
                              household=fill_from_answers(members, given), answers=given)
    if resident_id is not None:
        audit.record(actor=actor, action="determination.dry_run", target_type="resident", target_id=resident_id,
                     details={"events": events, "procedures": [p["code"] for p in found]})
    return found


def _procedure_for(code: str, *, name: str | None, section: str | None) -> dict[str, Any]:
    known = service.catalogue().get(code)
    if known is None and not (name and section):
        raise Invalid(N_("手続 {code} はどの判定表にもありません。手続名と担当課を指定してください", code=code),
                      details={"field": "code"})
    base = dict(known or {"code": code, "forms": [], "deadline_days": 0, "bring": ""})
    base.update({k: v for k, v in {"name": name, "section": section}.items() if v})
    if base["section"] not in SECTIONS:
        raise Invalid(N_("課 {section} には業務フローのレーンがありません", section=base["section"]),
                      details={"field": "section"})
    return base


def add(*, case_id: int, code: str, reason: str, actor: Actor, name: str | None = None,
        section: str | None = None, subjects: list[int] | None = None, now: datetime | None = None) -> CaseProcedure:
    """Add a procedure to a running case with a reason: a new task in its section's lane; logged.

    ``subjects``: the people it is for (default: the case's resident), as they appear on screens and forms."""
    if not actor.has_role(*STAFF_ROLES):
        raise Forbidden(N_("手続を追加できるのは総合窓口・各課の職員と管理者だけです"))
    if not reason.strip():
        raise Invalid(N_("追加には理由が必要です"), details={"field": "reason"})
    case = runtime.get_case(case_id)
    if case.state != "running":
        raise Conflict(N_("受付番号 {case} は既に{state}です", case=case.id, state=state_name(case.state)),
                       details={"state": case.state})
    procedure = _procedure_for(code, name=name, section=section)
    data = runtime.case_data(case)
    event_date = data.get("event_date")
    due = service.due_date(date.fromisoformat(event_date), procedure["deadline_days"]) if event_date else None
    item = {"code": code, "name": procedure["name"], "section": procedure["section"], "forms": procedure["forms"],
            "due_date": due.isoformat() if due else None, "bring": procedure.get("bring", ""), "rule": "manual",
            "rule_text": f"職員が追加：{reason.strip()}", "subjects": _people(data, subjects or [case.resident_id]),
            "reason": reason, "added_by": actor.username}
    row = route_item(case_id=case.id, item=item, actor=actor, now=now)
    audit.record(actor=actor, action="procedure.add", target_type="case_procedure", target_id=row.id,
                 details={"case_id": case.id, "code": code, "section": row.section_code, "reason": reason})
    return row


def _people(data: dict[str, Any], ids: list[Any]) -> list[dict[str, Any]]:
    """Subjects as the determination writes them, from the visit's household (unknown ids are refused)."""
    known = {m.get("resident_id"): m for m in data.get("household") or [] if isinstance(m, dict)}
    people = []
    for i in (i for i in ids if i is not None):
        if known and i not in known:
            raise Invalid(N_("対象者は世帯の中から選んでください"), details={"field": "subjects"})
        people.append({"resident_id": i, "name": (known.get(i) or {}).get("name"), "rule": "manual", "reason": ""})
    return people


def route_item(*, case_id: int, item: dict[str, Any], actor: Actor, now: datetime | None = None) -> CaseProcedure:
    """Send one procedure (a determination's item: code, name, section, forms, due date, subjects …) to its
    section's lane of a running case as the ``add_procedure`` message; the routing hook records it."""
    case = runtime.get_case(case_id)
    existing = db.session.scalars(db.select(CaseProcedure).where(CaseProcedure.case_id == case.id)).all()
    if any(p.code == item["code"] and p.state == "open" for p in existing):
        raise Conflict(N_("手続 {code} は受付番号 {case} で既に受付中です", code=item["code"], case=case.id),
                       details={"code": item["code"]})
    seq = max([p.seq or 0 for p in existing] + [MANUAL_SEQ]) + 1  # clear of the determination's 1..n
    runtime.send_message(case_id=case.id, name=ADD_MESSAGE, payload={**item, "seq": seq}, actor=actor, now=now)
    row = db.session.scalar(db.select(CaseProcedure).where(CaseProcedure.case_id == case.id,
                                                           CaseProcedure.seq == seq))
    if row is None:
        raise Invalid(N_("業務フロー {process} には追加した手続を受けるレーンのタスクがありません",
                         process=case.process_key),
                      details={"process_key": case.process_key})
    row.created_by = actor.username
    db.session.flush()
    return row


def remove(*, case_id: int, procedure_id: int, reason: str, actor: Actor,
           now: datetime | None = None) -> CaseProcedure:
    """Remove an open procedure with a reason by completing its task as cancelled (logged as procedure.remove)."""
    procedure = db.session.get(CaseProcedure, procedure_id)
    if procedure is None or procedure.case_id != case_id:
        raise NotFound(N_("手続 {procedure} は案件 {case} の手続ではありません", procedure=procedure_id, case=case_id),
                       details={"procedure_id": procedure_id})
    if procedure.state != "open" or procedure.task_id is None:
        raise Conflict(N_("手続 {procedure} は既に{state}です", procedure=procedure_id,
                          state=state_name(procedure.state)),
                       details={"state": procedure.state})
    if not reason.strip():
        raise Invalid(N_("取りやめには理由が必要です"), details={"field": "reason"})
    own_section = actor.role == "section" and procedure.section_code in actor.sections
    if not (own_section or actor.has_role("counter", "manager")):
        raise Forbidden(N_("手続 {procedure} は課 {section} の手続です（担当課ではありません）", procedure=procedure_id,
                                  section=procedure.section_code),
                        details={"section": procedure.section_code})
    runtime.complete_task(task_id=procedure.task_id, data={"outcome": "cancelled", "reason": reason}, actor=actor,
                          now=now or utcnow(), section_checked=True)
    db.session.refresh(procedure)
    return procedure
