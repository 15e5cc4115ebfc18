"""Who may see which case and task: decided here, once, for the pages and the API alike.

Managers (and administrators) see every case and task; counter staff every case (they start and hand over the
visits); section staff only the tasks of their sections and the cases that have, or had, a task of theirs. The
getters raise Forbidden, so a view never repeats the rule.
"""

from __future__ import annotations

from core.actor import Actor
from core.errors import Forbidden
from workflows import runtime
from workflows.models import Case, CaseTask


def visible_sections(actor: Actor) -> tuple[str, ...] | None:
    """The sections whose tasks ``actor`` may see; None = all (manager, admin)."""
    return None if actor.has_role("manager") else actor.sections


def may_see_task(*, actor: Actor, task: CaseTask) -> bool:
    """A section user sees only their sections' tasks; managers and admins see all."""
    allowed = visible_sections(actor)
    return allowed is None or task.section_code in allowed


def may_see_case(*, actor: Actor, case: Case) -> bool:
    """Counter staff and managers see every case; section staff only cases that have (had) a task of theirs."""
    if actor.has_role("counter", "manager"):
        return True
    return any(t.section_code in actor.sections for t in case.tasks)


def case(*, actor: Actor, case_id: int) -> Case:
    """The case, if ``actor`` may see it (NotFound, Forbidden otherwise)."""
    found = runtime.get_case(case_id)
    if not may_see_case(actor=actor, case=found):
        raise Forbidden("この案件を閲覧する権限がありません", details={"case_id": case_id})
    return found


def task(*, actor: Actor, task_id: int) -> CaseTask:
    """The task with its case, if ``actor`` may see it (NotFound, Forbidden otherwise)."""
    found = runtime.get_task(task_id)
    if not may_see_task(actor=actor, task=found):
        raise Forbidden("他の課の作業は表示できません", details={"task_id": task_id, "section": found.section_code})
    return found
