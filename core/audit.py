"""Append to the operation log. Every service that acts on data calls :func:`record`."""

from __future__ import annotations

import json
from typing import Any

from core.actor import Actor
from core.db import db
from core.models import AuditEntry


def record(
    *,
    actor: Actor | None,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the current transaction; it commits (or rolls back) with the action it logs."""
    entry = AuditEntry(
        username=actor.username if actor else None,
        role=actor.role if actor else None,
        terminal=actor.terminal if actor else None,
        ip=actor.ip if actor else None,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        outcome=outcome,
        details=json.dumps(details, ensure_ascii=False, default=str) if details else None,
    )
    db.session.add(entry)
    return entry


def list_(*, username: str | None = None, target_type: str | None = None, target_id: str | None = None,
          limit: int = 200) -> list[AuditEntry]:
    """Newest first, filtered."""
    query = db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if username:
        query = query.where(AuditEntry.username == username)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == str(target_id))
    return list(db.session.scalars(query))
