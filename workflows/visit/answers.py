"""The counter's steps on a visit's printed forms: what is still to ask, the answers, the documents, the hand-over.

Printed forms take what the resident DB, the start of the visit (who is concerned, the 届出人) and the interview
know (``workflows.visit.context``); what none of them knows (a previous address, a bank account, how a seal
applicant proves who they are …) is asked by :func:`questions`: a field mapped to ``answers.<key>`` is the visit's
answer, asked once and shared by every form that maps it (the previous address, the date moved in); a field mapped
to ``person.<key>`` is a person's answer, asked once per person and shared by that person's forms (the 手帳番号 on
the 重度医療 申請 and on the 手帳 居住地変更届); any other field is its form's own question (``<form key>.<field>``:
the copies of one certificate are not those of another), asked once for a household form and once per person for
a per-person form.

:func:`save_answers` checks them against every form that uses them and keeps them apart from the journey's data
(``workflows.visit.form_answers``); :func:`prepare_documents` saves and generates. :func:`hand_over` is the
counter's last step: the resident has signed, the documents are regenerated with the signature, and the hand-over
to the sections is recorded on the case and in the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import audit
from core.actor import Actor
from core.db import utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.i18n import N_, state_name
from forms import printforms, taskforms
from forms.taskforms import FormField
from workflows import runtime
from workflows.models import Case
from workflows.visit import context as ctx
from workflows.visit import documents, form_answers, signatures
from workflows.visit.models import CaseDocument

COUNTER_ROLES = ("counter",)
# Answers that default to another answer the visit already has (the counter confirms instead of retyping).
DEFAULTS = {"moved_in_on": "event_date"}
HANDED_OVER = documents.HANDED_OVER


@dataclass(frozen=True)
class Question:
    """One answer the visit's forms need: the field as the first form defines it, which forms use it, and —
    for a per-person answer — whose it is (``member``)."""

    key: str
    field: FormField
    forms: tuple[str, ...]
    required: bool
    default: Any
    member: int | None = None
    member_name: str = ""

    @property
    def name(self) -> str:
        """The name it is submitted under (``members.<id>.<key>`` for a per-person answer)."""
        return f"{taskforms.MEMBERS}.{self.member}.{self.key}" if self.member is not None else self.key


def _printed(keys: list[str]) -> list[printforms.PrintForm]:
    found = []
    for key in keys:
        try:
            found.append(printforms.get(key))
        except NotFound:
            continue  # a form key without a printed form: nothing to ask (generation reports it)
    return found


def _answer_key(form: printforms.PrintForm, field: FormField) -> tuple[str, bool] | None:
    """(the answer a field is filled from, whether it is the visit's); None when the DB or the visit fills it."""
    path = form.mapping.get(field.name)
    if path is None:
        return printforms.own_answer(form, field.name), form.per != "member"
    key = printforms.answer_key(path)
    if key is None:
        return None
    # a person's answer (whichever of their forms asks it) is theirs on a per-person form; the visit's is shared
    return key, (form.per != "member" if path.startswith(printforms.PERSON_PREFIX) else True)


def _uses(case_id: int, visit: dict[str, Any]) -> Iterator[tuple[printforms.PrintForm, dict[str, Any] | None]]:
    """Every (form, person) the open procedures print: the person for a per-person form, None for the visit's."""
    seen: set[tuple[str, Any]] = set()
    for proc in ctx.procedures(case_id):
        if proc.state != "open":
            continue
        for form in _printed(proc.forms):
            ids = documents.subject_ids(proc.subject_data)
            targets = ([p for p in visit["members"] if p["id"] in ids] or [visit["subject"]]
                       if form.per == "member" else [None])
            for target in targets:
                mark = (form.key, target["id"] if target else None)
                if mark not in seen:
                    seen.add(mark)
                    yield form, target


def questions(*, case_id: int, everything: bool = False) -> list[Question]:
    """The answers the open procedures' forms still need (``everything``: also those already answered)."""
    visit = ctx.visit_context(runtime.get_case(case_id))
    asked: dict[tuple[int | None, str], Question] = {}
    for form, target in _uses(case_id, visit):
        member = None if target is None else target["id"]
        own = visit["member_answers"].get(str(member), {}) if member is not None else {}
        for field in form.definition.fields:
            found = _answer_key(form, field)
            if found is None:
                continue
            key, shared = found
            whose = None if shared else member
            answers = visit["answers"] if whose is None else own
            if not everything and answers.get(key) not in (None, ""):
                continue
            mark = (whose, key)
            if mark in asked:
                q = asked[mark]
                forms = q.forms if form.title in q.forms else (*q.forms, form.title)
                asked[mark] = Question(key, q.field, forms, q.required or field.required, q.default,
                                       q.member, q.member_name)
                continue
            default = answers.get(key, visit["answers"].get(DEFAULTS.get(key, ""), ""))
            if default in (None, "") and field.name in form.defaults:
                default = _default(form, field, visit, target)
            asked[mark] = Question(key, field, (form.title,), field.required, default, whose,
                                   target["name"] if whose is not None and target else "")
    order = {p["id"]: i for i, p in enumerate(visit["members"])}  # the visit's order: as the household lists them
    return sorted(asked.values(), key=lambda q: (q.member is not None, order.get(q.member, len(order))))


def _default(form: printforms.PrintForm, field: FormField, visit: dict[str, Any],
             target: dict[str, Any] | None) -> Any:
    """What the form's ``defaults`` say a question starts with, read from the document's own context (the
    届出人's relation to that person); a value its choices do not offer starts the question empty."""
    value = printforms.default_value(form.defaults[field.name], documents.target_context(visit, target, form))
    if value is None or (field.choices and str(value) not in {v for v, _label in field.choices}):
        return ""
    return value


def by_person(questions_: list[Question]) -> list[tuple[str, list[Question]]]:
    """The questions grouped as the page shows them: the visit's first, then each person's, in order."""
    groups: dict[int | None, tuple[str, list[Question]]] = {}
    for q in questions_:
        groups.setdefault(q.member, (q.member_name, []))[1].append(q)
    return list(groups.values())


def _check(actor: Actor) -> None:
    if not actor.has_role(*COUNTER_ROLES):
        raise Forbidden(N_("来庁の書類を用意できるのは総合窓口の職員だけです"))


def _validate(case_id: int, visit: dict[str, Any], given: dict[tuple[int | None, str], Any]) -> dict[Any, Any]:
    """The submitted answers checked against every form that uses them; Invalid names each field."""
    local_visit = {**visit, "answers": {**visit["answers"], **{k: v for (m, k), v in given.items() if m is None}}}
    members = {str(m): {k: v for (mm, k), v in given.items() if mm == m} for (m, _k) in given if m is not None}
    local_visit["member_answers"] = {**visit["member_answers"],
                                     **{m: {**visit["member_answers"].get(m, {}), **a} for m, a in members.items()}}
    errors: dict[str, list[str]] = {}
    cleaned: dict[tuple[int | None, str], Any] = {}
    for form, target in _uses(case_id, local_visit):
        member = None if target is None else target["id"]
        keys = {f.name: _answer_key(form, f) for f in form.definition.fields}
        marks = {n: (None if k[1] else member, k[0]) for n, k in keys.items() if k is not None}
        context = documents.target_context(local_visit, target, form)
        try:
            loaded = taskforms.validate_data(form.key, printforms.raw_values(form, context))
        except Invalid as err:  # errors on DB-filled fields are generation's to report, not the counter's
            failed = {n: m for n, m in err.details.get("fields", {}).items() if marks.get(n) in given}
            for name, messages in failed.items():
                errors.setdefault(_submitted(marks[name]), list(messages) if isinstance(messages, list)
                                  else [str(messages)])
            loaded = {n: given[marks[n]] for n in marks if marks[n] in given and n not in failed}
        cleaned.update({marks[n]: v for n, v in loaded.items() if marks.get(n) in given})
    if errors:
        raise Invalid(N_("書類の記入事項に誤りがあります"), details={"fields": errors})
    return cleaned


def _submitted(mark: tuple[int | None, str]) -> str:
    member, key = mark
    return key if member is None else f"{taskforms.MEMBERS}.{member}.{key}"


def save_answers(*, case_id: int, answers: dict[str, Any], members: dict[str, dict[str, Any]] | None = None,
                 actor: Actor) -> list[str]:
    """Store the visit's answers (validated by every form that uses them, logged); Invalid names a field the
    forms do not ask — nothing else is stored. Returns the names of the answers stored."""
    _check(actor)
    case = runtime.get_case(case_id)
    if case.state != "running":
        raise Conflict(N_("受付番号 {case} は既に{state}です", case=case.id, state=state_name(case.state)),
                       details={"state": case.state})
    asked = {(q.member, q.key) for q in questions(case_id=case_id, everything=True)}
    given: dict[tuple[int | None, str], Any] = {(None, k): v for k, v in answers.items()}
    for member, values in (members or {}).items():
        if not str(member).isdigit() or not isinstance(values, dict):
            raise Invalid(N_("書類の記入事項に誤りがあります"),
                          details={"fields": {f"{taskforms.MEMBERS}.{member}": ["この方には伺いません"]}})
        given.update({(int(member), k): v for k, v in values.items()})
    unknown = [_submitted(m) for m in given if m not in asked]
    if unknown:
        raise Invalid(N_("書類が伺わない事項です"),
                      details={"fields": {n: ["この書類では伺いません"] for n in unknown}})
    cleaned = _validate(case_id, ctx.visit_context(case), given)
    if cleaned:
        visit = {k: v for (m, k), v in cleaned.items() if m is None}
        per_person: dict[str, dict[str, Any]] = {}
        for (m, k), v in cleaned.items():
            if m is not None:
                per_person.setdefault(str(m), {})[k] = v
        form_answers.merge(case_id=case.id, visit=visit, members=per_person, by=actor.username)
        audit.record(actor=actor, action="case.answers", target_type="case", target_id=case.id,
                     details={"fields": sorted(_submitted(m) for m in cleaned), "resident_id": case.resident_id})
    return sorted(_submitted(m) for m in cleaned)


def prepare_documents(*, case_id: int, values: dict[str, Any], actor: Actor, status_url: str,
                      members: dict[str, dict[str, Any]] | None = None) -> list[CaseDocument]:
    """Store the visit's answers (see :func:`save_answers`) and generate its documents for preview."""
    asked = {q.name for q in questions(case_id=case_id, everything=True)}
    save_answers(case_id=case_id, answers={k: v for k, v in values.items() if k in asked},
                 members=members, actor=actor)
    return documents.generate_visit(case_id=case_id, actor=actor, status_url=status_url)


def follow_event_date(*, case_id: int, old: str | None, new: str, actor: Actor) -> None:
    """A corrected event date moves the answers that defaulted to it and still hold the old date."""
    stored = form_answers.stored(case_id)["visit"]
    moved = {k: new for k, source in DEFAULTS.items() if source == "event_date" and old and stored.get(k) == old}
    if moved:
        form_answers.merge(case_id=case_id, visit=moved, members={}, by=actor.username)


def hand_over(*, case_id: int, actor: Actor, status_url: str, now: datetime | None = None) -> list[CaseDocument]:
    """The resident has signed: regenerate the documents with the signature and record the hand-over."""
    _check(actor)
    now = now or utcnow()
    case = runtime.get_case(case_id)
    if handed_over(case) is not None:
        raise Conflict(N_("受付番号 {case} は既に各課へ送付済みです", case=case.id), details={"state": "handed_over"})
    if any(p.forms for p in ctx.procedures(case_id)) and signatures.get(case_id) is None:
        raise Invalid(N_("申請書に署名がありません。署名（タブレット）を先に行ってください。"),
                      details={"signature": "required"})
    made = documents.generate_visit(case_id=case_id, actor=actor, status_url=status_url)
    runtime.correct_data(case=case, values={HANDED_OVER: now.isoformat(), "handed_over_by": actor.username},
                         now=now)
    case.awaiting_hand_over = False  # the sections may work its procedures now
    audit.record(actor=actor, action="case.hand_over", target_type="case", target_id=case.id,
                 details={"documents": len(made), "resident_id": case.resident_id})
    return made


def handed_over(case: Case) -> str | None:
    """When the counter handed the visit over to the sections (ISO time), else None."""
    return runtime.case_data(case).get(HANDED_OVER)
