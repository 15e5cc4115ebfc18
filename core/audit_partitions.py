"""Monthly range partitions of the operation log on PostgreSQL (SQLite keeps one plain table).

``audit_log`` is ``PARTITION BY RANGE (at)`` (migration 0009) with one partition per UTC month,
``audit_log_YYYY_MM``, plus ``audit_log_default`` so that an append never fails for want of a partition.
:func:`ensure` creates the coming months ahead (the ``ops.audit_partitions`` job, daily) and gives every
month that has rows waiting in the DEFAULT partition its own partition, moving those rows into it — PostgreSQL
refuses to create a partition whose range still has rows in DEFAULT. :func:`drop_archived_months` lets the
retention job drop whole archived months (DETACH + DROP) instead of deleting them row by row.

Every function is a no-op answer (``False``, ``[]``) on a database whose log is not partitioned.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

PARENT = "audit_log"
DEFAULT = "audit_log_default"
AHEAD_MONTHS = 3
_NAME = re.compile(r"^audit_log_(\d{4})_(\d{2})$")
_COLUMNS = ("id, at, username, role, terminal, ip, action, target_type, target_id, outcome, details, seq, "
            "prev_hash, hash")


def month_of(moment: datetime) -> date:
    """The first day of ``moment``'s UTC month."""
    utc = moment.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def bounds(month: date) -> tuple[datetime, datetime]:
    """The partition range of ``month``: [first instant, first instant of the next month), UTC."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = add_months(month, 1)
    return start, datetime(end.year, end.month, 1, tzinfo=UTC)


def name_of(month: date) -> str:
    return f"{PARENT}_{month:%Y_%m}"


def is_partitioned(session: Session) -> bool:
    """Whether ``audit_log`` is a partitioned table here (PostgreSQL after migration 0009)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:name)"), {"name": PARENT})
    return kind == "p"


def months(session: Session) -> list[date]:
    """The months that have a partition, oldest first (the DEFAULT partition is not a month)."""
    if not is_partitioned(session):
        return []
    names = session.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:name)"), {"name": PARENT})
    found = [_NAME.match(n) for n in names]
    return sorted(date(int(m[1]), int(m[2]), 1) for m in found if m)


def ensure(session: Session, *, now: datetime, ahead: int = AHEAD_MONTHS, first: datetime | None = None) -> list[str]:
    """Create the partitions from ``first`` (default: this month) to ``ahead`` months after ``now``, and one
    for every month that has rows in DEFAULT (those rows move into it). Returns the names created.

    Runs in the caller's transaction; the caller commits."""
    if not is_partitioned(session):
        return []
    start, last = month_of(first or now), add_months(month_of(now), ahead)
    wanted = {add_months(start, i) for i in range((last.year - start.year) * 12 + last.month - start.month + 1)}
    waiting = session.scalars(text(f"SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date FROM {DEFAULT}"))
    wanted |= set(waiting)
    created = []
    for month in sorted(wanted - set(months(session))):
        _create(session, month)
        created.append(name_of(month))
    return created


def _create(session: Session, month: date) -> None:
    """Create ``month``'s partition; rows of that month waiting in DEFAULT are moved into it first.

    DEFAULT is locked for the rest of the transaction, so no append can land in the range between the move and
    the ATTACH (an append dated in that month would wait, then be checked against the new bound)."""
    name, (start, end) = name_of(month), bounds(month)
    session.execute(text(f"LOCK TABLE {DEFAULT} IN ACCESS EXCLUSIVE MODE"))
    session.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)"))
    session.execute(text(f"WITH moved AS (DELETE FROM {DEFAULT} WHERE at >= :start AND at < :end "
                         f"RETURNING {_COLUMNS}) INSERT INTO {name} ({_COLUMNS}) SELECT {_COLUMNS} FROM moved"),
                    {"start": start, "end": end})
    # Bounds of a partition are literals in DDL; they come from dates, never from input.
    session.execute(text(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} "
                         f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"))


def drop_archived_months(session: Session, *, before: datetime, last_archived_seq: int) -> list[str]:
    """DETACH and DROP every month that ends at or before ``before`` and holds only archived entries
    (``seq`` ≤ ``last_archived_seq``). Returns the names dropped.

    The caller holds the chain head (so no append is waiting on a lock we hold nothing of yet); the table lock
    is taken with NOWAIT and a few retries: waiting for it could deadlock with a reader who then waits for the
    head. When it cannot be had, nothing is dropped — the rows are then deleted as on SQLite, and the emptied
    months are dropped by a later run."""
    if not is_partitioned(session):
        return []
    droppable = [m for m in months(session) if bounds(m)[1] <= before and not session.execute(text(
        f"SELECT 1 FROM {name_of(m)} WHERE seq IS NULL OR seq > :seq LIMIT 1"), {"seq": last_archived_seq}).first()]
    if not droppable or not _lock_table(session):
        return []
    for month in droppable:
        session.execute(text(f"ALTER TABLE {PARENT} DETACH PARTITION {name_of(month)}"))
        session.execute(text(f"DROP TABLE {name_of(month)}"))
    return [name_of(m) for m in droppable]


def _lock_table(session: Session, *, attempts: int = 20, pause: float = 0.1) -> bool:
    for _ in range(attempts):
        try:
            with session.begin_nested():
                session.execute(text(f"LOCK TABLE {PARENT} IN ACCESS EXCLUSIVE MODE NOWAIT"))
            return True
        except OperationalError:
            time.sleep(pause)
    return False
