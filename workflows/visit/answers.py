"""The counter's steps on a visit's printed forms: what is still to ask, the answers, the documents, the hand-over.

Printed forms take what the resident DB and the interview know (``workflows.visit.context``); what neither knows (a
previous address, a bank account, a previous school …) is asked once for the whole visit by :func:`questions`,
each answer shared by every form that needs it, and stored with the case by :func:`prepare_documents`, which then
generates the documents. :func:`hand_over` is the counter's last step: the resident has signed, the documents
are regenerated with the signature, and the hand-over to the sections is recorded on the case and in the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import audit
from core.actor import Actor
from core.db import utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from forms import printforms, taskforms
from forms.taskforms import FormField
from workflows import caserows, runtime
from workflows.models import Case
from workflows.visit import context as ctx
from workflows.visit import documents, signatures
from workflows.visit.models import CaseDocument

COUNTER_ROLES = ("counter",)
ANSWER_PREFIX = "answers."
# Answers that default to another answer the visit already has (the counter confirms instead of retyping).
DEFAULTS = {"moved_in_on": "event_date"}
HANDED_OVER = "handed_over_at"


@dataclass(frozen=True)
class Question:
    """One answer the visit's forms need: the field as the first form defines it, and which forms use it."""

    key: str
    field: FormField
    forms: tuple[str, ...]
    required: bool
    default: Any


def _printed(keys: list[str]) -> list[printforms.PrintForm]:
    found = []
    for key in keys:
        try:
            found.append(printforms.get(key))
        except NotFound:
            continue  # a form key without a printed form: nothing to ask (generation reports it)
    return found


def _form_keys(case_id: int) -> list[str]:
    return list(dict.fromkeys(k for p in ctx.procedures(case_id) if p.state == "open" for k in p.forms))


def _answer_key(form: printforms.PrintForm, field: FormField) -> str | None:
    """The interview answer a field is filled from; None when the DB (person, household, case) fills it."""
    path = form.mapping.get(field.name)
    if path is None:
        return field.name
    return path.removeprefix(ANSWER_PREFIX) if path.startswith(ANSWER_PREFIX) else None


def questions(*, case_id: int, everything: bool = False) -> list[Question]:
    """The answers the open procedures' forms still need (``everything``: also those already answered)."""
    answers = ctx.visit_context(runtime.get_case(case_id))["answers"]
    asked: dict[str, Question] = {}
    for form in _printed(_form_keys(case_id)):
        for field in form.definition.fields:
            key = _answer_key(form, field)
            if key is None or (not everything and answers.get(key) not in (None, "")):
                continue
            if key in asked:
                q = asked[key]
                asked[key] = Question(key, q.field, (*q.forms, form.title), q.required or field.required, q.default)
                continue
            default = answers.get(key, answers.get(DEFAULTS.get(key, ""), ""))
            asked[key] = Question(key, field, (form.title,), field.required, default)
    return list(asked.values())


def _check(actor: Actor) -> None:
    if not actor.has_role(*COUNTER_ROLES):
        raise Forbidden("only counter staff prepare a visit's documents")


def _validate(case: Case, values: dict[str, Any]) -> dict[str, Any]:
    """The submitted answers checked against every form that uses them; Invalid names each field."""
    visit = ctx.visit_context(case)
    local = {**visit, "answers": {**visit["answers"], **values}}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for form in _printed(_form_keys(case.id)):
        keys = {f.name: _answer_key(form, f) for f in form.definition.fields}
        try:
            loaded = taskforms.validate_data(form.key, printforms.raw_values(form, local))
        except Invalid as err:  # errors on DB-filled fields are generation's to report, not the counter's
            failed = {keys[n]: m for n, m in err.details.get("fields", {}).items() if keys.get(n) in values}
            for key, messages in failed.items():
                errors.setdefault(key, list(messages) if isinstance(messages, list) else [str(messages)])
            loaded = {n: values[k] for n, k in keys.items() if k in values and k not in failed}
        cleaned.update({keys[n]: v for n, v in loaded.items() if keys.get(n) in values})
    if errors:
        raise Invalid("書類の記入事項に誤りがあります", details={"fields": errors})
    return cleaned


def _store(case: Case, values: dict[str, Any], *, now: datetime) -> None:
    """Merge ``values`` into the case's workflow data (the version column guards a concurrent change)."""
    workflow = runtime.load_workflow(case)
    workflow.data.update(values)
    caserows.write_case(case, workflow, runtime.engine(), now=now)


def prepare_documents(*, case_id: int, values: dict[str, str], actor: Actor, status_url: str,
                      now: datetime | None = None) -> list[CaseDocument]:
    """Store the visit's answers (validated, logged) and generate its documents for preview."""
    _check(actor)
    case = runtime.get_case(case_id)
    if case.state != "running":
        raise Conflict(f"case {case.id} is already {case.state}", details={"state": case.state})
    asked = {q.key for q in questions(case_id=case_id, everything=True)}
    submitted = {k: v for k, v in values.items() if k in asked}
    cleaned = _validate(case, submitted)
    if cleaned:
        _store(case, cleaned, now=now or utcnow())
        audit.record(actor=actor, action="case.answers", target_type="case", target_id=case.id,
                     details={"fields": sorted(cleaned), "resident_id": case.resident_id})
    return documents.generate_visit(case_id=case_id, actor=actor, status_url=status_url)


def hand_over(*, case_id: int, actor: Actor, status_url: str, now: datetime | None = None) -> list[CaseDocument]:
    """The resident has signed: regenerate the documents with the signature and record the hand-over."""
    _check(actor)
    now = now or utcnow()
    case = runtime.get_case(case_id)
    if handed_over(case) is not None:
        raise Conflict(f"case {case.id} was already handed over", details={"state": "handed_over"})
    if _form_keys(case_id) and signatures.get(case_id) is None:
        raise Invalid("申請書に署名がありません。署名（タブレット）を先に行ってください。",
                      details={"signature": "required"})
    made = documents.generate_visit(case_id=case_id, actor=actor, status_url=status_url)
    _store(case, {HANDED_OVER: now.isoformat(), "handed_over_by": actor.username}, now=now)
    audit.record(actor=actor, action="case.hand_over", target_type="case", target_id=case.id,
                 details={"documents": len(made), "resident_id": case.resident_id})
    return made


def handed_over(case: Case) -> str | None:
    """When the counter handed the visit over to the sections (ISO time), else None."""
    return runtime.case_data(case).get(HANDED_OVER)
