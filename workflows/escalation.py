"""Escalation: work that waits too long is made visible instead of waiting in silence.

* A ready task past its due time counts on a 「期限超過」 badge of its section's 受付一覧 and of the 管理者ビュー,
  and is announced once through the alert hook (:func:`core.alerts.fire`) by the job ``tasks.overdue``;
  ``case_tasks.escalated_at`` remembers the announcement, so the every-few-minutes job never repeats one.
  The alert names the task, its case number, section and due time — never resident data (an alert leaves the
  system by a command or webhook).
* A running case waiting at the counter that nobody has moved for :data:`IDLE_MINUTES` is highlighted on the
  counter's 案件一覧.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from core import alerts, audit
from core.actor import Actor
from core.db import db
from core.i18n import N_
from workflows.models import Case, CaseTask

# A running case nobody has moved for this long is highlighted on the counter's case list.
IDLE_MINUTES = 15
MAX_ANNOUNCED = 200  # one alert's list; the rest are announced on the next run


def _overdue(now: datetime) -> Any:
    return db.select(CaseTask).where(CaseTask.state == "ready", CaseTask.due_at.is_not(None), CaseTask.due_at < now)


def overdue_count(*, now: datetime, sections: Iterable[str] | None = None) -> int:
    """Ready tasks past due at ``now`` (of ``sections``; None: of all sections): the badge's number."""
    query = _overdue(now).with_only_columns(db.func.count(CaseTask.id))
    if sections is not None:
        query = query.where(CaseTask.section_code.in_(list(sections)))
    return int(db.session.scalar(query) or 0)


def escalate_overdue(*, actor: Actor, now: datetime, settings: Any) -> list[dict[str, Any]]:
    """Announce every task that became overdue since the last run, once, and mark them (the caller commits).

    The mark is a plain UPDATE, as ``runtime.mark_opened``'s: it leaves the task's version alone, so a clerk whose
    form was open before the job ran still completes it."""
    table = CaseTask.__table__
    rows = db.session.execute(
        db.select(table.c.id, table.c.case_id, table.c.title, table.c.section_code, table.c.due_at)
        .where(table.c.state == "ready", table.c.due_at.is_not(None), table.c.due_at < now,
               table.c.escalated_at.is_(None))
        .order_by(table.c.due_at, table.c.id).limit(MAX_ANNOUNCED)).all()
    if not rows:
        return []
    db.session.execute(update(table).where(table.c.id.in_([r.id for r in rows]), table.c.escalated_at.is_(None))
                       .values(escalated_at=now))
    listed = [{"task_id": r.id, "case_id": r.case_id, "title": r.title, "section": r.section_code,
               "due_at": r.due_at.isoformat()} for r in rows]
    sent = alerts.fire(settings=settings, kind="task.overdue", message=f"期限を過ぎた作業が {len(rows)} 件あります",
                       details={"tasks": listed})
    audit.record(actor=actor, action="task.escalate", target_type="task", target_id=rows[0].id,
                 details={"tasks": [r.id for r in rows], "sent": sent})
    return listed


def escalation_job(*, actor: Actor, now: datetime, settings: Any) -> tuple[str, str]:
    """The scheduled job ``tasks.overdue`` (every 5 minutes; the runner commits)."""
    due = escalate_overdue(actor=actor, now=now, settings=settings)
    return "succeeded", (N_("期限超過の作業 {n} 件を通知しました", n=len(due)) if due
                         else N_("新たな期限超過はありません"))


def idle_case_ids(cases: Iterable[Case], *, now: datetime, sections: Iterable[str],
                  minutes: int = IDLE_MINUTES) -> set[int]:
    """The running cases among ``cases`` waiting at one of ``sections`` (the counter's own: a ready task there)
    whose last change (``updated_at``: every step saves the case) is ``minutes`` or more ago.

    A case waiting for a back-office section is not idle at the counter: days there are normal, and the overdue
    badge is what speaks for it."""
    cutoff = now - timedelta(minutes=minutes)
    stale = [c.id for c in cases if c.state == "running" and c.updated_at is not None and c.updated_at <= cutoff]
    codes = list(sections)
    if not stale or not codes:
        return set()
    table = CaseTask.__table__
    return set(db.session.scalars(db.select(table.c.case_id).distinct().where(
        table.c.case_id.in_(stale), table.c.state == "ready", table.c.section_code.in_(codes))))
