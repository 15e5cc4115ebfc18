"""支援措置 in the journeys: the service operation that stops every certificate request about a protected household
for the supervisor (lane 「支援措置確認」), the case hook that logs the supervisor's decision, and what a case's
papers may carry.

By construction, protection decisions come only from logged actions, never from the case's data (which a start
request or an answer could have set):

- **printing** waits while a supervisor's task of the case is open, and after it, for the logged
  ``protection.decision`` of that task's completion to be ``approve`` (:func:`assert_printable`);
- **the address on paper** is masked for a protected household unless a ``protection.reveal`` with purpose
  ``self`` (本人確認, with a reason) was logged for a member of the case's household *for this case*
  (:func:`released_for_print`, through :func:`reveal`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import select

from core import audit, users
from core.actor import Actor
from core.db import db
from core.errors import Conflict, Invalid
from core.i18n import N_
from core.models import AuditEntry
from forms.taskforms import FormField
from residents import protection
from residents.models import Resident
from workflows import access, runtime
from workflows.models import Case
from workflows.wiring import Operation

WORKFLOW = Actor(username="workflow", role="admin", terminal="engine")
REVIEW_FORM = "protection_review"
PRINT_PURPOSE = "self"  # the resident applying in person, identity checked: their own papers carry the address


def certificate_check(*, resident_id: Any, requester: Any) -> dict[str, Any]:
    """``{"hold", "protected", "requester"}``; a hold is logged (protection.hold) against the resident."""
    result = protection.certificate_hold(resident_id=resident_id, requester=requester)
    if result["protected"]:
        audit.record(actor=WORKFLOW, action="protection.hold", target_type="resident", target_id=resident_id,
                     details=result)
    return result


CERTIFICATE_CHECK = Operation(
    "protection.certificate_check", certificate_check,
    description="支援措置: 対象者（世帯）への証明書請求は上長確認へ（hold=true）。請求者の申告では解除しない",
    params={"resident_id": "any", "requester": "any"})


def on_case_saved(*, case: Any, ready: Any, opened: Any, completed: Any, now: Any) -> None:
    """Log the supervisor's decision (protection.decision) when a 支援措置確認 task is completed."""
    if completed is None:
        return
    task, cleaned = completed
    if task.form_key != REVIEW_FORM:
        return
    user = users.get_by_username(task.completed_by or "")
    actor = users.actor_for(user) if user else Actor(username=task.completed_by or "?", role="section")
    audit.record(actor=actor, action="protection.decision", target_type="resident", target_id=case.resident_id,
                 details={"case_id": case.id, "task_id": task.id, "decision": cleaned.get("protection_decision"),
                          "reason": cleaned.get("protection_reason")})


def marks_by_case(case_ids: Iterable[int]) -> dict[int, str]:
    """``{case id: "flagged" | "household"}`` for the cases about a protected household, in three queries
    however many ids (API lists mark every row as the pages do)."""
    ids = {i for i in case_ids if i is not None}
    if not ids:
        return {}
    return protection.case_marks(db.session.execute(select(Case.id, Case.resident_id).where(Case.id.in_(ids))))


@cache
def location_fields() -> dict[str, FormField]:
    """Every field the form library declares ``location: true`` (it tells where the person lives), by name: what
    the 支援措置 mask covers on paper (workflows.visit.context) and in the robot's file (integrations.rpa)."""
    found: dict[str, FormField] = {}
    for f in access.library_fields():
        if f.location:
            found.setdefault(f.name, f)
    return found


# -- what the log says about a case -------------------------------------------------------------------------
def household_ids(case: Case) -> set[int]:
    """The residents of the case's household (the resident and everyone sharing their 世帯)."""
    resident = db.session.get(Resident, case.resident_id) if case.resident_id else None
    if resident is None:
        return set()
    return {resident.id, *(m.id for m in (resident.household.members if resident.household else []))}


def _logged(action: str, targets: Iterable[int], case: Case) -> list[tuple[AuditEntry, dict[str, Any]]]:
    """The ``action`` entries against ``targets`` that name ``case``, oldest first.

    Only entries written since the case was started can name it: bounding ``at`` lets PostgreSQL read the log's
    current monthly partitions instead of five years of each household member's entries (every form, answer and
    print of a visit reads this; bench/load.py's five-year run). A minute's margin for servers' clocks."""
    ids = [str(t) for t in targets]
    if not ids:
        return []
    since = case.created_at - timedelta(minutes=1) if case.created_at else None
    query = select(AuditEntry).where(AuditEntry.action == action, AuditEntry.outcome == "ok",
                                     AuditEntry.target_type == "resident", AuditEntry.target_id.in_(ids))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    found = []
    for entry in db.session.scalars(query.order_by(AuditEntry.seq)):
        details = json.loads(entry.details or "{}")
        if details.get("case_id") == case.id:
            found.append((entry, details))
    return found


def released_for_print(case: Case) -> bool:
    """A 本人確認 for this case was logged (a ``self`` reveal of a member of its household): its papers may
    carry the household's real address."""
    return any(d.get("purpose") == PRINT_PURPOSE for _e, d in _logged("protection.reveal", household_ids(case),
                                                                     case))


def logged_decision(case: Case) -> str | None:
    """The supervisor's last logged decision on this case (``approve``/``refuse``), None before any."""
    found = _logged("protection.decision", [case.resident_id] if case.resident_id else [], case)
    return found[-1][1].get("decision") if found else None


def assert_printable(*, case: Case, actor: Actor | None = None) -> None:
    """Conflict while the case's 支援措置確認 is open, or when its logged decision is not ``approve``.

    Read from the task table and the log, never from the case data: a preset ``protection_decision`` passes
    nothing. (A ``hold`` the data claims can only add a refusal.) The refusal carries a ``protection.print_refused``
    entry that the edge writes after its rollback."""
    reviews = [t for t in case.tasks if t.form_key == REVIEW_FORM]
    data = runtime.case_data(case)
    claimed = data.get("protection") if isinstance(data.get("protection"), dict) else {}
    if not reviews and not claimed.get("hold"):
        return
    decision = logged_decision(case)
    if any(t.state == "ready" for t in reviews) or decision != "approve":
        state = decision or "pending"
        entry = {"actor": actor, "action": "protection.print_refused", "target_type": "resident",
                 "target_id": case.resident_id, "outcome": "denied",
                 "details": {"case_id": case.id, "protection": state}}
        raise Conflict(N_("支援措置確認が済んでいないため、書類は印刷できません"), details={"protection": state},
                       audit=entry)


# -- the reveal ---------------------------------------------------------------------------------------------
def reveal(*, actor: Actor, resident_id: int, purpose: str, reason: str,
           case_id: int | None = None) -> dict[str, Any]:
    """Reveal a protected address (role + purpose + reason, logged); with ``case_id``, for that visit, which the
    actor must be allowed to see and the resident must belong to (else Invalid: nothing is revealed)."""
    if case_id is not None:
        case = access.case(actor=actor, case_id=case_id)
        if resident_id not in household_ids(case):
            raise Invalid(N_("この住民はこの案件の世帯ではありません"), details={"case_id": case_id,
                                                                       "resident_id": resident_id})
    return protection.reveal_address(actor=actor, resident_id=resident_id, purpose=purpose, reason=reason,
                                     case_id=case_id)
