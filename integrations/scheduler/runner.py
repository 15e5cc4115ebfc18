"""One job run, recorded: the one wrapper every run goes through, whether the scheduler or an administrator starts it.

A run is first recorded as ``running`` in a transaction of its own, so that a second start (another process, a
double click) sees it and is refused. The job's work and the run's outcome are then one unit of work, committed
here once (:func:`core.tx.commit`): the job itself only flushes. A job that fails is rolled back, its run is
recorded as failed after the rollback, and the alert hook is told.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core import alerts, tx
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Conflict
from core.i18n import N_
from integrations.scheduler import schedules
from integrations.scheduler.jobs import JOBS, JobSpec, get_spec
from integrations.scheduler.models import JobRun, JobSchedule

log = logging.getLogger(__name__)
RUNNING_FOR_AT_MOST = timedelta(hours=2)  # a "running" row older than this was left by a crash
_unrecorded: dict[int, str] = {}  # run id → error, for runs whose failure the database could not take


def execute(job_id: str, *, trigger: str, actor: Actor, settings: Any, now: datetime | None = None) -> JobRun:
    """Run one job now and record it; the job's edge (commits). Conflict if it is already running."""
    spec = get_spec(job_id)
    now = now or utcnow()
    close_unrecorded()
    run_id = _record_start(job_id, trigger=trigger, started_by=actor.username, now=now)
    try:
        status, message = spec.func(actor=actor, now=now, settings=settings)
        _record_end(run_id, status, message)
        tx.commit()
    except Exception as err:  # noqa: BLE001 - a job's failure is recorded, never lost in a thread
        log.exception("job %s failed", job_id)
        status, message = "failed", f"{type(err).__name__}: {err}"
        _record_failure(run_id, message)
    run = db.session.get(JobRun, run_id)
    assert run is not None
    if status == "failed":
        alerts.fire(settings=settings, kind="job_failed", message=f"ジョブ {job_id} が失敗しました",
                    details={"job_id": job_id, "run_id": run_id, "message": (message or "")[:2000]})
    return run


def _record_start(job_id: str, *, trigger: str, started_by: str, now: datetime) -> int:
    """Insert the ``running`` row in a transaction of its own (visible to other processes at once)."""
    with Session(db.engine) as s:
        running = s.scalar(select(JobRun.id).where(JobRun.job_id == job_id, JobRun.status == "running",
                                                   JobRun.started_at > now - RUNNING_FOR_AT_MOST))
        if running is not None:
            raise Conflict(N_("ジョブ {job} は実行中です（実行 {run}）", job=job_id, run=running))
        run = JobRun(job_id=job_id, trigger=trigger, started_by=started_by, started_at=now)
        s.add(run)
        s.commit()
        return run.id


def _record_failure(run_id: int, message: str) -> None:
    """Roll the job back and record its failure. When the database itself is gone (restarting), neither can be
    done now: the run is remembered and closed by the next run in this process (:func:`close_unrecorded`), so
    that its ``running`` row does not refuse the job for two hours; then the error propagates."""
    try:
        tx.rollback()
        _record_end(run_id, "failed", message)
        tx.commit()
    except SQLAlchemyError:
        log.warning("run %s: its failure could not be recorded now; the next run records it", run_id)
        with contextlib.suppress(SQLAlchemyError):
            tx.rollback()
        _unrecorded[run_id] = message
        raise


def close_unrecorded() -> None:
    """Record as failed the runs of this process whose failure the database could not take at the time.

    Called before every run and, by the scheduler, every few seconds while any is left
    (:func:`integrations.scheduler.process.close_dropped_runs`): a restarted database sees them closed within
    seconds, not at the next minute's job. Raises SQLAlchemyError while the database is still away."""
    ids = list(_unrecorded)  # a copy: a job thread may add a run meanwhile, which the next call closes
    if not ids:
        return
    with Session(db.engine) as s:
        for run in s.scalars(select(JobRun).where(JobRun.id.in_(ids), JobRun.status == "running")):
            run.status, run.finished_at = "failed", utcnow()
            run.message = f"データベースに接続できず中断しました: {_unrecorded.get(run.id, '')}"[:2000]
        s.commit()
    for run_id in ids:
        _unrecorded.pop(run_id, None)


def has_unrecorded() -> bool:
    """Whether a run of this process still waits for its failure to be recorded (no database access)."""
    return bool(_unrecorded)


def close_interrupted(*, now: datetime | None = None) -> int:
    """At the scheduler's start, holding the lock: scheduled runs still ``running`` belong to a scheduler that
    died (killed, or the machine went down) before recording their end, and their work was rolled back with it
    (a job commits its work with its outcome). Record them as failed, so that they refuse nothing (commits)."""
    with Session(db.engine) as s:
        left = list(s.scalars(select(JobRun).where(JobRun.trigger == "schedule", JobRun.status == "running")))
        for run in left:
            run.status, run.finished_at = "failed", now or utcnow()
            run.message = "スケジューラの停止により中断しました（処理は取り消されています）"
        s.commit()
    return len(left)


def _record_end(run_id: int, status: str, message: str) -> None:
    run = db.session.get(JobRun, run_id)
    assert run is not None
    run.status, run.message, run.finished_at = status, message, utcnow()
    db.session.flush()


def runs(job_id: str, *, limit: int = 20) -> list[JobRun]:
    """The job's runs, newest first."""
    get_spec(job_id)
    return list(db.session.scalars(select(JobRun).where(JobRun.job_id == job_id)
                                   .order_by(JobRun.id.desc()).limit(limit)))


def list_jobs(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each job with its schedule (an administrator's, else the default), next planned time and last run."""
    now = now or utcnow()
    found = schedules.overrides()
    result = []
    for spec in JOBS:
        last, override = runs(spec.id, limit=1), found.get(spec.id)
        trigger, text = job_trigger(spec, override)
        result.append({"id": spec.id, "name": spec.name, "description": spec.description, "schedule": text,
                       "default_schedule": spec.schedule, "custom": override is not None,
                       "enabled": trigger is not None, "cron": override.cron if override else None,
                       "business_days_only": bool(override and override.business_days_only),
                       "next_run_at": trigger.get_next_fire_time(None, now) if trigger else None,
                       "last_run": last[0] if last else None})
    return result


def job_trigger(spec: JobSpec, override: JobSchedule | None) -> tuple[Any, str]:
    """The trigger a job runs on now (None: switched off) and how it reads."""
    return schedules.effective(spec.trigger, spec.schedule, override)


def set_schedule(*, actor: Actor, job_id: str, cron: str, business_days_only: bool, enabled: bool) -> JobSchedule:
    """An administrator's schedule for ``job_id`` (NotFound for an unknown job, Invalid for a wrong crontab)."""
    get_spec(job_id)
    return schedules.set_schedule(actor=actor, job_id=job_id, cron=cron, business_days_only=business_days_only,
                                  enabled=enabled)


def reset_schedule(*, actor: Actor, job_id: str) -> None:
    """Back to the job's default schedule."""
    get_spec(job_id)
    schedules.reset_schedule(actor=actor, job_id=job_id)
