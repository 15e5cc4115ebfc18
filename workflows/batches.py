"""Case batches: migrate, cancel or retry many cases selected by model, version, state or section, as one
logged batch. A dry run says per case what would happen (a refused migration in ``CaseEngine.migrate``'s own
words) and changes nothing; a real run acts on each case in a savepoint of its own, so one refusal does not undo
the others, and the operation log gets one ``case.batch`` entry (with each case's outcome) besides the cases'
own entries."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import DomainError, Forbidden, Invalid
from workflows import designer, incidents, registry, runtime
from workflows.engine import EngineError
from workflows.models import Case, CaseTask, Incident, ModelVersion, SpecSnapshot

ACTIONS = ("migrate", "cancel", "retry")
MAX_CASES = 1000


@dataclass
class CaseOutcome:
    case_id: int
    title: str
    from_version: int | None
    outcome: str  # migrated / cancelled / retried, would_… in a dry run, refused, skipped
    reason: str = ""


@dataclass
class BatchResult:
    batch_id: str
    action: str
    dry_run: bool
    to_version: int | None
    cases: list[CaseOutcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(c.outcome for c in self.cases))


def select_cases(flt: dict[str, Any], *, limit: int = MAX_CASES) -> list[Case]:
    """The cases of the filter: ``process_key``, ``version`` (of the model they run on), ``state``,
    ``section`` (waiting there)."""
    query = (db.select(Case).join(SpecSnapshot, Case.snapshot_id == SpecSnapshot.id)
             .join(ModelVersion, SpecSnapshot.model_version_id == ModelVersion.id).order_by(Case.id).limit(limit))
    if flt.get("process_key"):
        query = query.where(Case.process_key == flt["process_key"])
    if flt.get("version"):
        query = query.where(ModelVersion.version == int(flt["version"]))
    if flt.get("state"):
        query = query.where(Case.state == flt["state"])
    if flt.get("section"):
        query = query.where(Case.id.in_(db.select(CaseTask.case_id).where(CaseTask.section_code == flt["section"],
                                                                           CaseTask.state == "ready")))
    return list(db.session.scalars(query))


def run_batch(*, action: str, flt: dict[str, Any], actor: Actor, reason: str = "", to_version: int | None = None,
              dry_run: bool = True, now: datetime | None = None) -> BatchResult:
    """One batch over the filter's cases (managers and administrators)."""
    if not actor.has_role("manager"):
        raise Forbidden("only managers and administrators run case batches")
    if action not in ACTIONS:
        raise Invalid(f"操作「{action}」はありません（migrate, cancel, retry のいずれか）", details={"action": action})
    if action == "cancel" and not reason.strip():
        raise Invalid("取消の理由を入力してください", details={"reason": "required"})
    now = now or utcnow()
    target = _target(action, flt, to_version)
    result = BatchResult(batch_id=uuid.uuid4().hex[:12], action=action, dry_run=dry_run,
                         to_version=json.loads(target.library).get(flt["process_key"]) if target else None)
    one = {"migrate": lambda c: _migrate(c, target, dry_run=dry_run, actor=actor, now=now),
           "cancel": lambda c: _cancel(c, reason=reason.strip(), dry_run=dry_run, actor=actor, now=now),
           "retry": lambda c: _retry(c, dry_run=dry_run, actor=actor, now=now)}[action]
    for case in select_cases(flt):
        result.cases.append(_guarded(case, one))
    audit.record(actor=actor, action="case.batch", target_type="batch", target_id=result.batch_id,
                 details={"action": action, "filter": flt, "dry_run": dry_run, "reason": reason,
                          "to_version": result.to_version, "counts": result.counts,
                          "cases": [asdict(c) for c in result.cases][:200]})
    db.session.flush()
    return result


def _target(action: str, flt: dict[str, Any], to_version: int | None) -> SpecSnapshot | None:
    if action != "migrate":
        return None
    if not flt.get("process_key"):
        raise Invalid("移行する業務（process_key）を指定してください", details={"filter.process_key": "required"})
    target = registry.current_snapshot(flt["process_key"], engine=runtime.engine())
    newest = json.loads(target.library).get(flt["process_key"])
    if to_version is not None and to_version != newest:
        raise Invalid(f"移行先は最新版（第{newest}版）だけです（第{to_version}版が指定されました）",
                      details={"to_version": to_version, "newest": newest})
    return target


def _version(case: Case) -> int | None:
    return case.snapshot.model_version.version if case.snapshot else None


def _guarded(case: Case, one: Callable[[Case], tuple[str, str]]) -> CaseOutcome:
    """One case in a savepoint: a refusal rolls back that case only."""
    version = _version(case)
    try:
        with db.session.begin_nested():
            outcome, why = one(case)
    except DomainError as err:
        outcome, why = "refused", err.message
    return CaseOutcome(case_id=case.id, title=case.title, from_version=version, outcome=outcome, reason=why)


def _migrate(case: Case, target: Any, *, dry_run: bool, actor: Actor, now: datetime) -> tuple[str, str]:
    if case.state != "running":
        return "refused", f"案件は{case.state}です（処理中の案件だけ移行できます）"
    if case.snapshot_id == target.id:
        return "skipped", "すでに最新版です"
    eng = runtime.engine()
    workflow = runtime.load_workflow(case)
    try:
        changed = eng.migrate(workflow, registry.specs_for(target, engine=eng))
    except EngineError as err:
        if not dry_run:
            audit.record(actor=actor, action="case.migrate", target_type="case", target_id=case.id,
                         outcome="refused", details={"reason": str(err)})
        return "refused", str(err)
    if dry_run:
        return "would_migrate", ", ".join(changed)
    old = _version(case)
    case.snapshot_id, case.snapshot, case.spec_hash = target.id, target, target.spec_hash
    runtime.save_workflow(case, workflow, now=now)
    designer.refresh_ready_tasks(case, eng.human_tasks(workflow))
    db.session.flush()
    audit.record(actor=actor, action="case.migrate", target_type="case", target_id=case.id,
                 details={"from": old, "to": _version(case), "changed": changed})
    return "migrated", ", ".join(changed)


def _cancel(case: Case, *, reason: str, dry_run: bool, actor: Actor, now: datetime) -> tuple[str, str]:
    if case.state != "running":
        return "refused", f"案件はすでに{case.state}です"
    if dry_run:
        return "would_cancel", reason
    runtime.cancel_case(case_id=case.id, actor=actor, reason=reason, now=now)
    for incident in incidents.open_for_case(case.id):
        incident.state, incident.resolution, incident.resolved_at = "resolved", "cancelled", now
        incident.resolved_by, incident.reason = actor.username, reason
    return "cancelled", reason


def _retry(case: Case, *, dry_run: bool, actor: Actor, now: datetime) -> tuple[str, str]:
    open_ones: list[Incident] = incidents.open_for_case(case.id)
    if not open_ones:
        return "skipped", "止まっている箇所はありません"
    names = "、".join(i.element_name for i in open_ones)
    if dry_run:
        return "would_retry", names
    for incident in open_ones:
        incidents.retry(incident_id=incident.id, actor=actor, now=now)
    return "retried", names
