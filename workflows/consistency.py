"""Does every case's stored workflow agree with its task table and the operation log?

After a fault (a worker killed mid-request, the database restarted) an operator must be able to prove that
nothing was lost or doubled. The task table mirrors the workflow's READY human tasks (``caserows``), so the
check is mechanical: load each case's workflow and compare. ``madoguchi check cases`` runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func

from core.db import db
from core.models import AuditEntry
from workflows import runtime
from workflows.models import Case, CaseTask


@dataclass(frozen=True)
class Disagreement:
    """One case whose stored parts disagree, in words an operator can act on."""

    case_id: int
    problem: str


def check_cases(*, state: str | None = "running", batch: int = 200) -> Iterator[Disagreement]:
    """Yield every disagreement among the cases in ``state`` (all cases when None)."""
    query = db.select(Case.id).order_by(Case.id)
    if state is not None:
        query = query.where(Case.state == state)
    ids = list(db.session.scalars(query))
    for start in range(0, len(ids), batch):
        cases = db.session.scalars(db.select(Case).where(Case.id.in_(ids[start:start + batch]))).all()
        for case in cases:
            yield from _check_case(case)
    yield from _doubled_completions()


def _check_case(case: Case) -> Iterator[Disagreement]:
    try:
        workflow = runtime.load_workflow(case)
    except Exception as err:  # noqa: BLE001 - an unreadable workflow is itself the finding
        yield Disagreement(case.id, f"保存されたワークフローを読めません: {type(err).__name__}: {err}")
        return
    ready = {h.uuid for h in runtime.engine().human_tasks(workflow)}
    rows = db.session.execute(db.select(CaseTask.task_uuid, CaseTask.state)
                              .where(CaseTask.case_id == case.id)).all()
    open_rows = {uuid for uuid, row_state in rows if row_state == "ready"}
    for uuid in sorted(ready - open_rows):
        yield Disagreement(case.id, f"ワークフローで実行待ちのタスク {uuid} がタスク表にありません")
    for uuid in sorted(open_rows - ready):
        yield Disagreement(case.id, f"タスク表で未完了のタスク {uuid} がワークフローでは実行待ちではありません")
    finished = runtime.engine().is_completed(workflow)
    if case.state == "running" and finished:
        yield Disagreement(case.id, "ワークフローは完了していますが、案件は処理中のままです")
    if case.state == "completed" and not finished:
        yield Disagreement(case.id, "案件は完了ですが、ワークフローに未完了の要素があります")


def _doubled_completions() -> Iterator[Disagreement]:
    """A task completed twice leaves two ``task.complete`` entries for one task id."""
    counts = (db.select(AuditEntry.target_id, func.count())
              .where(AuditEntry.action == "task.complete", AuditEntry.target_type == "task")
              .group_by(AuditEntry.target_id).having(func.count() > 1))
    for target_id, count in db.session.execute(counts):
        task = db.session.get(CaseTask, int(target_id))
        yield Disagreement(task.case_id if task else 0, f"タスク {target_id} の完了が {count} 回記録されています")
