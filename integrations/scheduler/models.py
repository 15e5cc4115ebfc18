"""Tables of the scheduler: job runs, the one-per-deployment lock, administrators' schedules, APScheduler's store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, Index, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


class JobRun(db.Model):
    """One execution of a scheduled job, whether fired by the scheduler or by an administrator."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule, manual
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, succeeded, failed, skipped
    message: Mapped[str | None] = mapped_column(Text)


class SchedulerLock(db.Model):
    """The row that makes one scheduler per deployment: held by whoever refreshed it last, recently."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


# APScheduler's own job-store table, declared here (same layout as SQLAlchemyJobStore's) so that the
# migration creates it and autogenerate does not propose to drop it.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    db.metadata,
    Column("id", String(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class JobSchedule(db.Model):
    """An administrator's schedule for a job, replacing the default of ``integrations.scheduler.JOBS``.

    ``cron`` is a five-field crontab in Japan time (minute hour day month weekday); ``business_days_only`` skips
    weekends, holidays and 年末年始; a disabled job is not scheduled at all (it can still be run by hand)."""

    __tablename__ = "job_schedules"

    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    cron: Mapped[str] = mapped_column(String(100))
    business_days_only: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
