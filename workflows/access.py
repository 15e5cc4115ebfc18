"""Who may see which case, task, document and resident, and which of their fields: decided here, once, for the
pages, the API and the services alike (docs/security.md is the table of who may call which route).

Objects:
- **cases**: counter staff (they start and hand over every visit) and managers (they read) see every case; a
  section sees the cases that have, or had, a task of one of its sections; designers see none.
- **tasks**: managers see every task; counter and section staff the tasks of their own sections (the counter's
  is 総合窓口). Who may *complete* one is the runtime's rule (a task's own section).
- **documents**: whoever sees the case sees its procedure guide; an application form goes to the counter and to
  the section whose procedure it belongs to; managers see the forms that hold no need-to-know field.
- **residents**: all staff roles read the common DB (支援措置 masking is residents.protection's).

Fields, by need to know: a form field that declares ``visible_to: [section, …]`` (forms/library/*/form.yaml,
e.g. a bank account → the paying section) is shown only to those sections, to the counter that takes it, and to
administrators; the case's own procedures say which forms count. A resident fact in :data:`FACT_VISIBLE_TO`
(障害者手帳, 要介護) likewise, wherever it appears (the resident record, a household in a case's data).
The getters raise Forbidden (NotFound for what does not exist); ``web.auth`` calls them for every object a URL
names before any view runs, and the services call them again, so neither can forget.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import select

from core.actor import Actor
from core.db import db
from core.errors import Forbidden, NotFound
from core.i18n import N_
from forms import taskforms
from forms.taskforms import FormField
from workflows import incidents as incident_store
from workflows import runtime
from workflows.determination.models import CaseProcedure
from workflows.models import Case, CaseTask, Incident
from workflows.visit.models import CaseDocument

CASE_READERS = ("counter", "manager")  # see every case (administrators always may)
RESIDENT_READERS = ("counter", "section", "manager")
FIELD_TAKERS = ("counter",)  # take need-to-know answers at the counter, so they see them (administrators too)
# Resident facts that only the sections whose procedures read them need (DOMAIN.md: 障害者手帳 and 要介護認定 are
# 高齢障がい福祉課's), hidden from everyone else wherever they appear.
FACT_VISIBLE_TO: dict[str, tuple[str, ...]] = {"disability": ("kourei",), "care_certified": ("kourei",)}


# -- sections, cases and tasks ------------------------------------------------------------------------------
def visible_sections(actor: Actor) -> tuple[str, ...] | None:
    """The sections whose tasks ``actor`` may see; None = all (manager, admin)."""
    return None if actor.has_role("manager") else actor.sections


def reads_every_case(actor: Actor) -> bool:
    """Counter staff, managers and administrators see every case (a designer sees none: case titles name
    residents)."""
    return actor.has_role(*CASE_READERS)


def may_see_task(*, actor: Actor, task: CaseTask) -> bool:
    """Managers and admins see every task; everyone else only their own sections' tasks."""
    allowed = visible_sections(actor)
    return allowed is None or task.section_code in allowed


def may_see_case(*, actor: Actor, case: Case) -> bool:
    """Counter staff and managers see every case; section staff only cases that have (had) a task of theirs."""
    if reads_every_case(actor):
        return True
    return actor.role == "section" and any(t.section_code in actor.sections for t in case.tasks)


def case(*, actor: Actor, case_id: int) -> Case:
    """The case, if ``actor`` may see it (NotFound, Forbidden otherwise)."""
    found = runtime.get_case(case_id)
    if not may_see_case(actor=actor, case=found):
        raise Forbidden(N_("この案件を閲覧する権限がありません（担当課の案件のみ）"), details={"case_id": case_id})
    return found


def incident(*, actor: Actor, incident_id: int) -> Incident:
    """The incident, if ``actor`` may see its case (a section: only incidents of its own cases)."""
    found = incident_store.get(incident_id)
    if not may_see_case(actor=actor, case=found.case):
        raise Forbidden(N_("この障害の案件を閲覧する権限がありません（担当課の案件のみ）"),
                        details={"incident_id": incident_id})
    return found


def incidents(*, actor: Actor, state: str | None = "open") -> list[Incident]:
    """The incidents ``actor`` may see: every one for counter staff and managers, a section's own cases' else."""
    if reads_every_case(actor):
        return incident_store.list_(state=state)
    if actor.role != "section":
        raise Forbidden(N_("障害の一覧は表示できません"))
    return incident_store.list_(state=state, among=actor.sections)


def task(*, actor: Actor, task_id: int) -> CaseTask:
    """The task with its case, if ``actor`` may see it (NotFound, Forbidden otherwise)."""
    found = runtime.get_task(task_id)
    if not may_see_task(actor=actor, task=found):
        raise Forbidden(N_("他の課の作業は表示できません"), details={"task_id": task_id, "section": found.section_code})
    return found


def cases(*, actor: Actor, state: str | None = None, process_key: str | None = None, section: str | None = None,
          limit: int = 200) -> list[Case]:
    """The cases ``actor`` may see, newest first; ``section``: those waiting in that section (a section user: one
    of their own, else Forbidden)."""
    among = None
    if not reads_every_case(actor):
        if actor.role != "section":
            raise Forbidden(N_("案件の一覧は表示できません"))
        if section and section not in actor.sections:
            raise Forbidden(N_("課 {section} の案件一覧は表示できません（担当課のみ）", section=section),
                            details={"section": section})
        among = actor.sections
    return runtime.list_cases(state=state, process_key=process_key, section=section, among=among, limit=limit)


def tasks(*, actor: Actor, section: str | None = None, state: str | None = "ready", assignee: str | None = None,
          limit: int = 500) -> list[CaseTask]:
    """The inbox of ``actor``: their sections' tasks (managers: all); another section is Forbidden. Ready tasks
    are those that can be worked: a visit's procedures appear once the counter has handed it over."""
    allowed = visible_sections(actor)
    if section and allowed is not None and section not in allowed:
        raise Forbidden(N_("課 {section} の作業は表示できません（担当課のみ）", section=section),
                        details={"section": section})
    return runtime.list_tasks(section=section, sections=None if section else allowed, state=state,
                              assignee=assignee, workable_only=state == "ready", limit=limit)


# -- need-to-know fields ----------------------------------------------------------------------------------
@cache
def library_fields() -> tuple[FormField, ...]:
    """Every field of every form of the library (forms/library/*/form.yaml), in folder order."""
    return tuple(f for path in sorted(taskforms.LIBRARY.glob("*/form.yaml"))
                 for f in taskforms.get(path.parent.name).fields)


@cache
def declared_fields() -> dict[str, frozenset[str]]:
    """Field name → the sections any form of the library lets see it (fields with ``visible_to``)."""
    found: dict[str, set[str]] = {}
    for f in library_fields():
        if f.visible_to:
            found.setdefault(f.name, set()).update(f.visible_to)
    return {name: frozenset(sections) for name, sections in found.items()}


def _case_form_keys(case: Case) -> list[str]:
    procs = db.session.scalars(select(CaseProcedure).where(CaseProcedure.case_id == case.id))
    return [*(k for p in procs for k in p.forms), *(t.form_key for t in case.tasks if t.form_key)]


def field_sections(case: Case) -> dict[str, frozenset[str]]:
    """Need-to-know field → the sections that see it in this case: those of the case's own forms that declare it
    (a field declared elsewhere in the library but by none of this case's forms is seen by no section)."""
    sections: dict[str, set[str]] = {name: set() for name in declared_fields()}
    for key in dict.fromkeys(_case_form_keys(case)):
        if taskforms.exists(key):
            for f in taskforms.get(key).fields:
                if f.visible_to:
                    sections[f.name].update(f.visible_to)
    sections.update({name: set(s) for name, s in FACT_VISIBLE_TO.items()})
    return {name: frozenset(s) for name, s in sections.items()}


def _may_see_field(actor: Actor, sections: Iterable[str]) -> bool:
    return actor.has_role(*FIELD_TAKERS) or (actor.role == "section" and bool(set(actor.sections) & set(sections)))


def hidden_fields(*, actor: Actor, case: Case) -> set[str]:
    """The need-to-know fields of ``case`` that ``actor`` may not see."""
    return {name for name, sections in field_sections(case).items() if not _may_see_field(actor, sections)}


def hidden_facts(*, actor: Actor) -> set[str]:
    """The resident facts ``actor`` may not see (FACT_VISIBLE_TO)."""
    return {name for name, sections in FACT_VISIBLE_TO.items() if not _may_see_field(actor, sections)}


def _without(value: Any, hidden: set[str], withheld: set[str]) -> Any:
    if isinstance(value, dict):
        withheld.update(k for k in value if k in hidden)
        return {k: _without(v, hidden, withheld) for k, v in value.items() if k not in hidden}
    if isinstance(value, list):
        return [_without(v, hidden, withheld) for v in value]
    return value


def redact(value: Any, hidden: set[str]) -> tuple[Any, list[str]]:
    """``value`` without the keys in ``hidden`` at any depth, and the names that were taken out."""
    withheld: set[str] = set()
    return _without(value, hidden, withheld), sorted(withheld)


def case_data(*, actor: Actor, case: Case) -> tuple[dict[str, Any], list[str]]:
    """The case's data as ``actor`` may see it, and the names of the fields withheld from them."""
    return redact(runtime.case_data(case), hidden_fields(actor=actor, case=case))


# -- documents --------------------------------------------------------------------------------------------
def _form_sections(doc: CaseDocument) -> set[str]:
    procs = db.session.scalars(select(CaseProcedure).where(CaseProcedure.case_id == doc.case_id))
    return {p.section_code for p in procs if doc.form_key in p.forms}


def may_see_document(*, actor: Actor, doc: CaseDocument, case: Case) -> bool:
    """Whoever sees the case sees the guide; a form goes to the counter, the section of its procedure, and to
    managers when it holds no need-to-know field."""
    if not may_see_case(actor=actor, case=case):
        return False
    if actor.has_role(*FIELD_TAKERS) or doc.kind != "form" or not doc.form_key:
        return True
    if actor.role == "section":
        return bool(set(actor.sections) & _form_sections(doc))
    declared = taskforms.get(doc.form_key).fields if taskforms.exists(doc.form_key) else ()
    return actor.role == "manager" and not any(f.visible_to for f in declared)


def document(*, actor: Actor, document_id: int) -> CaseDocument:
    """The stored document, if ``actor`` may see it (NotFound, Forbidden otherwise)."""
    doc = db.session.get(CaseDocument, document_id)
    if doc is None:
        raise NotFound(N_("書類 {document} はありません", document=document_id), details={"document_id": document_id})
    if not may_see_document(actor=actor, doc=doc, case=runtime.get_case(doc.case_id)):
        raise Forbidden(N_("この書類を閲覧する権限がありません（担当課の書類のみ）"),
                        details={"document_id": document_id})
    return doc


def visible_documents(*, actor: Actor, docs: Iterable[CaseDocument]) -> list[CaseDocument]:
    """The documents of ``docs`` that ``actor`` may see."""
    return [d for d in docs if may_see_document(actor=actor, doc=d, case=runtime.get_case(d.case_id))]


# -- residents --------------------------------------------------------------------------------------------
def check_residents(*, actor: Actor) -> None:
    """Forbidden unless ``actor``'s role reads the common resident DB."""
    if not actor.has_role(*RESIDENT_READERS):
        raise Forbidden(N_("住民情報を閲覧する権限がありません"))
