"""Scheduled jobs: list them with their last run, run one now, read a job's history."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint

from core.tx import atomic
from integrations.scheduler import runner
from integrations.scheduler.models import JobRun
from web.auth import current_actor, roles_required

URL_PREFIX = "/jobs"
blp = Blueprint("jobs_api", __name__, description="Scheduled jobs and their runs")


class ScheduledJobRunSchema(ma.Schema):
    id = ma.fields.Integer()
    job_id = ma.fields.String()
    trigger = ma.fields.String()
    started_by = ma.fields.String()
    started_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    status = ma.fields.String()
    message = ma.fields.String(allow_none=True)


class ScheduledJobSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    schedule = ma.fields.String()
    default_schedule = ma.fields.String()
    custom = ma.fields.Boolean(metadata={"description": "an administrator replaced the default schedule"})
    enabled = ma.fields.Boolean(metadata={"description": "false: not scheduled (can still be run by hand)"})
    cron = ma.fields.String(allow_none=True)
    business_days_only = ma.fields.Boolean()
    next_run_at = ma.fields.DateTime(allow_none=True)
    last_run = ma.fields.Nested(ScheduledJobRunSchema, allow_none=True)


class JobScheduleIn(ma.Schema):
    cron = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100),
                            metadata={"description": "five-field crontab, Japan time: minute hour day month weekday"})
    business_days_only = ma.fields.Boolean(load_default=False)
    enabled = ma.fields.Boolean(load_default=True)


@blp.route("")
@roles_required("admin")
@blp.response(200, ScheduledJobSchema(many=True))
def list_jobs() -> list[dict[str, Any]]:
    return runner.list_jobs()


@blp.route("/<job_id>/run", methods=["POST"])
@roles_required("admin")
@blp.response(201, ScheduledJobRunSchema)
def run_job(job_id: str) -> JobRun:
    return runner.execute(job_id, trigger="manual", actor=current_actor(),
                             settings=current_app.config["MADOGUCHI"])


@blp.route("/<job_id>/runs")
@roles_required("admin")
@blp.response(200, ScheduledJobRunSchema(many=True))
def job_runs(job_id: str) -> list[JobRun]:
    return runner.runs(job_id)


@blp.route("/<job_id>/schedule", methods=["PUT"])
@roles_required("admin")
@blp.arguments(JobScheduleIn)
@blp.response(200, ScheduledJobSchema)
def set_schedule(body: dict[str, Any], job_id: str) -> dict[str, Any]:
    actor = current_actor()
    atomic(lambda: runner.set_schedule(actor=actor, job_id=job_id, **body))
    return _job(job_id)


@blp.route("/<job_id>/schedule", methods=["DELETE"])
@roles_required("admin")
@blp.response(200, ScheduledJobSchema)
def reset_schedule(job_id: str) -> dict[str, Any]:
    actor = current_actor()
    atomic(lambda: runner.reset_schedule(actor=actor, job_id=job_id))
    return _job(job_id)


def _job(job_id: str) -> dict[str, Any]:
    return next(job for job in runner.list_jobs() if job["id"] == job_id)
