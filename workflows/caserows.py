"""What the runtime writes after each engine step: the case row and the task table that mirrors READY human tasks.

The hot path (a task completed, a message delivered) writes with prebuilt Core statements instead of an ORM
flush: every completion pays for these rows, and the unit of work plus per-call statement compilation cost
about as much as SpiffWorkflow's own step. They run on the session's connection (its transaction), which also
skips the session's ORM execute path. Optimistic locking is kept by hand — each UPDATE carries
``WHERE version = :expected`` and a missed row raises SQLAlchemy's ``StaleDataError``, exactly what a versioned
ORM flush raises, so :func:`core.tx.atomic` retries or reports the conflict the same way. The in-memory objects
are then given the written values as *committed* state, so the ORM neither re-writes nor reloads them.
On PostgreSQL the writes go through :mod:`core.writebehind`: they are sent together with the COMMIT, in one
round trip, and a missed version still fails the transaction.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import bindparam, insert, or_, update
from sqlalchemy.orm.attributes import set_committed_value

from core import users, writebehind
from core.db import db
from workflows.engine import CaseEngine, HumanTask, serializer_version
from workflows.models import Case, CaseTask

_CASES = Case.__table__
_TASKS = CaseTask.__table__
CASE_FIELDS = ("workflow_json", "serializer_version", "updated_at", "next_timer_at", "state", "completed_at")
TASK_FIELDS = ("state", "assignee", "completed_at", "completed_by", "form_data")
_UPDATE_CASE = (update(_CASES).where(_CASES.c.id == bindparam("row_id"), _CASES.c.version == bindparam("expected"))
                .values({**{name: bindparam(name) for name in CASE_FIELDS}, "version": _CASES.c.version + 1}))
_UPDATE_TASK = (update(_TASKS).where(_TASKS.c.id == bindparam("row_id"), _TASKS.c.version == bindparam("expected"))
                .values({**{name: bindparam(name) for name in TASK_FIELDS}, "version": _TASKS.c.version + 1}))
_INSERT_TASK = insert(_TASKS)


def derived(case: Case, workflow: Any, engine: CaseEngine, *, now: datetime) -> dict[str, Any]:
    """The case row's columns that follow from the workflow (its JSON, state, next timer)."""
    values = {"workflow_json": engine.dumps(workflow), "serializer_version": serializer_version(),
              "updated_at": now, "next_timer_at": engine.next_timer_at(workflow),
              "state": case.state, "completed_at": case.completed_at}
    if engine.is_completed(workflow) and case.state == "running":
        values["state"], values["completed_at"] = "completed", now
    return values


def store_new(case: Case, workflow: Any, engine: CaseEngine, *, now: datetime) -> None:
    """Fill a case that is not yet in the database (the ORM inserts it)."""
    for name, value in derived(case, workflow, engine, now=now).items():
        setattr(case, name, value)


def write_case(case: Case, workflow: Any, engine: CaseEngine, *, now: datetime) -> None:
    """UPDATE the stored case with the workflow, guarded by its version."""
    _versioned_update(_UPDATE_CASE, case, derived(case, workflow, engine, now=now))


def write_completed_task(task: CaseTask, *, by: str, now: datetime, data: dict[str, Any] | None = None) -> None:
    """UPDATE the task row as completed by ``by`` with the answers it was completed with, guarded by its version."""
    form_data = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str) if data else None
    _versioned_update(_UPDATE_TASK, task, {"state": "completed", "assignee": task.assignee or by,
                                           "completed_at": now, "completed_by": by, "form_data": form_data})


def _versioned_update(statement: Any, row: Case | CaseTask, values: dict[str, Any]) -> None:
    expected = row.version
    writebehind.write(db.session.connection(), statement, {**values, "row_id": row.id, "expected": expected},
                      expect_rows=1,
                      stale=f"{type(row).__tablename__} {row.id}: version {expected} was changed by someone else")
    for name, value in {**values, "version": expected + 1}.items():
        set_committed_value(row, name, value)


def sync_all(case: Case, ready: list[HumanTask], *, now: datetime) -> None:
    """Open a row for each new READY task, close rows whose task is no longer READY; reads only open rows."""
    ready_uuids = {h.uuid for h in ready}
    rows = db.session.scalars(db.select(CaseTask).where(
        CaseTask.case_id == case.id, or_(CaseTask.state == "ready", CaseTask.task_uuid.in_(ready_uuids)))).all()
    by_uuid = {t.task_uuid: t for t in rows}
    opened = []
    for human in ready:
        row = by_uuid.get(human.uuid)
        if row is None:
            opened.append(human)
        elif row.state not in {"ready", "completed"}:
            row.state, row.completed_at = "ready", None  # the engine made it READY again (a reset)
    _close(list(rows), ready_uuids, now)
    _open(case, opened, now)


def sync_changes(case: Case, ready: list[HumanTask], ready_before: set[str], *, now: datetime) -> None:
    """Like :func:`sync_all` when the open rows are known to mirror ``ready_before``: reads only vanished rows."""
    ready_uuids = {h.uuid for h in ready}
    vanished = ready_before - ready_uuids
    if vanished:
        rows = db.session.scalars(db.select(CaseTask).where(CaseTask.case_id == case.id,
                                                            CaseTask.task_uuid.in_(vanished))).all()
        _close(list(rows), ready_uuids, now)
    _open(case, [h for h in ready if h.uuid not in ready_before], now)


def _open(case: Case, humans: list[HumanTask], now: datetime) -> None:
    """INSERT one row per new READY task, in one statement."""
    if not humans:
        return
    lanes = _section_codes_by_lane()
    writebehind.write(db.session.connection(), _INSERT_TASK, [
        {"case_id": case.id, "task_uuid": h.uuid, "spec_name": h.spec_name, "title": h.title, "lane": h.lane,
         "section_code": lanes.get(h.lane or ""), "form_key": h.form_key, "state": "ready", "assignee": None,
         "created_at": now, "claimed_at": None, "completed_at": None, "completed_by": None,
         "due_at": _due_at(h.due, now), "form_data": None, "version": 1}
        for h in humans])


def _close(rows: list[CaseTask], keep: set[str], now: datetime) -> None:
    for row in rows:
        if row.state == "ready" and row.task_uuid not in keep:
            row.state = "cancelled"  # left READY by a boundary event, a cancel or a completed branch
            row.completed_at = now


_LANE_CACHE_SECONDS = 30.0
_lane_cache: dict[str, tuple[float, dict[str, str]]] = {}


def _section_codes_by_lane() -> dict[str, str]:
    """Lane name → section code. Sections are configuration, so a 30-second memo per database is enough."""
    key = str(db.engine.url)
    cached = _lane_cache.get(key)
    if cached is None or time.monotonic() - cached[0] > _LANE_CACHE_SECONDS:
        cached = (time.monotonic(), {lane: s.code for lane, s in users.section_by_lane().items()})
        _lane_cache[key] = cached
    return cached[1]


def _due_at(duration: str | None, now: datetime) -> datetime | None:
    if not duration:
        return None
    try:
        return now + TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(duration), now)
    except Exception:  # noqa: BLE001 - a malformed due date must not stop the case; validation reports it
        return None
