"""Case batches: migrate, cancel or retry many cases as one logged operation, with a dry run that says per case
what would happen (a migration's refusals named as ``CaseEngine.migrate`` names them).

A dry run changes nothing: cancel and retry say whether the case would be acted on; migrate asks the engine for
the migration's blockers without moving the workflow. A real batch acts case by case in the caller's transaction
and logs one ``case.batch`` entry with the outcome of each case (each case's own action is logged as usual).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from core import audit
from core.actor import Actor
from core.errors import DomainError, Forbidden, Invalid
from core.i18n import N_, state_name
from workflows import caseops, designer, incidents, registry, runtime
from workflows.models import Case

ACTIONS = ("migrate", "cancel", "retry")
OUTCOMES = ("would", "done", "refused", "skipped")
MAX_CASES = 500


@dataclass
class BatchItem:
    case_id: int
    outcome: str  # one of OUTCOMES
    detail: str = ""


def case_version(case: Case) -> int | None:
    """The version of its own model the case runs on (its snapshot pins one version of each model)."""
    return json.loads(case.snapshot.library).get(case.process_key)


def select_cases(filt: dict[str, Any]) -> list[Case]:
    """The cases of the filter: process model, the version of that model a case runs on, state, section."""
    cases = runtime.list_cases(state=filt.get("state"), process_key=filt.get("process_key"),
                               section=filt.get("section"), limit=MAX_CASES)
    version = filt.get("version")
    if version is not None:
        cases = [c for c in cases if case_version(c) == version]
    return sorted(cases, key=lambda c: c.id)


def run(*, actor: Actor, action: str, filt: dict[str, Any], reason: str, dry_run: bool,
        to_version: int | None = None) -> list[BatchItem]:
    """One batch; ``to_version`` (migrate): the version new cases start on (a check that the caller means it)."""
    if action not in ACTIONS:
        raise Invalid(N_("操作 {action} は指定できません（migrate, cancel, retry）", action=action),
                      details={"action": action})
    if action == "migrate" and not actor.has_role("admin"):
        raise Forbidden(N_("実行中の案件の版の移行はシステム管理者のみ行えます"))
    if not actor.has_role("manager"):
        raise Forbidden(N_("一括操作は管理者のみ行えます"))
    if not reason.strip():
        raise Invalid(N_("理由を入力してください"), details={"reason": "required"})
    items = [_one(case, action=action, actor=actor, reason=reason, dry_run=dry_run, to_version=to_version)
             for case in select_cases(filt)]
    if not dry_run:
        audit.record(actor=actor, action="case.batch", target_type="case_batch",
                     details={"action": action, "filter": filt, "reason": reason, "to_version": to_version,
                              "items": [asdict(i) for i in items]})
    return items


def _one(case: Case, *, action: str, actor: Actor, reason: str, dry_run: bool, to_version: int | None) -> BatchItem:
    if case.state != "running":
        return BatchItem(case.id, "skipped", N_("案件は{state}です", state=state_name(case.state)))
    if action == "cancel":
        if not dry_run:
            runtime.cancel_case(case_id=case.id, actor=actor, reason=reason)
        return BatchItem(case.id, "would" if dry_run else "done", N_("取消"))
    if action == "retry":
        return _retry(case, actor=actor, dry_run=dry_run)
    return _migrate(case, actor=actor, dry_run=dry_run, to_version=to_version)


def _retry(case: Case, *, actor: Actor, dry_run: bool) -> BatchItem:
    open_ = incidents.for_case(case.id)
    if not open_:
        return BatchItem(case.id, "skipped", N_("未対応の障害はありません"))
    if dry_run:
        return BatchItem(case.id, "would", N_("再実行: {names}", names="、".join(i.element_name for i in open_)))
    still = [caseops.retry(incident_id=i.id, actor=actor) for i in open_]
    failed = [i.element_name for i in still if i.state == "open"]
    return BatchItem(case.id, "refused" if failed else "done",
                     N_("再び失敗: {names}", names="、".join(failed)) if failed else N_("再実行"))


def _migrate(case: Case, *, actor: Actor, dry_run: bool, to_version: int | None) -> BatchItem:
    eng = runtime.engine()
    target = registry.current_snapshot(case.process_key, engine=eng)
    version = json.loads(target.library).get(case.process_key)
    if to_version is not None and to_version != version:
        raise Invalid(N_("移行先は新しい案件が始まる版（第{version}版）だけです", version=version),
                      details={"to_version": to_version})
    if target.id == case.snapshot_id:
        return BatchItem(case.id, "skipped", N_("既に第{version}版です", version=version))
    if dry_run:
        blockers = eng.migration_blockers(runtime.load_workflow(case), registry.specs_for(target, engine=eng))
        return BatchItem(case.id, "refused" if blockers else "would",
                         "; ".join(blockers) or N_("第{version}版へ移行", version=version))
    try:
        result = designer.migrate_case(case_id=case.id, actor=actor)
    except DomainError as err:
        return BatchItem(case.id, "refused", err.message)
    return BatchItem(case.id, "done" if result.migrated else "refused",
                     result.reason or N_("第{version}版へ移行", version=version))
