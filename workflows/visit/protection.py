"""支援措置 in the journeys: the service operation that stops a third party's certificate request for the
supervisor (lane 「支援措置確認」), and the case hook that logs the supervisor's decision."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from core import audit, users
from core.actor import Actor
from core.db import db
from residents import protection
from workflows.models import Case
from workflows.wiring import Operation

WORKFLOW = Actor(username="workflow", role="admin", terminal="engine")
REVIEW_FORM = "protection_review"


def certificate_check(*, resident_id: Any, requester: Any) -> dict[str, Any]:
    """``{"hold", "protected", "requester"}``; a hold is logged (protection.hold) against the resident."""
    result = protection.certificate_hold(resident_id=resident_id, requester=requester)
    if result["protected"]:
        audit.record(actor=WORKFLOW, action="protection.hold", target_type="resident", target_id=resident_id,
                     details=result)
    return result


CERTIFICATE_CHECK = Operation(
    "protection.certificate_check", certificate_check,
    description="支援措置: 対象者（世帯）への本人以外からの証明書請求なら上長確認へ（hold=true）",
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
                 details={"case_id": case.id, "decision": cleaned.get("protection_decision"),
                          "reason": cleaned.get("protection_reason")})


def marks_by_case(case_ids: Iterable[int]) -> dict[int, str]:
    """``{case id: "flagged" | "household"}`` for the cases about a protected household, in three queries
    however many ids (API lists mark every row as the pages do)."""
    ids = {i for i in case_ids if i is not None}
    if not ids:
        return {}
    return protection.case_marks(db.session.execute(select(Case.id, Case.resident_id).where(Case.id.in_(ids))))
