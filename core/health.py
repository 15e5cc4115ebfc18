"""The health check: database, scheduler heartbeat and free disk, each ``ok`` or why not."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from core.db import db, utcnow
from core.settings import Settings


def check(*, settings: Settings, heartbeat: Callable[[], datetime | None], scheduled: Callable[[], int],
          now: datetime | None = None) -> dict[str, Any]:
    """Status ``ok`` or ``error`` with one field per component; red when any component is red.

    ``heartbeat`` reads when the scheduler process last proved it was alive, ``scheduled`` how many jobs are
    scheduled (both asked only when the database answers); the scheduler lives above this package, so its caller
    passes them in."""
    now = now or utcnow()
    result: dict[str, Any] = {"db": _db(), "disk": _disk(settings), "scheduler": "unknown"}
    if result["db"] == "ok":
        result["scheduler"] = _scheduler(settings, heartbeat(), scheduled(), now)
    red = [name for name in ("db", "disk", "scheduler") if _is_red(result[name])]
    result["status"] = "error" if red else "ok"
    if red:
        result["failing"] = red
    return result


def _is_red(value: str) -> bool:
    return not (value == "ok" or value.startswith(("ok", "not running")))


def _db() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as err:  # noqa: BLE001 - any DB failure is "down" for the monitor
        db.session.rollback()
        return f"error: {type(err).__name__}"


def _disk(settings: Settings) -> str:
    try:
        free_mb = shutil.disk_usage(settings.var_dir).free // (1024 * 1024)
    except OSError as err:
        return f"error: {type(err).__name__}"
    return f"ok ({free_mb} MB free)" if free_mb >= settings.min_free_disk_mb else f"low: {free_mb} MB free"


def _scheduler(settings: Settings, beat: datetime | None, scheduled: int, now: datetime) -> str:
    """The heartbeat of the scheduler process. No scheduler while jobs are scheduled is red: the imports, the
    robot's export, the case timers and the backups would silently stop. Only with every job switched off (run
    by hand) is a missing scheduler fine."""
    if beat is None:
        if scheduled:
            return f"stopped: {scheduled} jobs are scheduled but no scheduler is running (madoguchi scheduler)"
        return "not running (no job scheduled)"
    age = (now - beat).total_seconds()
    if settings.scheduler_stale_seconds and now - beat > timedelta(seconds=settings.scheduler_stale_seconds):
        return f"stale: last heartbeat {int(age)} s ago"
    return f"ok (heartbeat {int(age)} s ago)"
