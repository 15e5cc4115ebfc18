"""What a section sees on a task of a visit, so it can work without opening anything else: the household, the
person(s) the procedure is for, why, what to bring, the visit's PDFs for that procedure, the 届出人 and the
counter's note. Addresses are shown as ``residents.protection.shown_address`` gives them (支援措置)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import defer, undefer

from core import users
from core.db import db
from forms import taskforms, wareki
from residents import protection
from residents.models import Resident
from workflows import runtime
from workflows.determination.models import CaseProcedure
from workflows.models import CaseTask
from workflows.visit import guide
from workflows.visit.models import CaseDocument

COUNTER_NOTE = "counter_note"


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    kana: str
    relation: str
    birth: str
    address: str
    subject: bool
    protected: bool


@dataclass(frozen=True)
class SectionView:
    """The visit as the section's task page shows it."""

    household: tuple[Person, ...]
    procedure: guide.ProcedureView | None
    documents: tuple[tuple[CaseDocument, str], ...]  # each PDF with the name(s) of whom it is for
    counter_note: str
    event_date: str
    notifier: str
    answers: list[tuple[str, str]] = field(default_factory=list)


def _person(resident: Resident, subjects: set[int]) -> Person:
    return Person(id=resident.id, name=resident.name, kana=resident.name_kana or "",
                  relation=resident.relation or "", birth=_birth(resident),
                  address=protection.shown_address(resident), subject=resident.id in subjects,
                  protected=protection.household_protected(resident))


def _birth(resident: Resident) -> str:
    try:
        return wareki.to_wareki(resident.birth_date_text or resident.birth_date, foreign=resident.resident_type == "2")
    except ValueError:
        return resident.birth_date_text or ""


def _notifier(data: dict[str, Any], people: dict[int, Resident]) -> str:
    given = data.get("notifier") if isinstance(data.get("notifier"), dict) else {}
    if given.get("resident_id") in people:
        member = people[given["resident_id"]]
        return f"{member.name}（{member.relation or '世帯員'}）"
    return f"{given.get('name', '')}（{given.get('relation', '')}）" if given.get("name") else ""


def _documents(case_id: int, proc: CaseProcedure | None,
               people: dict[int, Resident]) -> tuple[tuple[CaseDocument, str], ...]:
    if proc is None:
        return ()
    ids = set(proc.subject_ids)
    rows = db.session.scalars(db.select(CaseDocument).options(defer(CaseDocument.pdf))
                              .where(CaseDocument.case_id == case_id, CaseDocument.kind == "form")
                              .order_by(CaseDocument.id))
    mine = [d for d in rows if d.form_key in proc.forms and (not ids or not d.subject_ids or ids & set(d.subject_ids))]
    return tuple((d, "・".join(people[i].name for i in d.subject_ids if i in people)) for d in mine)


def for_task(task: CaseTask, *, hidden: set[str] | frozenset[str] = frozenset()) -> SectionView:
    """The section's view of ``task``'s visit (the caller has checked that the actor may see the task; ``hidden``:
    the need-to-know fields they may not see, ``workflows.access.hidden_fields``)."""
    data = runtime.case_data(task.case)
    ids = [i for i in data.get("member_ids") or [] if isinstance(i, int)] or (
        [task.case.resident_id] if task.case.resident_id else [])
    people = {r.id: r for r in db.session.scalars(db.select(Resident).where(Resident.id.in_(ids)))}
    subjects = set(data.get("subject_ids") or [])
    proc = db.session.scalar(db.select(CaseProcedure).where(CaseProcedure.task_id == task.id))
    sections = {s.code: s.name for s in users.list_sections()}
    interview = (data.get("answers") or {}) if isinstance(data.get("answers"), dict) else {}
    return SectionView(
        household=tuple(_person(people[i], subjects) for i in ids if i in people),
        procedure=guide.view(proc, sections) if proc else None, documents=_documents(task.case_id, proc, people),
        counter_note=str(interview.get(COUNTER_NOTE) or data.get(COUNTER_NOTE) or ""),
        event_date=wareki.to_wareki(data["event_date"]) if data.get("event_date") else "",
        notifier=_notifier(data, people), answers=readable_answers(task.form_key, task.answers, hidden=hidden))


def _shown(f: taskforms.FormField, value: Any) -> str:
    if f.type == "choice":
        return str(dict(f.choices).get(str(value), value))
    if f.type == "boolean":
        return "はい" if value in (True, "true") else "いいえ"
    return wareki.to_wareki(value) if f.type == "date" else str(value)


def readable_answers(form_key: str | None, answers: dict[str, Any], names: dict[str, str] | None = None, *,
                     hidden: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """A task's own answers as people read them: (label, value) in the form's order — a choice by its label,
    a box as はい/いいえ, a date in 和暦; a per-person answer labelled with the person's name (``names`` by id).
    ``hidden`` fields (need to know, docs/security.md) are left out."""
    if not form_key or not answers or not taskforms.exists(form_key):
        return []
    shown = []
    fields = [f for f in taskforms.get(form_key).fields if f.name not in hidden]
    for f in fields:
        value = answers.get(f.name)
        if value not in (None, "") and f.per != "member":
            shown.append((f.label, _shown(f, value)))
    for member, own in (answers.get(taskforms.MEMBERS) or {}).items():
        for f in (f for f in fields if f.per == "member" and (own or {}).get(f.name) not in (None, "")):
            shown.append((f"{f.label}（{(names or {}).get(str(member), member)}）", _shown(f, own[f.name])))
    return shown


@dataclass(frozen=True)
class Answered:
    """One task of a case with its own answers: a procedure's (with the procedure) or the interview's."""

    title: str
    section: str | None
    procedure: guide.ProcedureView | None
    answers: list[tuple[str, str]]
    shown: bool  # False: another section's answers, which this user does not see


def answers_by_task(*, case_id: int, sections: tuple[str, ...] | None,
                    hidden: set[str] | frozenset[str] = frozenset()) -> list[Answered]:
    """Every completed task's answers, per procedure (``sections``: the sections whose answers the user sees;
    None = all, for the counter and managers; ``hidden``: need-to-know fields they may not see)."""
    names = {s.code: s.name for s in users.list_sections()}
    by_task = {p.task_id: p for p in db.session.scalars(db.select(CaseProcedure)
                                                      .where(CaseProcedure.case_id == case_id))}
    tasks = db.session.scalars(db.select(CaseTask).options(undefer(CaseTask.form_data))
                               .where(CaseTask.case_id == case_id).order_by(CaseTask.id))
    household = runtime.case_data(runtime.get_case(case_id)).get("household") or []
    people = {str(m.get("resident_id")): str(m.get("name") or "") for m in household if isinstance(m, dict)}
    result = []
    for task in tasks:
        proc = by_task.get(task.id)
        if task.state != "completed" and proc is None:
            continue
        shown = sections is None or task.section_code in sections
        result.append(Answered(title=task.title, section=task.section_code,
                               procedure=guide.view(proc, names) if proc else None,
                               answers=(readable_answers(task.form_key, task.answers, people, hidden=hidden)
                                        if shown else []),
                               shown=shown))
    return result
