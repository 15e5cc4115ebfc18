"""Helpers for the operation-log tests: entries dated in the past, and cleaning up the months they made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text, update

from core import audit, audit_partitions
from core.db import db, utcnow
from core.models import AuditChainHead, AuditEntry
from tests.conftest import actor


def append_dated(moments: list[datetime]) -> None:
    """Append one entry per moment (oldest first) through the append path, then date each and re-hash the chain,
    as if every entry had been written at its moment. On PostgreSQL a past month without a partition puts the
    entry in DEFAULT."""
    for i, moment in enumerate(sorted(moments)):
        audit.record(actor=actor("manager"), action="test.dated", target_type="resident", target_id=i % 3)
        newest = db.select(db.func.max(AuditEntry.seq)).scalar_subquery()  # a queued append is sent before this
        db.session.execute(update(AuditEntry).where(AuditEntry.seq == newest).values(at=moment))
    db.session.commit()
    head = db.session.get(AuditChainHead, 1)
    prev = head.base_hash if head else audit.GENESIS
    for entry in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.seq)):
        entry.prev_hash = prev
        entry.hash = prev = audit.digest(entry)
    db.session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=prev))
    db.session.commit()


def drop_past_partitions() -> None:
    """Drop the partitions of months before this one (tests make them; the test database starts without)."""
    db.session.rollback()
    this_month = audit_partitions.month_of(utcnow())
    for month in audit_partitions.months(db.session):
        if month < this_month:
            db.session.execute(text(f"DROP TABLE {audit_partitions.name_of(month)}"))
    db.session.commit()
