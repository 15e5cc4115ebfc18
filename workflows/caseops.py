"""Case operations on an incident: run the failed step again, skip it where the model allows, cancel the case, or
move it to the fixed model version and run the failed step there.

Managers (and administrators) act — migrating a running case is the administrators' (``designer.migrate_case``);
each action is one unit of work on the case (the caller commits) and is logged. A retry that fails again keeps
the incident open, with one more attempt and the new error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from core import audit
from core.actor import Actor
from core.db import utcnow
from core.errors import Conflict, Forbidden, Invalid
from core.i18n import N_, state_name
from workflows import designer, incidents, runtime
from workflows.engine import EngineError, StepFailed, TaskStateError
from workflows.models import Incident

ACTORS = ("manager",)  # administrators always may
# How an incident was resolved (Incident.resolution), as a refusal names it.
RESOLUTIONS = {"retried": N_("再実行済み"), "skipped": N_("飛ばし済み"), "cancelled": N_("取消済み"),
               "migrated": N_("移行して再実行済み")}


def _check(actor: Actor) -> None:
    if not actor.has_role(*ACTORS):
        raise Forbidden(N_("障害の対応は管理者のみ行えます"))


def _open(incident_id: int) -> Incident:
    incident = incidents.get(incident_id)
    if incident.state != "open":
        raise Conflict(N_("障害 {incident} は対応済みです（{resolution}）", incident=incident.id,
                          resolution=RESOLUTIONS.get(incident.resolution or "", incident.resolution or "—")),
                       details={"state": incident.state})
    return incident


def _step(incident: Incident, action: Callable[[Any, Any, str], None], *, actor: Actor, now: datetime,
          resolution: str, reason: str | None, action_name: str) -> Incident:
    """Run ``action`` on the failed task of the incident's case, save, and resolve (or record the new failure)."""
    case = runtime.get_case(incident.case_id)
    if case.state != "running":
        raise Conflict(N_("案件 {case} は既に{state}です", case=case.id, state=state_name(case.state)),
                       details={"state": case.state})
    workflow = runtime.load_workflow(case)
    ready_before = {h.uuid for h in runtime.engine().human_tasks(workflow)}
    failed = None
    try:
        action(runtime.engine(), workflow, incident.task_uuid)
    except TaskStateError as err:
        raise Conflict(N_("この工程は今は操作できません: {error}", error=str(err))) from err
    except StepFailed as err:
        failed = err
    except EngineError as err:
        raise Invalid(N_("案件を進められません: {error}", error=str(err)),
                      details={"incident_id": incident.id}) from err
    runtime.save_workflow(case, workflow, now=now, ready_before=ready_before)
    if failed is not None and failed.task_uuid == incident.task_uuid:
        runtime.stopped(case, workflow, failed, actor=actor, now=now)  # the cause is not fixed yet
    else:
        incidents.resolve(incident, actor=actor, resolution=resolution, reason=reason, now=now)
        if failed is not None:  # a later step failed in turn: its own incident
            runtime.stopped(case, workflow, failed, actor=actor, now=now)
    audit.record(actor=actor, action=action_name,
                 target_type="case", target_id=case.id, outcome="error" if failed else "ok",
                 details={"incident_id": incident.id, "element": incident.element_id, "reason": reason,
                          "error": incidents.error_text(case, failed) if failed else None})
    return incident


def retry(*, incident_id: int, actor: Actor, now: datetime | None = None) -> Incident:
    """Run the failed step again (after its cause was fixed, e.g. the case's data corrected)."""
    _check(actor)
    return _step(_open(incident_id), lambda eng, wf, uuid: eng.retry(wf, uuid), actor=actor, now=now or utcnow(),
                 resolution="retried", reason=None, action_name="incident.retry")


def skip(*, incident_id: int, actor: Actor, reason: str, now: datetime | None = None) -> Incident:
    """Mark the failed step done without running it — only where the model marks it skippable — with a reason."""
    _check(actor)
    if not (reason or "").strip():
        raise Invalid(N_("飛ばす理由を入力してください"), details={"reason": "required"})
    incident = _open(incident_id)
    if not incident.skippable:
        raise Conflict(N_("「{name}」は業務モデルで省略可能とされていないため飛ばせません", name=incident.element_name),
                       details={"skippable": False})
    return _step(incident, lambda eng, wf, uuid: eng.skip(wf, uuid), actor=actor, now=now or utcnow(),
                 resolution="skipped", reason=reason.strip(), action_name="incident.skip")


def cancel(*, incident_id: int, actor: Actor, reason: str, now: datetime | None = None) -> Incident:
    """Cancel the stopped case with a reason (its open incidents are resolved as cancelled)."""
    _check(actor)
    if not (reason or "").strip():
        raise Invalid(N_("取消の理由を入力してください"), details={"reason": "required"})
    incident = _open(incident_id)
    runtime.cancel_case(case_id=incident.case_id, actor=actor, reason=reason.strip(), now=now)
    return incident


def migrate(*, incident_id: int, actor: Actor, now: datetime | None = None) -> Incident:
    """Move the stopped case to the version new cases start on (the model fixed there) and run the failed step
    again on it. A refused migration (``CaseEngine.migrate``'s reason) changes nothing; a step that fails again
    on the new version keeps the incident open, with one more attempt — the case stays migrated."""
    _check(actor)
    now = now or utcnow()
    incident = _open(incident_id)
    result = designer.migrate_case(case_id=incident.case_id, actor=actor, now=now)  # administrators only
    if not result.migrated:
        raise Conflict(N_("案件 {case} を第{version}版へ移行できません: {reason}", case=incident.case_id,
                          version=result.to_version, reason=result.reason),
                       details={"reason": result.reason, "to_version": result.to_version})
    return _step(incident, lambda eng, wf, uuid: eng.retry(wf, uuid), actor=actor, now=now,
                 resolution="migrated", reason=f"第{result.from_version}版→第{result.to_version}版",
                 action_name="incident.migrate")
