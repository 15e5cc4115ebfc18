"""What managers and section staff look at: filtered inboxes, queues, waiting and handling times, cases in flight.

Everything reads the ``case_tasks`` mirror (indexed columns), never a workflow. Times are UTC-aware; "today" is the
Japan-time day. Period statistics load the tasks of the period, which for one city hall is a few thousand rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import mean

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, selectinload

from core.actor import Actor
from core.calendar import JST, day_bounds
from core.db import db, utcnow
from core.errors import Forbidden, Invalid
from core.i18n import N_
from workflows import access, runtime
from workflows.models import Case, CaseTask

DUE_FILTERS = ("", "overdue", "today")
ASSIGNEE_FILTERS = ("", "me", "unassigned", "others")


@dataclass(frozen=True)
class InboxFilter:
    """The inbox filters as the page sends them; empty strings mean "any"."""

    section: str = ""
    process_key: str = ""
    due: str = ""
    waiting_min: int = 0
    assignee: str = ""


def inbox(*, actor: Actor, filters: InboxFilter, now: datetime | None = None, limit: int = 500) -> list[CaseTask]:
    """The ready tasks of the actor's sections that can be worked (a visit's procedures once handed over),
    filtered; a section outside them is Forbidden."""
    now = now or utcnow()
    allowed = access.visible_sections(actor)
    if filters.due not in DUE_FILTERS or filters.assignee not in ASSIGNEE_FILTERS or filters.waiting_min < 0:
        raise Invalid(N_("絞り込み条件が正しくありません"), details={"due": filters.due, "assignee": filters.assignee})
    if filters.section and allowed is not None and filters.section not in allowed:
        raise Forbidden(N_("課 {section} は担当課ではありません", section=filters.section),
                        details={"section": filters.section})
    stmt = (select(CaseTask).join(Case).options(contains_eager(CaseTask.case))
            .where(CaseTask.state == "ready", runtime.workable()))
    if filters.section:
        stmt = stmt.where(CaseTask.section_code == filters.section)
    elif allowed is not None:
        stmt = stmt.where(CaseTask.section_code.in_(allowed))
    if filters.process_key:
        stmt = stmt.where(Case.process_key == filters.process_key)
    if filters.due == "overdue":
        stmt = stmt.where(CaseTask.due_at < now)
    elif filters.due == "today":
        stmt = stmt.where(CaseTask.due_at < day_bounds(now.astimezone(JST).date())[1])
    if filters.waiting_min:
        stmt = stmt.where(CaseTask.created_at <= now - timedelta(minutes=filters.waiting_min))
    stmt = _assignee_filter(stmt, filters.assignee, actor.username)
    stmt = stmt.order_by(CaseTask.due_at.is_(None), CaseTask.due_at, CaseTask.id).limit(limit)
    return list(db.session.scalars(stmt))


def _assignee_filter(stmt, which: str, username: str):  # noqa: ANN001, ANN202 - a Select in, a Select out
    if which == "me":
        return stmt.where(CaseTask.assignee == username)
    if which == "unassigned":
        return stmt.where(CaseTask.assignee.is_(None))
    if which == "others":
        return stmt.where(CaseTask.assignee.is_not(None), CaseTask.assignee != username)
    return stmt


@dataclass
class SectionStats:
    """One section's queue now and its times over a period (minutes)."""

    section: str
    queue: int = 0
    overdue: int = 0
    completed: int = 0
    waits: list[float] = field(default_factory=list)
    handles: list[float] = field(default_factory=list)

    @property
    def avg_wait(self) -> float | None:
        return round(mean(self.waits), 1) if self.waits else None

    @property
    def avg_handle(self) -> float | None:
        return round(mean(self.handles), 1) if self.handles else None


def section_stats(*, start: datetime, end: datetime, now: datetime | None = None) -> dict[str, SectionStats]:
    """Per section: open queue and overdue now; completed count, mean wait (created → first opened or claimed,
    else completed) and mean handling (opened or claimed → completed) of tasks completed in [start, end)."""
    if end <= start:
        raise Invalid(N_("期間の終わりは始まりより後にしてください"), details={"to": "before from"})
    now = now or utcnow()
    stats: dict[str, SectionStats] = {}
    # Columns, not entities: a task loaded earlier in this request (the queue of another period) would keep its
    # old state in the session — a task completed meanwhile by another terminal came back with completed_at None.
    queue = select(CaseTask.section_code, CaseTask.due_at).where(CaseTask.state == "ready")
    for section, due_at in db.session.execute(queue):
        row = stats.setdefault(section or "-", SectionStats(section or "-"))
        row.queue += 1
        row.overdue += bool(due_at and due_at < now)
    done = select(CaseTask.section_code, CaseTask.created_at, CaseTask.opened_at, CaseTask.claimed_at,
                  CaseTask.completed_at).where(CaseTask.state == "completed", CaseTask.completed_at >= start,
                                               CaseTask.completed_at < end)
    for section, created_at, opened_at, claimed_at, completed_at in db.session.execute(done):
        row = stats.setdefault(section or "-", SectionStats(section or "-"))
        row.completed += 1
        started = min((t for t in (opened_at, claimed_at) if t is not None), default=None)
        row.waits.append(((started or completed_at) - created_at).total_seconds() / 60)
        if started:
            row.handles.append((completed_at - started).total_seconds() / 60)
    return stats


def overdue_tasks(*, now: datetime | None = None, limit: int = 200) -> list[CaseTask]:
    """Ready tasks past their due time, oldest due first."""
    now = now or utcnow()
    stmt = (select(CaseTask).options(selectinload(CaseTask.case))
            .where(CaseTask.state == "ready", CaseTask.due_at < now).order_by(CaseTask.due_at))
    return list(db.session.scalars(stmt.limit(limit)))


def cases_in_flight(*, since: datetime | None = None, limit: int = 200) -> list[Case]:
    """Running cases, plus cases finished since ``since`` (so a manager sees them finish), newest first, each with
    only its **ready** tasks loaded as ``tasks`` (the sections it waits for: all the page shows; a visit's
    finished tasks were most of the rows read)."""
    cond = Case.state == "running" if since is None else or_(Case.state == "running", Case.completed_at >= since)
    ready = selectinload(Case.tasks.and_(CaseTask.state == "ready"))
    stmt = select(Case).options(ready).where(cond).order_by(Case.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))


def stats_csv(stats: dict[str, SectionStats], *, names: dict[str, str], start: datetime, end: datetime) -> str:
    """The statistics as CSV (UTF-8 with BOM so that Excel opens it in Japanese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["課コード", "課", "処理待ち", "期限超過", "完了数", "平均待ち時間(分)", "平均処理時間(分)",
                     "期間開始", "期間終了"])
    for code, row in sorted(stats.items()):
        writer.writerow([code, names.get(code, code), row.queue, row.overdue, row.completed,
                         "" if row.avg_wait is None else row.avg_wait,
                         "" if row.avg_handle is None else row.avg_handle,
                         start.astimezone(JST).isoformat(), end.astimezone(JST).isoformat()])
    return out.getvalue()


def diagram_markers(case: Case) -> dict[str, list[str]]:
    """The BPMN element ids of the case's completed and waiting tasks, for drawing on its diagram.

    SpiffWorkflow names the instances of a multi-instance activity ``<element> [child]``: they mark the element."""
    def element(spec_name: str) -> str:
        return spec_name.split(" [", 1)[0]

    return {"done": sorted({element(t.spec_name) for t in case.tasks if t.state == "completed"}),
            "active": sorted({element(t.spec_name) for t in case.tasks if t.state == "ready"})}
