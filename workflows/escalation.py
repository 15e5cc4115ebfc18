"""Escalation: a task past its due time is announced once through the alert hook (core.alerts) and counted
as a badge for its section's inbox and the manager's view. ``case_tasks.escalated_at`` remembers the
announcement, so the every-few-minutes job never repeats one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from core import alerts, audit
from core.actor import Actor
from core.db import db
from workflows.models import Case, CaseTask

# A running case nobody has moved for this long is highlighted on the counter's case list.
IDLE_MINUTES = 15


def overdue_count(*, now: datetime, sections: tuple[str, ...] | None = None) -> int:
    """Ready tasks past due now (of ``sections``; None: all), the badge's number."""
    query = db.select(db.func.count(CaseTask.id)).where(CaseTask.state == "ready", CaseTask.due_at < now)
    if sections is not None:
        query = query.where(CaseTask.section_code.in_(sections))
    return int(db.session.scalar(query) or 0)


def escalate_overdue(*, actor: Actor, now: datetime, settings: Any, limit: int = 200) -> list[CaseTask]:
    """Announce every newly overdue task once (the case id, task and section only: no resident data)."""
    due = list(db.session.scalars(db.select(CaseTask).where(CaseTask.state == "ready", CaseTask.due_at < now,
                                                            CaseTask.escalated_at.is_(None))
                                  .order_by(CaseTask.due_at).limit(limit)))
    for task in due:
        task.escalated_at = now
    db.session.flush()
    if due:
        alerts.fire(settings=settings, kind="task.overdue", message=f"期限を過ぎた作業が {len(due)} 件あります",
                    details={"tasks": [{"task_id": t.id, "case_id": t.case_id, "title": t.title,
                                        "section": t.section_code, "due_at": t.due_at} for t in due]})
        audit.record(actor=actor, action="task.escalate", target_type="task", target_id=due[0].id,
                     details={"tasks": [t.id for t in due]})
    return due


def escalation_job(*, actor: Actor, now: datetime, settings: Any) -> tuple[str, str]:
    """The scheduled job ``tasks.overdue`` (every 5 minutes)."""
    due = escalate_overdue(actor=actor, now=now, settings=settings)
    return "succeeded", f"期限超過の作業 {len(due)} 件を通知しました" if due else "新たな期限超過はありません"


def idle_case_ids(cases: Iterable[Case], *, now: datetime, minutes: int = IDLE_MINUTES) -> set[int]:
    """The running cases among ``cases`` whose last change (``updated_at``) is ``minutes`` or more ago."""
    cutoff = now - timedelta(minutes=minutes)
    return {c.id for c in cases if c.state == "running" and c.updated_at and c.updated_at <= cutoff}
