"""Scheduled upkeep: the daily backup with rotation, the operation-log retention (archive, then purge) and
the log's monthly partitions on PostgreSQL.

All have the scheduler's job signature ``(actor=, now=, settings=) -> (status, message)`` and only flush; the job
list in ``integrations/scheduler/jobs.py`` registers them (ids ``ops.backup``, ``ops.audit_retention`` and
``ops.audit_partitions``) and the job runner commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from core import audit, audit_chain, audit_partitions, backup
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
    return "succeeded", f"{path.name} ({path.stat().st_size} bytes); removed {len(removed)} old"


def audit_retention_job(*, actor: Actor, now: datetime, settings: Settings) -> tuple[str, str]:
    """Archive and purge log entries older than the retention period, then verify what remains."""
    before = now - timedelta(days=settings.audit_retention_days)
    result = audit_chain.archive_and_purge(actor=actor, before=before, out_dir=archive_dir(settings))
    if result["count"] and not audit_chain.verify_archive(Path(result["path"])).ok:
        return "failed", f"archive {result['path']} does not verify"
    names = result.get("dropped_partitions")
    dropped = f"; dropped partitions {', '.join(names)}" if names else ""
    return "succeeded", f"archived and purged {result['count']} entries older than {before:%Y-%m-%d}{dropped}"


def audit_partitions_job(*, actor: Actor, now: datetime, settings: Settings) -> tuple[str, str]:
    """Create the operation log's partitions for the coming months, and one for every month with rows that
    landed in the DEFAULT partition (they are moved into it); logged when anything was created."""
    if not audit_partitions.is_partitioned(db.session):
        return "succeeded", "the operation log is not partitioned here (SQLite): nothing to do"
    created = audit_partitions.ensure(db.session, now=now)
    if created:
        audit.record(actor=actor, action="audit.partitions", target_type="audit_log", details={"created": created})
    return "succeeded", f"created {', '.join(created)}" if created else "every partition already exists"
