"""The scheduler process (``madoguchi scheduler``): APScheduler with its SQLAlchemy job store, one per deployment.

One row in ``scheduler_locks`` makes it one per deployment: the holder refreshes it every heartbeat (30 s) and a
second process waits until the holder's heartbeat is stale. The scheduler is off in tests; jobs run through
:func:`integrations.scheduler.runner.execute` like a manual run.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from core import tx
from core.actor import SYSTEM
from core.calendar import JST
from core.db import db, utcnow
from core.errors import Conflict
from integrations.scheduler import runner, schedules
from integrations.scheduler.jobs import JOBS
from integrations.scheduler.models import SchedulerLock

LOCK_NAME = "scheduler"
LOCK_STALE = timedelta(seconds=90)
HEARTBEAT_SECONDS = 30
RETRY_CLOSE_SECONDS = 3  # how often a run the database dropped is tried again to be recorded as failed
log = logging.getLogger(__name__)
_runtime: dict[str, Any] = {}


def run_scheduled(job_id: str) -> None:
    """APScheduler's entry point (stored by reference in the job store): run the job in an app context."""
    with _runtime["context"]():
        try:
            runner.execute(job_id, trigger="schedule", actor=SYSTEM, settings=_runtime["settings"])
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
        trigger, _ = runner.job_trigger(spec, found.get(spec.id))
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


def holder_is_gone(holder: str) -> bool:
    """Whether ``holder`` (``host:pid``) was a process of this host that no longer exists: a scheduler killed
    with SIGKILL (or by the OOM killer) cannot release its lock, and its successor, started at once by the
    service manager, need not wait 90 s for the heartbeat to go stale. A holder on another host, or a pid that
    exists (even reused by another program), is taken as alive: waiting is the safe side."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a process of another user has that pid
        return False
    return False


def acquire_lock(*, holder: str, now: datetime | None = None) -> bool:
    """Take or refresh the deployment's scheduler lock; False while another holder's heartbeat is fresh.

    The heartbeat's own unit of work (commits): the lock must be visible to other processes at once."""
    now = now or utcnow()
    lock = db.session.get(SchedulerLock, LOCK_NAME, with_for_update=True)
    if lock is None:
        db.session.add(SchedulerLock(name=LOCK_NAME, holder=holder, acquired_at=now, heartbeat_at=now))
        try:
            tx.commit()
        except IntegrityError:
            tx.rollback()
            return False
        return True
    if lock.holder != holder and lock.heartbeat_at > now - LOCK_STALE and not holder_is_gone(lock.holder):
        tx.rollback()
        return False
    if lock.holder != holder:
        lock.holder, lock.acquired_at = holder, now
    lock.heartbeat_at = now
    tx.commit()
    return True


def release_lock(*, holder: str) -> None:
    """Give the lock up at shutdown (commits), so that a successor need not wait for it to go stale."""
    lock = db.session.get(SchedulerLock, LOCK_NAME)
    if lock is not None and lock.holder == holder:
        db.session.delete(lock)
    tx.commit()


def lock_holder() -> SchedulerLock | None:
    return db.session.get(SchedulerLock, LOCK_NAME)


def last_heartbeat() -> datetime | None:
    """When a scheduler process last proved it was alive (for the health check); None if none ever ran."""
    return db.session.scalar(select(SchedulerLock.heartbeat_at).order_by(SchedulerLock.heartbeat_at.desc()))


def add_heartbeat(scheduler: BackgroundScheduler, *, holder: str) -> None:
    """Refresh the lock and apply schedule changes every 30 s (a scheduler that lost the lock stops); every 3 s,
    record the runs the database dropped (:func:`close_dropped_runs`)."""
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
    scheduler.add_job(close_dropped_runs, "interval", seconds=RETRY_CLOSE_SECONDS, id="scheduler.close_dropped",
                      jobstore="internal", replace_existing=True)


def close_dropped_runs() -> None:
    """Record the runs the database dropped as failed as soon as it is back (a few seconds, not the next
    heartbeat's 30): their ``running`` rows would otherwise show a job under way that is not, and refuse a manual
    run. Nothing to do costs no database access; a database still away is tried again on the next tick."""
    if not runner.has_unrecorded():
        return
    with _runtime["context"]():
        try:
            runner.close_unrecorded()
        except SQLAlchemyError:
            log.info("the database is still away; the dropped runs are recorded on a later try")
        finally:
            db.session.remove()
