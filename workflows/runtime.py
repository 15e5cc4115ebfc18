"""The case runtime: start a case, complete, claim and release its tasks, fire timers, cancel.

Each function is one unit of work on one case: load the workflow, check, step, save, mirror the
human tasks, log. It only flushes; the caller (view, command, job) commits once, and a concurrent
change to the same case or task surfaces as SQLAlchemy's ``StaleDataError`` at flush or commit,
which :func:`core.tx.atomic` turns into a retry or a Conflict.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, or_, select, update
from sqlalchemy.orm import contains_eager, undefer
from sqlalchemy.orm.attributes import set_committed_value

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.i18n import N_, state_name
from forms import taskforms
from workflows import caserows, incidents, registry, wiring
from workflows.engine import CaseEngine, EngineError, StepFailed, TaskStateError
from workflows.engine import start_form as engine_start_form
from workflows.models import PROCEDURE_FORM, Case, CaseTask

WORKER_ROLES = ("counter", "section")


@cache
def engine() -> CaseEngine:
    """The process-wide engine: service tasks call the operation registry."""
    return CaseEngine(service_caller=wiring.call)


def get_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id, options=[undefer(Case.workflow_json)])
    if case is None:
        raise NotFound(N_("案件 {case} はありません", case=case_id), details={"case_id": case_id})
    return case


# A task with its case in one row: every completion, claim and task page starts here.
_TASK_WITH_CASE = (db.select(CaseTask).join(Case, CaseTask.case_id == Case.id)
                   .options(contains_eager(CaseTask.case).undefer(Case.workflow_json))
                   .where(CaseTask.id == bindparam("task_id")))


def get_task(task_id: int) -> CaseTask:
    task = db.session.execute(_TASK_WITH_CASE, {"task_id": task_id}).scalar_one_or_none()
    if task is None:
        raise NotFound(N_("タスク {task} はありません", task=task_id), details={"task_id": task_id})
    return task


def start_case(*, process_key: str, actor: Actor, resident_id: int | None = None,
               data: dict[str, Any] | None = None, title: str | None = None, now: datetime | None = None) -> Case:
    """Start ``process_key`` on its current snapshot and run it to its first human tasks."""
    if not actor.has_role("counter"):
        raise Forbidden(N_("案件を開始できるのは総合窓口の職員だけです"))
    now = now or utcnow()
    snapshot = registry.current_snapshot(process_key, engine=engine())
    specs = registry.specs_for(snapshot, engine=engine())
    initial = dict(data or {})
    if resident_id is not None:
        initial["resident_id"] = resident_id
    try:  # the counter is still with the resident: a first step that fails refuses the start (nothing is left)
        workflow = engine().start(specs, initial)
    except EngineError as err:
        raise Invalid(N_("業務フローを開始できません: {error}", error=str(err)),
                      details={"process_key": process_key}) from err
    case = Case(process_key=process_key, snapshot_id=snapshot.id, spec_hash=snapshot.spec_hash,
                resident_id=resident_id, title=title or snapshot.model_version.name or process_key,
                created_by=actor.username, created_at=now)
    caserows.store_new(case, workflow, engine(), now=now)
    db.session.add(case)
    db.session.flush()
    ready = engine().human_tasks(workflow)
    caserows.sync_all(case, ready, now=now)
    db.session.flush()
    wiring.run_case_hooks(case=case, ready=ready, opened=ready, completed=None, now=now)
    audit.record(actor=actor, action="case.start", target_type="case", target_id=case.id,
                 details={"process_key": process_key, "resident_id": resident_id, "snapshot": snapshot.spec_hash[:12]})
    return case


def start_form(process_key: str) -> str | None:
    """The form that validates ``process_key``'s start data (its start event's ``form``), if it declares one."""
    snapshot = registry.current_snapshot(process_key, engine=engine())
    return engine_start_form(registry.specs_for(snapshot, engine=engine()))


def load_workflow(case: Case) -> Any:
    """The case's workflow, paired with its snapshot's cached spec (the one place that pairs them)."""
    return engine().loads(case.workflow_json, registry.specs_by_hash(case.spec_hash, engine=engine()))


def save_workflow(case: Case, workflow: Any, *, now: datetime, ready_before: set[str] | None = None,
                  completed: tuple[CaseTask, dict[str, Any]] | None = None, completed_by: str | None = None) -> None:
    """Store the workflow and bring the task table in line with its READY human tasks.

    ``ready_before`` (the READY task ids before this step, which the open rows mirror) lets the common
    path skip reading the open rows: only tasks that appeared are inserted, only those that vanished are read.
    ``completed``/``completed_by``: the task just completed, marked so after the case row (rows are always
    written case first, then tasks, so two transactions never wait on each other in opposite order)."""
    with db.session.no_autoflush:
        caserows.write_case(case, workflow, engine(), now=now)
        if completed is not None and completed_by is not None:
            caserows.write_completed_task(completed[0], by=completed_by, now=now, data=completed[1])
        ready = engine().human_tasks(workflow)
        if ready_before is None:
            caserows.sync_all(case, ready, now=now)
        else:
            caserows.sync_changes(case, ready, ready_before, now=now)
    db.session.flush()
    opened = ready if ready_before is None else [h for h in ready if h.uuid not in ready_before]
    wiring.run_case_hooks(case=case, ready=ready, opened=opened, completed=completed, now=now)


def stopped(case: Case, _workflow: Any, err: StepFailed, *, actor: Actor, now: datetime) -> None:
    """Open the incident of a failed step (the workflow, already saved, holds it in ERROR)."""
    incidents.record(case=case, err=err, skippable=err.skippable, actor=actor, now=now)


def _check_worker(task: CaseTask, actor: Actor) -> None:
    if actor.role == "admin":
        return
    if actor.role not in WORKER_ROLES or task.section_code not in actor.sections:
        raise Forbidden(N_("タスク {task} は{section}のタスクです（担当課ではありません）", task=task.id,
                           section=task.section_code),
                        details={"section": task.section_code})


def waits_for_hand_over(task: CaseTask) -> bool:
    """A visit's procedure task while the resident is still at the counter: the sections may not work it yet.

    The journey routes the procedures as soon as the interview is done, but the counter still asks the forms'
    questions, prints and has them signed; a section that completed a procedure then made the counter's answers
    and documents refused (bench/load.py found it). The counter's hand-over releases them."""
    return task.form_key == PROCEDURE_FORM and task.case.awaiting_hand_over


def workable() -> ColumnElement[bool]:
    """The SQL twin of ``not waits_for_hand_over``: what an inbox lists as ready to work. A correlated test of
    each listed task's case by its key (the ready tasks are a few hundred; the cases, on five years, a million)."""
    held = select(Case.id).where(Case.id == CaseTask.case_id, Case.awaiting_hand_over.is_(True)).correlate(CaseTask)
    return or_(CaseTask.form_key.is_(None), CaseTask.form_key != PROCEDURE_FORM, ~held.exists())


def _check_handed_over(task: CaseTask) -> None:
    if waits_for_hand_over(task):
        raise Conflict(N_("受付番号 {case} は総合窓口でまだ各課へ送付されていません（署名と送付の後に処理できます）",
                          case=task.case_id), details={"state": "awaiting_hand_over"})


def _check_open(task: CaseTask, version: int | None) -> None:
    if task.state != "ready":
        raise Conflict(N_("タスク {task} は既に{state}です（{who}）", task=task.id, state=state_name(task.state),
                          who=task.completed_by or "—"), details={"state": task.state})
    if version is not None and version != task.version:
        raise Conflict(N_("タスク {task} は開いた後に更新されました（版 {version} → {now}）。画面を開き直してください",
                          task=task.id, version=version, now=task.version),
                       details={"version": task.version})


def complete_task(*, task_id: int, data: dict[str, Any], actor: Actor, version: int | None = None,
                  now: datetime | None = None, section_checked: bool = False) -> CaseTask:
    """Validate ``data`` with the task's form, complete the task and run the case on.

    ``section_checked``: the calling service has already decided that ``actor`` may act on this task although
    it is not in the task's section (e.g. the counter removing a procedure with a reason).

    The task's form is the one the factory's form provider gives (``wiring.task_form``: an interview shows only
    what the visit needs, per person where asked so); its answers are stored on the task row, and merged into
    the journey only when the form's scope is ``case``."""
    now = now or utcnow()
    task = get_task(task_id)
    if not section_checked:
        _check_worker(task, actor)
        _check_handed_over(task)
    _check_open(task, version)
    if task.assignee and task.assignee != actor.username:
        raise Conflict(N_("タスク {task} は {who} が担当しています", task=task.id, who=task.assignee),
                       details={"assignee": task.assignee})
    form = wiring.task_form(task, now=now) if task.form_key else None
    cleaned = taskforms.validate_task(form, data) if form else {}
    wiring.check_completion(task=task, form=form, data=cleaned, now=now)
    case = task.case
    workflow = load_workflow(case)
    ready_before = {h.uuid for h in engine().human_tasks(workflow)} - {task.task_uuid}  # its row is closed here
    failed = None
    try:
        engine().complete(workflow, task.task_uuid, cleaned if form is None or form.scope == "case" else {})
    except TaskStateError as err:
        raise Conflict(N_("タスクを完了できません（{error}）。画面を開き直してください", error=str(err))) from err
    except StepFailed as err:
        failed = err  # the clerk's work is kept; the case stops at the failed step (an incident)
    except EngineError as err:
        raise Invalid(N_("業務フローを進められません: {error}", error=str(err)),
                      details={"task": task.spec_name}) from err
    save_workflow(case, workflow, now=now, completed=(task, cleaned), completed_by=actor.username,
                  ready_before=ready_before)
    if failed is not None:
        stopped(case, workflow, failed, actor=actor, now=now)
    audit.record(actor=actor, action="task.complete", target_type="task", target_id=task.id,
                 details={"case_id": case.id, "task": task.spec_name, "case_state": case.state})
    return task


def send_message(*, case_id: int, name: str, payload: dict[str, Any], actor: Actor,
                 now: datetime | None = None) -> Case:
    """Deliver BPMN message ``name`` to a running case (e.g. an event subprocess's message start) and run on."""
    now = now or utcnow()
    case = get_case(case_id)
    if case.state != "running":
        raise Conflict(N_("受付番号 {case} は既に{state}です", case=case.id, state=state_name(case.state)),
                       details={"state": case.state})
    workflow = load_workflow(case)
    ready_before = {h.uuid for h in engine().human_tasks(workflow)}
    failed = None
    try:
        engine().deliver_message(workflow, name, payload)
    except StepFailed as err:
        failed = err
    except EngineError as err:
        raise Invalid(N_("業務フローがこの通知を受け付けません: {error}", error=str(err)),
                      details={"message": name}) from err
    save_workflow(case, workflow, now=now, ready_before=ready_before)
    if failed is not None:
        stopped(case, workflow, failed, actor=actor, now=now)
    audit.record(actor=actor, action="case.message", target_type="case", target_id=case.id, details={"message": name})
    return case


def mark_opened(task: CaseTask, *, actor: Actor, now: datetime | None = None) -> None:
    """The first time someone who may work ``task`` opens it, its handling starts (claiming is optional).

    A plain UPDATE ... WHERE opened_at IS NULL: it leaves the task's version alone (a form opened before still
    completes) and two people opening at once cannot conflict. Managers reading do not start the clock."""
    if task.state != "ready" or task.opened_at is not None or waits_for_hand_over(task):
        return
    try:
        _check_worker(task, actor)
    except Forbidden:
        return
    now = now or utcnow()
    table = CaseTask.__table__
    db.session.execute(update(table).where(table.c.id == task.id, table.c.opened_at.is_(None)).values(opened_at=now))
    set_committed_value(task, "opened_at", now)


def claim(*, task_id: int, actor: Actor, now: datetime | None = None) -> CaseTask:
    """Take a task; Conflict if someone else holds it."""
    task = get_task(task_id)
    _check_worker(task, actor)
    _check_open(task, None)
    _check_handed_over(task)
    if task.assignee and task.assignee != actor.username:
        raise Conflict(N_("タスク {task} は既に {who} が担当しています", task=task.id, who=task.assignee),
                       details={"assignee": task.assignee})
    task.assignee, task.claimed_at = actor.username, now or utcnow()
    db.session.flush()
    audit.record(actor=actor, action="task.claim", target_type="task", target_id=task.id)
    return task


def unclaim(*, task_id: int, actor: Actor) -> CaseTask:
    """Release a task; only its holder (or a manager/admin) may."""
    task = get_task(task_id)
    _check_open(task, None)
    if task.assignee != actor.username and not actor.has_role("manager"):
        raise Forbidden(N_("タスク {task} は {who} が担当しています", task=task.id, who=task.assignee))
    task.assignee, task.claimed_at = None, None
    db.session.flush()
    audit.record(actor=actor, action="task.unclaim", target_type="task", target_id=task.id)
    return task


def cancel_case(*, case_id: int, actor: Actor, reason: str, now: datetime | None = None) -> Case:
    """Stop a running case; its open tasks leave every inbox."""
    if not actor.has_role("counter", "manager"):
        raise Forbidden(N_("案件を取り消せるのは総合窓口の職員と管理者だけです"))
    if not reason.strip():
        raise Invalid(N_("取消の理由を入力してください"), details={"reason": "required"})
    now = now or utcnow()
    case = get_case(case_id)
    if case.state != "running":
        raise Conflict(N_("受付番号 {case} は既に{state}です", case=case.id, state=state_name(case.state)),
                       details={"state": case.state})
    workflow = load_workflow(case)
    engine().cancel(workflow)
    case.state, case.completed_at = "cancelled", now
    save_workflow(case, workflow, now=now)
    for incident in incidents.for_case(case.id):
        incidents.resolve(incident, actor=actor, resolution="cancelled", reason=reason, now=now)
    audit.record(actor=actor, action="case.cancel", target_type="case", target_id=case.id, details={"reason": reason})
    return case


def fire_due_timers(*, actor: Actor, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Run every running case whose earliest timer is due; returns their ids."""
    now = now or utcnow()
    due = list(db.session.scalars(db.select(Case).options(undefer(Case.workflow_json))
                                  .where(Case.state == "running", Case.next_timer_at <= now)
                                  .order_by(Case.next_timer_at).limit(limit)))
    for case in due:
        workflow = load_workflow(case)
        try:
            engine().run(workflow)
        except StepFailed as err:
            save_workflow(case, workflow, now=now)
            stopped(case, workflow, err, actor=actor, now=now)
            continue
        except EngineError as err:
            audit.record(actor=actor, action="case.timer", target_type="case", target_id=case.id,
                         outcome="error", details={"error": str(err)})
            continue
        save_workflow(case, workflow, now=now)
        audit.record(actor=actor, action="case.timer", target_type="case", target_id=case.id)
    db.session.flush()
    return [c.id for c in due]


def correct_data(*, case: Case, values: dict[str, Any], now: datetime) -> None:
    """Set ``values`` in the case's data wherever its tasks hold them (a correction, or the visit's state such
    as its hand-over); the case's version guards a concurrent change. Nothing runs on."""
    workflow = load_workflow(case)
    engine().correct_data(workflow, values)
    caserows.write_case(case, workflow, engine(), now=now)


_data_cache: registry.LruCache[tuple[str, str], dict[str, Any]] = registry.LruCache(size=64)


def case_data(case: Case) -> dict[str, Any]:
    """The case's data as its workflow holds it now (a copy: the caller may change it).

    Read from a small cache keyed by the stored workflow itself (its spec hash and its whole JSON text, compared
    in full): a visit's hand-over read the data four times and each read parsed the workflow (5–7 ms, 60 loads in
    12 hand-overs, bench/load.py's profile); a changed workflow is a new key, so nothing is ever stale."""
    data = _data_cache.get((case.spec_hash, case.workflow_json), lambda: engine().data(load_workflow(case)))
    return deepcopy(data)


def list_tasks(*, section: str | None = None, state: str | None = "ready", assignee: str | None = None,
               case_id: int | None = None, sections: tuple[str, ...] | None = None, workable_only: bool = False,
               limit: int = 500) -> list[CaseTask]:
    """The inbox query: indexed columns only, never a workflow. ``sections``: only tasks of these (access);
    ``workable_only``: not the procedures of a visit still at the counter (:func:`waits_for_hand_over`)."""
    query = db.select(CaseTask).order_by(CaseTask.due_at.is_(None), CaseTask.due_at, CaseTask.id).limit(limit)
    if section:
        query = query.where(CaseTask.section_code == section)
    if sections is not None:
        query = query.where(CaseTask.section_code.in_(sections))
    if state:
        query = query.where(CaseTask.state == state)
    if assignee:
        query = query.where(CaseTask.assignee == assignee)
    if case_id:
        query = query.where(CaseTask.case_id == case_id)
    if workable_only:
        query = query.where(workable())
    return list(db.session.scalars(query))


def list_cases(*, state: str | None = None, process_key: str | None = None, section: str | None = None,
               among: tuple[str, ...] | None = None, limit: int = 200) -> list[Case]:
    """Cases, newest first; ``section``: waiting there; ``among``: only those with (or that had) a task of one of
    these sections (what a section may see, workflows.access)."""
    query = db.select(Case).order_by(Case.id.desc()).limit(limit)
    if among is not None:
        query = query.where(Case.id.in_(db.select(CaseTask.case_id).where(CaseTask.section_code.in_(among))))
    if state:
        query = query.where(Case.state == state)
    if process_key:
        query = query.where(Case.process_key == process_key)
    if section:
        query = query.where(Case.id.in_(db.select(CaseTask.case_id).where(CaseTask.section_code == section,
                                                                           CaseTask.state == "ready")))
    return list(db.session.scalars(query))


def fire_timers_job(*, actor: Actor, now: datetime, settings: Any) -> tuple[str, str]:
    """The scheduled job ``cases.timers`` (every minute): run the cases whose timer is due (the runner commits)."""
    fired = fire_due_timers(actor=actor, now=now)
    return "succeeded", f"{len(fired)} 件の案件でタイマーを処理しました" if fired else "期限到来のタイマーはありません"
