"""When scheduled jobs run: the business-day cron trigger, and the schedules administrators set per job.

A job's default schedule is in :data:`integrations.scheduler.JOBS`; an administrator may replace it with a
crontab (Japan time), limit it to business days, or switch the job off (it can still be run by hand). The
running scheduler picks a change up at its next heartbeat (``sync_jobs`` every 30 s), so no restart is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from core import audit
from core.actor import Actor
from core.calendar import JST, is_business_day
from core.db import db, utcnow
from core.errors import Forbidden, Invalid
from core.i18n import N_
from integrations.scheduler.models import JobSchedule

CRON_FIELDS = ("分", "時", "日", "月", "曜日")


class BusinessDayCronTrigger(CronTrigger):
    """A cron trigger that skips the days :func:`is_business_day` rejects (pickled into the job store)."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        for _ in range(60):  # the longest run of closed days is far shorter (Golden Week, 年末年始)
            if fire is None or is_business_day(fire.astimezone(JST).date()):
                return fire
            fire = super().get_next_fire_time(fire, fire + timedelta(microseconds=1))
        return fire

    def __str__(self) -> str:
        return f"business days {super().__str__()}"


def parse(cron: str, *, business_days_only: bool) -> CronTrigger:
    """The trigger of a five-field crontab (minute hour day month weekday, Japan time); Invalid says what is wrong."""
    fields = (cron or "").split()
    if len(fields) != len(CRON_FIELDS):
        raise Invalid(N_("cron 式は5項目（{names}）です。{count} 項目あります。",
                         names=" ".join(CRON_FIELDS), count=len(fields)),
                      details={"fields": {"cron": f"expected 5 fields, got {len(fields)}"}})
    kind = BusinessDayCronTrigger if business_days_only else CronTrigger
    try:
        return kind.from_crontab(" ".join(fields), timezone=JST)
    except ValueError as err:
        raise Invalid(N_("cron 式が正しくありません: {error}", error=str(err)),
                      details={"fields": {"cron": str(err)}}) from err


def describe(cron: str, *, business_days_only: bool) -> str:
    """How the schedule reads for people."""
    return N_("開庁日のみ cron「{cron}」", cron=cron) if business_days_only else N_("cron「{cron}」", cron=cron)


def overrides() -> dict[str, JobSchedule]:
    return {row.job_id: row for row in db.session.scalars(db.select(JobSchedule))}


def effective(default: Callable[[], CronTrigger], default_text: str,
              override: JobSchedule | None) -> tuple[CronTrigger | None, str]:
    """(trigger or None when switched off, its description) of a job, its override applied."""
    if override is None:
        return default(), default_text
    if not override.enabled:
        return None, "停止中（手動実行のみ）"
    return (parse(override.cron, business_days_only=override.business_days_only),
            describe(override.cron, business_days_only=override.business_days_only))


def set_schedule(*, actor: Actor, job_id: str, cron: str, business_days_only: bool, enabled: bool) -> JobSchedule:
    """Replace a job's schedule (checked first: nothing is stored when the crontab is wrong); logged."""
    _require_admin(actor)
    parse(cron, business_days_only=business_days_only)
    row = db.session.get(JobSchedule, job_id)
    before = None if row is None else _logged(row)
    row = row or JobSchedule(job_id=job_id)
    row.cron, row.business_days_only, row.enabled = " ".join(cron.split()), business_days_only, enabled
    row.updated_by, row.updated_at = actor.username, utcnow()
    db.session.add(row)
    db.session.flush()
    audit.record(actor=actor, action="admin.job_schedule", target_type="job", target_id=job_id,
                 details={"before": before, "after": _logged(row)})
    return row


def reset_schedule(*, actor: Actor, job_id: str) -> None:
    """Back to the job's default schedule; logged."""
    _require_admin(actor)
    row = db.session.get(JobSchedule, job_id)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
        audit.record(actor=actor, action="admin.job_schedule", target_type="job", target_id=job_id,
                     details={"before": _logged(row), "after": None})


def _logged(row: JobSchedule) -> dict[str, object]:
    """A schedule as the operation log records it."""
    return {"cron": row.cron, "business_days_only": row.business_days_only, "enabled": row.enabled}


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden(N_("ジョブの予定を変更できるのは管理者だけです"))
