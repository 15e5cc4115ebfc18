"""Incidents: a case whose script, service task or decision failed is stopped visibly, never left in silence.

The runtime calls :func:`record` when an engine step raises :class:`~workflows.engine.StepFailed`: the workflow
(saved by the caller, in the same transaction as the step that led there) holds the failed task in ERROR, so the
case stays at its last good state and the clerk's completed work is kept. The incident says, in Japanese, which
element failed and since when; :mod:`workflows.caseops` resolves it (retry, skip, cancel).
"""

from __future__ import annotations

from datetime import datetime

from core import audit
from core.actor import Actor
from core.db import db
from core.errors import NotFound
from core.i18n import N_, Message
from residents import protection
from workflows.engine import StepFailed
from workflows.models import Case, CaseTask, Incident

KINDS = {"ScriptTask": N_("スクリプト"), "ServiceTask": N_("サービス呼び出し"), "BusinessRuleTask": N_("判定表"),
         "ExclusiveGateway": N_("分岐"), "InclusiveGateway": N_("分岐")}
OTHER_KIND = N_("処理")
MAX_ERROR = 2000


def message_for(err: StepFailed, *, detail: str) -> Message:
    """What staff read: which step stopped the case and what to do (a catalogue message: stored in Japanese)."""
    return _message(kind=err.kind, name=err.element_name, detail=detail)


def message_of(incident: Incident) -> Message:
    """The stored incident's message rebuilt from its fields, so that a page shows it in the reader's language."""
    return _message(kind=incident.kind, name=incident.element_name, detail=incident.error or "")


def _message(*, kind: str, name: str, detail: str) -> Message:
    return N_("{kind}「{name}」が失敗したため、案件が停止しています。原因（{detail}）を直してから再実行してください。",
              kind=KINDS.get(kind, OTHER_KIND), name=name, detail=detail[:300])


def error_text(case: Case, err: StepFailed) -> str:
    """The engine's error, or — for a case about a 支援措置 household — only its kind and step: an error text may
    quote the case's data (an address), and the incident is read by everyone who sees the case."""
    status = protection.case_status(case)
    if status is not None and (status.protected or status.household):
        inner = err.__cause__
        cause = getattr(inner, "error_type", None) or (type(inner).__name__ if inner is not None else "Error")
        return f"{cause} (task: {err.element_name}; 支援措置の対象のため詳細は記録しません)"
    return str(err)[:MAX_ERROR]


def record(*, case: Case, err: StepFailed, skippable: bool, actor: Actor, now: datetime) -> Incident:
    """Open the incident of ``err`` (or count one more attempt on the open incident of the same step)."""
    incident = db.session.scalar(db.select(Incident).where(Incident.case_id == case.id, Incident.state == "open",
                                                           Incident.task_uuid == err.task_uuid))
    error = error_text(case, err)
    if incident is None:
        incident = Incident(case_id=case.id, task_uuid=err.task_uuid, element_id=err.element_id,
                            element_name=err.element_name, kind=err.kind, skippable=skippable,
                            message=message_for(err, detail=error), error=error, opened_at=now, attempts=1)
        db.session.add(incident)
    else:
        incident.attempts += 1
        incident.message, incident.error = message_for(err, detail=error), error
    db.session.flush()
    audit.record(actor=actor, action="incident.open", target_type="case", target_id=case.id, outcome="error",
                 details={"incident_id": incident.id, "element": err.element_id, "error": error[:500]})
    return incident


def resolve(incident: Incident, *, actor: Actor, resolution: str, reason: str | None, now: datetime) -> None:
    incident.state, incident.resolution, incident.reason = "resolved", resolution, reason
    incident.resolved_at, incident.resolved_by = now, actor.username
    db.session.flush()


def get(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(N_("障害 {incident} はありません", incident=incident_id), details={"incident_id": incident_id})
    return incident


def for_case(case_id: int, *, state: str | None = "open") -> list[Incident]:
    query = db.select(Incident).where(Incident.case_id == case_id).order_by(Incident.opened_at)
    if state:
        query = query.where(Incident.state == state)
    return list(db.session.scalars(query))


def list_(*, state: str | None = "open", among: tuple[str, ...] | None = None, limit: int = 200) -> list[Incident]:
    """Incidents, oldest open first; ``among``: only those of cases with (or that had) a task of these sections."""
    query = db.select(Incident).order_by(Incident.state != "open", Incident.opened_at).limit(limit)
    if state:
        query = query.where(Incident.state == state)
    if among is not None:
        query = query.where(Incident.case_id.in_(db.select(CaseTask.case_id).where(CaseTask.section_code.in_(among))))
    return list(db.session.scalars(query))
