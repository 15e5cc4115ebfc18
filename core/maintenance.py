"""Scheduled upkeep: the daily backup with rotation and the operation-log retention (archive, then purge).

Both have the scheduler's job signature ``(actor=, now=, settings=) -> (status, message)``; the job list in
``integrations/residents/scheduled.py`` registers them (ids ``ops.backup`` and ``ops.audit_retention``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from core import audit, audit_chain, backup
from core.actor import Actor
from core.db import db
from core.settings import Settings


def backup_dir(settings: Settings) -> Path:
    return Path(settings.backup_dir or Path(settings.var_dir) / "backups")


def archive_dir(settings: Settings) -> Path:
    return Path(settings.var_dir) / "audit-archive"


def backup_job(*, actor: Actor, now: datetime, settings: Settings) -> tuple[str, str]:
    """Back up the database and keep the newest ``backup_keep`` backups; logged."""
    out = backup_dir(settings)
    path = backup.backup(database_url=settings.database_url, out_dir=out, now=now)
    removed = backup.rotate(out_dir=out, keep=settings.backup_keep)
    audit.record(actor=actor, action="backup.create", target_type="backup", target_id=path.name,
                 details={"bytes": path.stat().st_size, "rotated_out": [p.name for p in removed]})
    db.session.commit()
    return "succeeded", f"{path.name} ({path.stat().st_size} bytes); removed {len(removed)} old"


def audit_retention_job(*, actor: Actor, now: datetime, settings: Settings) -> tuple[str, str]:
    """Archive and purge log entries older than the retention period, then verify what remains."""
    before = now - timedelta(days=settings.audit_retention_days)
    result = audit_chain.archive_and_purge(actor=actor, before=before, out_dir=archive_dir(settings))
    db.session.commit()
    if result["count"] and not audit_chain.verify_archive(Path(result["path"])).ok:
        return "failed", f"archive {result['path']} does not verify"
    return "succeeded", f"archived and purged {result['count']} entries older than {before:%Y-%m-%d}"
