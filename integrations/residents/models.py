"""Tables of the common resident database: households, residents, import runs, staging, jobs.

Every resident row carries the run, source and time it was last imported from, so a screen can say
where a fact came from. ``*_key`` columns hold normalised search keys (see :mod:`.normalize`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow

# The columns shared by a resident and its staging row, in the canonical order (minus the keys).
FACT_COLUMNS = (
    "insurance", "pension_category", "mynumber_card", "seal_registered", "disability", "care_certified",
    "child_allowance_recipient", "welfare_medical", "single_parent", "school", "dog_owner",
    "support_measure", "support_measure_kind",
)


class Household(db.Model):
    """A household (世帯) as the core system last sent it; the address is the head's."""

    __tablename__ = "res_households"

    id: Mapped[int] = mapped_column(primary_key=True)
    setai_no: Mapped[str] = mapped_column(String(16), unique=True)
    head_name: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(300))
    address_extra: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    import_run_id: Mapped[int | None] = mapped_column()
    members: Mapped[list[Resident]] = relationship(back_populates="household", order_by="Resident.id")


class Resident(db.Model):
    """One person of the resident register with the facts that procedure determination needs."""

    __tablename__ = "res_residents"
    __table_args__ = (
        Index("ix_res_residents_kana_key", "kana_key"),
        Index("ix_res_residents_given_kana_key", "given_kana_key"),
        Index("ix_res_residents_name_key", "name_key"),
        Index("ix_res_residents_given_name_key", "given_name_key"),
        Index("ix_res_residents_birth_date", "birth_date"),
        Index("ix_res_residents_address_key", "address_key"),
        Index("ix_res_residents_setai_no", "setai_no"),
        Index("ix_res_residents_household_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jumin_code: Mapped[str] = mapped_column(String(11), unique=True)
    setai_no: Mapped[str] = mapped_column(String(16))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("res_households.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str | None] = mapped_column(String(200))
    alias: Mapped[str | None] = mapped_column(String(200))
    former_surname: Mapped[str | None] = mapped_column(String(100))
    # ISO date when complete; ``birth_date_text`` keeps partial dates (不詳: 00 for the unknown parts).
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_date_text: Mapped[str] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(1))
    relation: Mapped[str | None] = mapped_column(String(32))
    postal_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(300))
    address_extra: Mapped[str | None] = mapped_column(String(200))
    resident_since: Mapped[date | None] = mapped_column(Date)
    change_reason: Mapped[str | None] = mapped_column(String(64))
    change_date: Mapped[date | None] = mapped_column(Date)
    resident_type: Mapped[str] = mapped_column(String(1), default="1")  # 1 Japanese, 2 foreign
    nationality: Mapped[str | None] = mapped_column(String(64))
    residence_status: Mapped[str | None] = mapped_column(String(64))
    insurance: Mapped[str | None] = mapped_column(String(16))
    pension_category: Mapped[str | None] = mapped_column(String(8))
    mynumber_card: Mapped[bool] = mapped_column(default=False)
    seal_registered: Mapped[bool] = mapped_column(default=False)
    disability: Mapped[str | None] = mapped_column(String(64))
    care_certified: Mapped[str | None] = mapped_column(String(32))
    child_allowance_recipient: Mapped[bool] = mapped_column(default=False)
    welfare_medical: Mapped[str | None] = mapped_column(String(200))
    single_parent: Mapped[bool] = mapped_column(default=False)
    school: Mapped[str | None] = mapped_column(String(32))
    dog_owner: Mapped[bool] = mapped_column(default=False)
    support_measure: Mapped[bool] = mapped_column(default=False)
    support_measure_kind: Mapped[str | None] = mapped_column(String(32))
    # 支援措置 period and the protected person's place in it (申出者 / 併せて支援): see docs/protection.md.
    support_measure_from: Mapped[date | None] = mapped_column(Date)
    support_measure_until: Mapped[date | None] = mapped_column(Date)
    support_measure_relation: Mapped[str | None] = mapped_column(String(32))
    # Search keys: katakana, full width, no spaces; kanji without spaces and variant forms folded.
    kana_key: Mapped[str | None] = mapped_column(String(200))
    given_kana_key: Mapped[str | None] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    given_name_key: Mapped[str | None] = mapped_column(String(200))
    address_key: Mapped[str | None] = mapped_column(String(300))
    row_hash: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    import_run_id: Mapped[int | None] = mapped_column()
    household: Mapped[Household | None] = relationship(back_populates="members", lazy="joined")


class ImportRun(db.Model):
    """One import of a core-system file: who, what, when, the counts and every rejected row."""

    __tablename__ = "res_import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))  # full, diff
    filename: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_format: Mapped[str | None] = mapped_column(String(16))  # csv, fixed
    encoding: Mapped[str | None] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16), default="api")  # api, cli, scheduler, page
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, succeeded, rejected, failed
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    rows_read: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    # JSON list of {"line": n, "column": name|None, "reason": text}; every bad row, not a sample.
    errors_json: Mapped[str | None] = mapped_column(Text)


# The staging table: a validated file is loaded here first, then merged into the live tables by SQL.
staging = Table(
    "res_staging",
    db.metadata,
    Column("run_id", Integer, nullable=False),
    Column("line", Integer, nullable=False),
    Column("op", String(1), nullable=False),
    *[Column(c.name, c.type) for c in Resident.__table__.columns
      if c.name not in {"id", "household_id", "source", "imported_at", "import_run_id"}],
)


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
