"""Scheduled jobs: the declarative list, the business-day trigger, the recorded run, the scheduler.

The jobs span the resident imports, the RPA drop folder, case timers and operations (backups, log retention),
so the scheduler sits beside the integrations rather than inside one of them. (Its run history and lock tables,
``JobRun`` and ``SchedulerLock``, are still defined with the resident import's models.)

Jobs live in :data:`JOBS` with stable ids. :func:`execute` is the one wrapper that gives each run a
recorded :class:`JobRun`, a clean session and error capture — used by the scheduler and by "run now".
The scheduler (APScheduler 3, SQLAlchemy job store in ``apscheduler_jobs``) is its own process
(``madoguchi scheduler``), off in tests; one row in ``scheduler_locks`` makes it one per deployment.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from core import maintenance
from core.actor import SYSTEM, Actor
from core.db import db, utcnow
from core.errors import Conflict, DomainError, NotFound
from integrations import schedules
from integrations.residents import importer, mapping
from integrations.residents.models import JobRun, JobSchedule, SchedulerLock
from integrations.rpa import delivery as rpa_delivery
from integrations.schedules import JST, BusinessDayCronTrigger, is_business_day  # noqa: F401 - re-exported
from workflows import runtime

LOCK_NAME = "scheduler"
LOCK_STALE = timedelta(seconds=90)
HEARTBEAT_SECONDS = 30
log = logging.getLogger(__name__)
Outcome = tuple[str, str]  # (status, message)


@dataclass(frozen=True)
class JobSpec:
    id: str
    name: str
    description: str
    func: Callable[..., Outcome]
    trigger: Callable[[], CronTrigger]
    schedule: str  # for people


def drop_folder(settings: Any) -> Path:
    """Where core systems put files for the import job: ``<var_dir>/drop/residents``."""
    return Path(settings.var_dir) / "drop" / "residents"


def source_and_mode(filename: str) -> tuple[str, str]:
    """``<source>.<full|diff>.<anything>`` names both; otherwise source ``kikan``, diff if 'diff' is named."""
    parts = filename.split(".")
    if len(parts) >= 3 and parts[1] in importer.MODES:
        return parts[0], parts[1]
    return "kikan", "diff" if "diff" in filename.lower() else "full"


def import_drop_folder(*, actor: Actor, now: datetime, settings: Any) -> Outcome:
    """Import every file of the drop folder in name order, one transaction each; move it to done/ or rejected/."""
    folder = drop_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in {".csv", ".txt", ".dat"})
    if not files:
        return "succeeded", "取込ファイルはありません (no files)"
    lines, ok = [], True
    for path in files:
        source, mode = source_and_mode(path.name)
        try:
            found = mapping.find(source, dirs=[folder / "mappings"])
            run = importer.run_import(data=path.read_bytes(), source=source, mode=mode, actor=actor,
                                      filename=path.name, mapping=found, trigger="scheduler", now=now)
            db.session.commit()
            status, label = run.status, f"run {run.id}"
        except DomainError as err:
            db.session.rollback()
            status, label = "rejected", err.message
        target = folder / ("done" if status == "succeeded" else "rejected")
        target.mkdir(exist_ok=True)
        path.rename(target / f"{now.astimezone(JST):%Y%m%d%H%M%S}_{path.name}")
        ok = ok and status == "succeeded"
        lines.append(f"{path.name}: {status} ({label})")
    return ("succeeded" if ok else "failed"), "\n".join(lines)


JOBS: list[JobSpec] = [
    JobSpec(id="residents.import_drop", name="住民データ取込（基幹系ドロップフォルダ）",
            description="基幹系が置いたファイルを取り込みます（差分・全件）。",
            func=import_drop_folder,
            trigger=lambda: BusinessDayCronTrigger(hour=6, minute=30, timezone=JST),
            schedule="開庁日 06:30"),
    JobSpec(id="rpa.export", name="RPA出力（受理済み申請のCSV）",
            description="未出力の受理済み申請をRPA用ドロップフォルダへ出力します。", func=rpa_delivery.scheduled_export,
            trigger=lambda: BusinessDayCronTrigger(hour="9-19", minute=0, timezone=JST),
            schedule="開庁日 9〜19時 毎正時"),
    JobSpec(id="cases.timers", name="案件タイマーの処理",
            description="期限が来たタイマー（督促・期限切れなど）の案件を進めます。", func=runtime.fire_timers_job,
            trigger=lambda: CronTrigger(minute="*", timezone=JST), schedule="毎分"),
    JobSpec(id="ops.backup", name="バックアップ（データベース全体）",
            description="データベースをバックアップし、古いものを削除します（保持数は設定）。",
            func=maintenance.backup_job,
            trigger=lambda: CronTrigger(hour=2, minute=0, timezone=JST), schedule="毎日 02:00"),
    JobSpec(id="ops.audit_retention", name="操作ログの保存期間管理",
            description="保存期間（既定5年）を過ぎた操作ログを検証可能なアーカイブに移し、削除します。",
            func=maintenance.audit_retention_job,
            trigger=lambda: CronTrigger(hour=3, minute=0, timezone=JST), schedule="毎日 03:00"),
    JobSpec(id="ops.audit_partitions", name="操作ログの月別パーティション作成",
            description="PostgreSQLで操作ログの今後3か月分のパーティションを作成し、既定パーティションに入った行を移します。",
            func=maintenance.audit_partitions_job,
            trigger=lambda: CronTrigger(hour=2, minute=30, timezone=JST), schedule="毎日 02:30"),
]


def get_spec(job_id: str) -> JobSpec:
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise NotFound(f"ジョブ {job_id} はありません")


def execute(job_id: str, *, trigger: str, actor: Actor, settings: Any, now: datetime | None = None) -> JobRun:
    """Run one job now and record it; commits (this is the job's edge). Conflict if it is already running."""
    spec = get_spec(job_id)
    now = now or utcnow()
    running = db.session.scalar(select(JobRun.id).where(
        JobRun.job_id == job_id, JobRun.status == "running", JobRun.started_at > now - timedelta(hours=2)))
    if running is not None:
        raise Conflict(f"ジョブ {job_id} は実行中です (run {running})")
    run = JobRun(job_id=job_id, trigger=trigger, started_by=actor.username, started_at=now)
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        status, message = spec.func(actor=actor, now=now, settings=settings)
    except Exception as err:  # noqa: BLE001 - a job's failure is recorded, never lost in a thread
        log.exception("job %s failed", job_id)
        db.session.rollback()
        status, message = "failed", f"{type(err).__name__}: {err}"
    finished = db.session.get(JobRun, run_id)
    assert finished is not None
    finished.status, finished.message, finished.finished_at = status, message, utcnow()
    db.session.commit()
    return finished


def runs(job_id: str, *, limit: int = 20) -> list[JobRun]:
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


def job_trigger(spec: JobSpec, override: JobSchedule | None) -> tuple[CronTrigger | None, str]:
    """The trigger a job runs on now (None: switched off) and how it reads."""
    return schedules.effective(spec.trigger, spec.schedule, override)


def set_schedule(*, actor: Actor, job_id: str, cron: str, business_days_only: bool, enabled: bool) -> JobSchedule:
    """An administrator's schedule for ``job_id`` (NotFound for an unknown job, Invalid for a wrong crontab)."""
    get_spec(job_id)
    return schedules.set_schedule(actor=actor, job_id=job_id, cron=cron, business_days_only=business_days_only,
                                  enabled=enabled)


def reset_schedule(*, actor: Actor, job_id: str) -> None:
    get_spec(job_id)
    schedules.reset_schedule(actor=actor, job_id=job_id)


# --- the scheduler process ---------------------------------------------------------------------

_runtime: dict[str, Any] = {}


def run_scheduled(job_id: str) -> None:
    """APScheduler's entry point (stored by reference in the job store): run the job in an app context."""
    with _runtime["context"]():
        try:
            execute(job_id, trigger="schedule", actor=SYSTEM, settings=_runtime["settings"])
        except Conflict as err:
            log.warning("%s", err.message)
        finally:
            db.session.remove()


def build_scheduler(*, context: Callable[[], AbstractContextManager[Any]], settings: Any,
                    engine: Any) -> BackgroundScheduler:
    """A scheduler (not started) whose jobs run inside ``context()`` (the app context factory)."""
    _runtime.update(context=context, settings=settings)
    return BackgroundScheduler(
        # The job store gets its own engine on the same database (it disposes it at shutdown); NullPool
        # because APScheduler's threads otherwise leave a pooled connection open at shutdown.
        jobstores={"default": SQLAlchemyJobStore(engine=create_engine(
            engine.url.render_as_string(hide_password=False), poolclass=NullPool)),
                   "internal": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
        timezone=JST,
    )


def sync_jobs(scheduler: BackgroundScheduler) -> None:
    """Store each job of :data:`JOBS` on its current schedule and drop the switched-off ones. An unchanged job
    keeps its next run time, so a missed run still fires (once: coalesced) when the scheduler comes back.
    Called at start and at every heartbeat, so an administrator's change applies within 30 s."""
    found = schedules.overrides()
    for spec in JOBS:
        trigger, _ = job_trigger(spec, found.get(spec.id))
        job = scheduler.get_job(spec.id)
        if trigger is None:
            if job is not None:
                scheduler.remove_job(spec.id)
            continue
        if job is not None and str(job.trigger) == str(trigger):
            continue
        scheduler.add_job(run_scheduled, trigger=trigger, args=[spec.id], id=spec.id, name=spec.name,
                          replace_existing=True)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lock(*, holder: str, now: datetime | None = None) -> bool:
    """Take or refresh the deployment's scheduler lock; False while another holder's heartbeat is fresh.
    Commits: the lock must be visible to other processes at once."""
    now = now or utcnow()
    lock = db.session.get(SchedulerLock, LOCK_NAME, with_for_update=True)
    if lock is None:
        db.session.add(SchedulerLock(name=LOCK_NAME, holder=holder, acquired_at=now, heartbeat_at=now))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return False
        return True
    if lock.holder != holder and lock.heartbeat_at > now - LOCK_STALE:
        db.session.rollback()
        return False
    if lock.holder != holder:
        lock.holder, lock.acquired_at = holder, now
    lock.heartbeat_at = now
    db.session.commit()
    return True


def release_lock(*, holder: str) -> None:
    lock = db.session.get(SchedulerLock, LOCK_NAME)
    if lock is not None and lock.holder == holder:
        db.session.delete(lock)
    db.session.commit()


def lock_holder() -> SchedulerLock | None:
    return db.session.get(SchedulerLock, LOCK_NAME)


def add_heartbeat(scheduler: BackgroundScheduler, *, holder: str) -> None:
    """Refresh the lock and apply schedule changes every 30 s; a scheduler that lost the lock stops."""
    def beat() -> None:
        with _runtime["context"]():
            try:
                if not acquire_lock(holder=holder):
                    log.error("scheduler lock lost to another process; stopping")
                    scheduler.shutdown(wait=False)
                    return
                sync_jobs(scheduler)
            finally:
                db.session.remove()

    scheduler.add_job(beat, "interval", seconds=HEARTBEAT_SECONDS, id="scheduler.heartbeat",
                      jobstore="internal", replace_existing=True)
