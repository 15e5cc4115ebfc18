"""Incidents: the operations on a case stopped at a failing service task, script or decision.

A failing engine step no longer rolls the case back into an ordinary 処理中 case: the runtime stores the
workflow with that task in ERROR and opens an :class:`Incident` (``runtime.open_incident``). Here the manager
resolves it: retry (after the cause is fixed), skip with a reason where the model marks the step
``skippable``, cancel the case with a reason, or migrate the case to a fixed model version. Every action is
one entry in the operation log; a retry that fails again changes nothing (the caller's transaction rolls back).
"""

from __future__ import annotations

from datetime import datetime

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from workflows import designer, runtime
from workflows.engine import StepFailed, TaskStateError
from workflows.models import Case, Incident

OPERATOR_ROLES = ("manager", "admin")


def _check_operator(actor: Actor) -> None:
    if not actor.has_role(*OPERATOR_ROLES):
        raise Forbidden("only managers and administrators resolve incidents")


def list_incidents(*, actor: Actor, state: str | None = "open", case_id: int | None = None,
                   limit: int = 200) -> list[Incident]:
    """Incidents, oldest open first (the longest-stopped case is the most urgent)."""
    _check_operator(actor)
    query = db.select(Incident).order_by(Incident.since, Incident.id).limit(limit)
    if state:
        query = query.where(Incident.state == state)
    if case_id is not None:
        query = query.where(Incident.case_id == case_id)
    return list(db.session.scalars(query))


def open_for_case(case_id: int) -> list[Incident]:
    """A case's open incidents (the case page shows them to whoever may see the case)."""
    return list(db.session.scalars(db.select(Incident).where(Incident.case_id == case_id,
                                                             Incident.state == "open").order_by(Incident.id)))


def get_open(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist", details={"incident_id": incident_id})
    if incident.state != "open":
        raise Conflict(f"インシデント {incident_id} は解決済みです ({incident.resolution})",
                       details={"state": incident.state, "resolution": incident.resolution})
    return incident


def _resolve(incident: Incident, *, how: str, actor: Actor, now: datetime, reason: str | None = None) -> Incident:
    incident.state, incident.resolution, incident.resolved_at = "resolved", how, now
    incident.resolved_by, incident.reason = actor.username, reason
    db.session.flush()
    audit.record(actor=actor, action=f"incident.{how}", target_type="case",
                 target_id=incident.case_id, details={"incident_id": incident.id, "element": incident.element_id,
                                                      "reason": reason})
    return incident


def _run_failed_step(incident: Incident, *, skip: bool, now: datetime) -> Case:
    """Retry or skip the failed task and store the case; Conflict (nothing stored) if it fails again."""
    case = runtime.get_case(incident.case_id)
    workflow = runtime.load_workflow(case)
    ready_before = {h.uuid for h in runtime.engine().human_tasks(workflow)}
    try:
        if skip:
            runtime.engine().skip(workflow, incident.task_uuid)
        else:
            runtime.engine().retry(workflow, incident.task_uuid)
    except StepFailed as err:
        raise Conflict(f"「{incident.element_name}」はまだ失敗します。原因を直してから再実行してください: {err}",
                       details={"incident_id": incident.id, "error": str(err)[:500]}) from err
    except TaskStateError as err:
        raise Conflict(f"「{incident.element_name}」は失敗した状態ではありません", details={"incident_id": incident.id}
                       ) from err
    runtime.save_workflow(case, workflow, now=now, ready_before=ready_before)
    return case


def retry(*, incident_id: int, actor: Actor, now: datetime | None = None) -> Incident:
    """Run the failing step again (after its cause is fixed, e.g. an answer added or an operation repaired)."""
    _check_operator(actor)
    now = now or utcnow()
    incident = get_open(incident_id)
    _run_failed_step(incident, skip=False, now=now)
    return _resolve(incident, how="retried", actor=actor, now=now)


def skip(*, incident_id: int, reason: str, actor: Actor, now: datetime | None = None) -> Incident:
    """Pass over the failing step without running it, where the model marks it ``skippable``."""
    _check_operator(actor)
    if not (reason or "").strip():
        raise Invalid("スキップの理由を入力してください", details={"reason": "required"})
    now = now or utcnow()
    incident = get_open(incident_id)
    if not incident.skippable:
        raise Conflict(f"「{incident.element_name}」はモデルでスキップ可能とされていません",
                       details={"incident_id": incident.id, "skippable": False})
    _run_failed_step(incident, skip=True, now=now)
    return _resolve(incident, how="skipped", actor=actor, now=now, reason=reason.strip())


def cancel(*, incident_id: int, reason: str, actor: Actor, now: datetime | None = None) -> Incident:
    """Cancel the stopped case with a reason (its open tasks leave every inbox)."""
    _check_operator(actor)
    if not (reason or "").strip():
        raise Invalid("取消の理由を入力してください", details={"reason": "required"})
    now = now or utcnow()
    incident = get_open(incident_id)
    runtime.cancel_case(case_id=incident.case_id, actor=actor, reason=reason.strip(), now=now)
    return _resolve(incident, how="cancelled", actor=actor, now=now, reason=reason.strip())


def migrate(*, incident_id: int, actor: Actor, now: datetime | None = None) -> Incident:
    """Move the stopped case to the newest (fixed) model version and run the failed step on it."""
    _check_operator(actor)
    now = now or utcnow()
    incident = get_open(incident_id)
    result = designer.migrate_case(case_id=incident.case_id, actor=actor, now=now)  # admins only, as everywhere
    if not result.migrated:
        raise Conflict(f"案件 {incident.case_id} を版 {result.to_version} へ移行できません: {result.reason}",
                       details={"reason": result.reason, "to_version": result.to_version})
    _run_failed_step(incident, skip=False, now=now)
    return _resolve(incident, how="migrated", actor=actor, now=now, reason=f"版 {result.to_version} へ移行")

