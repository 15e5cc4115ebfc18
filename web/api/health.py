"""GET /api/v1/health — open to monitors: database, scheduler heartbeat, disk; 503 and an alert when red (also when
no scheduler runs while jobs are scheduled)."""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from core import alerts
from core import health as health_service
from integrations.scheduler import jobs, process, runner, schedules

URL_PREFIX = "/health"
blp = Blueprint("health_api", __name__, description="Liveness for monitoring (no login)")
_last = {"status": "ok"}
_lock = threading.Lock()


@blp.route("")
@blp.response(200)
@blp.alt_response(503, description="a component is red (db, disk, scheduler)")
def health() -> tuple[dict[str, Any], int]:
    settings = current_app.config["MADOGUCHI"]
    result = health_service.check(settings=settings, heartbeat=process.last_heartbeat, scheduled=_scheduled_jobs)
    _alert_on_change(settings, result)
    return result, 200 if result["status"] == "ok" else 503


def _scheduled_jobs() -> int:
    """How many jobs run on a schedule (the administrators' overrides applied; switched-off jobs do not count)."""
    found = schedules.overrides()
    return sum(1 for spec in jobs.JOBS if runner.job_trigger(spec, found.get(spec.id))[0] is not None)


def _alert_on_change(settings: Any, result: dict[str, Any]) -> None:
    """Alert when health turns red (once per change, not on every poll) and say when it is green again."""
    with _lock:
        previous, _last["status"] = _last["status"], result["status"]
    if previous != result["status"]:
        kind = "health_red" if result["status"] == "error" else "health_recovered"
        alerts.fire(settings=settings, kind=kind, message=f"health: {result['status']}", details=result)
