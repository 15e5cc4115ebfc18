"""The operation log (操作ログ): a hash chain appended by every service that acts on data.

Each entry carries ``seq`` (its position), ``prev_hash`` (the hash of the entry before it) and ``hash``
(SHA-256 over all its columns and ``prev_hash``). Appends lock the single chain-head row: on PostgreSQL one
statement locks it (``FOR UPDATE``), hashes and inserts (:data:`_APPEND_CHAINED`), and the lock serialises
appenders until their commit; on SQLite an ``UPDATE … RETURNING`` of the head takes the database write lock
first, so no two transactions can read the same head.
Verification and archives live in :mod:`core.audit_chain`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit_partitions, writebehind
from core.actor import Actor
from core.db import db, utcnow
from core.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "at", "username", "role", "terminal", "ip", "action", "target_type", "target_id",
                 "outcome", "details", "prev_hash")
_HEAD = AuditChainHead.__table__
_LOG = AuditEntry.__table__
# Built once with bound parameters: SQLAlchemy then reuses their compiled form, where a statement built per call
# with literal ``.values(...)`` is re-keyed and costs about twice as much on every append.
_ADVANCE = (update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=_HEAD.c.last_seq + 1)
            .returning(_HEAD.c.last_seq, _HEAD.c.last_hash))
_APPEND = insert(_LOG)
_SET_LAST_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=bindparam("last_hash"))
# PostgreSQL appends in one statement: lock the head, compute the entry's hash from the head's position and
# hash with the server's sha256(), advance the head and insert the entry. The client cannot hash before it knows
# the head, so the Python path takes two round trips; here the JSON array that :func:`digest` hashes is sent
# without its two ends (seq first, prev_hash last), which the statement puts around it, so the stored hash is
# byte for byte what :func:`digest` gives (``audit verify`` recomputes it in Python).
# ``FOR UPDATE`` in the first CTE waits for a concurrent appender and then reads the head it left (READ
# COMMITTED re-reads a locked row), so the UPDATE and the entry both build on the newest head.
_APPEND_CTES = """
WITH old AS (SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE),
head AS (
    UPDATE audit_chain_head AS h
    SET last_seq = old.last_seq + 1,
        last_hash = encode(sha256(convert_to(
            '[' || (old.last_seq + 1) || ',' || :middle || ',"' || old.last_hash || '"]', 'UTF8')), 'hex')
    FROM old WHERE h.id = 1
    RETURNING h.last_seq AS seq, old.last_hash AS prev_hash, h.last_hash AS hash),
entry AS (
    INSERT INTO audit_log (seq, prev_hash, hash, at, username, role, terminal, ip, action, target_type, target_id,
                           outcome, details)
    SELECT head.seq, head.prev_hash, head.hash, :at, :username, :role, :terminal, :ip, :action, :target_type,
           :target_id, :outcome, :details
    FROM head
    RETURNING seq, prev_hash, hash)
"""
_AT = bindparam("at", type_=AuditEntry.__table__.c.at.type)
_APPEND_CHAINED = text(_APPEND_CTES + "SELECT seq, prev_hash, hash FROM entry").bindparams(_AT)
# The same append queued with the transaction's other writes (core.writebehind): nobody waits for its answer,
# so it cannot create a missing head as :func:`_on_head` does. The head exists from install (migration 0013);
# should it be gone, the append fails the transaction rather than losing the entry.
_APPEND_QUEUED = text(_APPEND_CTES + "SELECT madoguchi_expect_rows(count(*), 1, "
                      "'the operation log has no chain head (audit_chain_head id 1)', 'MD500') FROM entry"
                      ).bindparams(_AT)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def digest(values: Mapping[str, Any] | AuditEntry) -> str:
    """The SHA-256 of an entry's hashed fields (a mapping or an entry), as lowercase hex."""
    get = values.get if isinstance(values, Mapping) else lambda name: getattr(values, name)
    return hashlib.sha256(_json([_canonical(get(name)) for name in HASHED_FIELDS]).encode()).hexdigest()


def _json(values: list[Any]) -> str:
    """The hashed form: compact JSON, non-ASCII kept as is (the PostgreSQL append builds on the same text)."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def record(
    *,
    actor: Actor | None,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Append one entry in the current transaction; it commits (or rolls back) with the action it logs.

    Returns the entry's column values; ``seq``, ``prev_hash`` and ``hash`` only when the append ran at once. The
    statements are Core, not ORM: every request appends at least one entry, and a unit-of-work flush for a row
    nobody reads back cost more than the row itself. PostgreSQL takes one statement, queued with the
    transaction's other writes (:mod:`core.writebehind`, :data:`_APPEND_QUEUED`) or run at once
    (:data:`_APPEND_CHAINED`); SQLite three (advance the head, insert, set the head's hash)."""
    s = session or db.session
    conn = s.connection()  # the session's transaction; Core statements skip the session's ORM execute path
    entry: dict[str, Any] = {
        "at": utcnow(),
        "username": _cut(actor.username, 64) if actor else None,
        "role": _cut(actor.role, 16) if actor else None,
        "terminal": _cut(actor.terminal, 100) if actor else None,
        "ip": _cut(actor.ip, 64) if actor else None,
        "action": action[:64],
        "target_type": _cut(target_type, 32),
        "target_id": None if target_id is None else str(target_id)[:64],
        "outcome": outcome[:16],
        "details": json.dumps(details, ensure_ascii=False, default=str) if details else None,
    }
    if writebehind.queues(conn):
        writebehind.write(conn, _APPEND_QUEUED, {**entry, "middle": _middle(entry)})
        return entry
    if conn.dialect.name == "postgresql":
        entry.update(_append_chained(s, conn, entry))
        return entry
    entry["seq"], entry["prev_hash"] = _advance_head(s, conn)
    entry["hash"] = digest(entry)
    conn.execute(_APPEND, entry)
    conn.execute(_SET_LAST_HASH, {"last_hash": entry["hash"]})
    return entry


def _append_chained(s: Session, conn: Connection, entry: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL: the one-statement append; returns the entry's seq, prev_hash and hash."""
    row = _on_head(s, conn, _APPEND_CHAINED, {**entry, "middle": _middle(entry)})
    return {"seq": int(row.seq), "prev_hash": row.prev_hash, "hash": row.hash}


def _middle(entry: dict[str, Any]) -> str:
    """The hashed JSON array without its two ends (seq first, prev_hash last), which the server adds."""
    return _json([_canonical(entry[name]) for name in HASHED_FIELDS[1:-1]])[1:-1]


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value else value


def record_independently(**kwargs: Any) -> None:
    """Append and commit in a transaction of its own, so the entry stays when the caller's rolls back.

    Call it only while the caller holds no write lock (before its first write, or after its rollback).
    """
    with Session(db.engine) as s:
        record(session=s, **kwargs)
        s.commit()


def _advance_head(s: Session, conn: Connection) -> tuple[int, str]:
    """Lock the head, take the next position; returns (seq, hash of the previous entry)."""
    row = _on_head(s, conn, _ADVANCE, {})
    return int(row.last_seq), str(row.last_hash)


def _on_head(s: Session, conn: Connection, statement: Any, params: dict[str, Any]) -> Any:
    """The one row ``statement`` returns from the chain head, creating the head first when there is none."""
    row = conn.execute(statement, params).one_or_none()
    if row is None:
        _create_head(s)
        row = conn.execute(statement, params).one()
    return row


def _create_head(s: Session) -> None:
    """Start the head from the newest chained entry (or the genesis) — after install or a full purge."""
    last = s.execute(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.is_not(None))
                     .order_by(AuditEntry.seq.desc()).limit(1)).one_or_none()
    seq, last_hash = (int(last.seq), str(last.hash)) if last else (0, GENESIS)
    try:
        with s.begin_nested():
            s.execute(insert(_HEAD).values(id=1, last_seq=seq, last_hash=last_hash, base_seq=0, base_hash=GENESIS))
    except IntegrityError:
        pass  # another transaction created it first; its row is now ours to lock


def list_(*, username: str | None = None, target_type: str | None = None, target_id: str | None = None,
          action: str | None = None, since: datetime | None = None, until: datetime | None = None,
          limit: int = 200, session: Session | None = None) -> list[AuditEntry]:
    """Newest first, filtered (``since`` inclusive, ``until`` exclusive); page back by passing the oldest ``at``."""
    # Ordered by ``at`` alone so that the (username, at) and (target_type, target_id, at) indexes deliver rows
    # in order and LIMIT stops early, however many million rows match.
    s = session or db.session
    query = select(AuditEntry).order_by(AuditEntry.at.desc())
    conditions = [
        (username, lambda: AuditEntry.username == username),
        (target_type, lambda: AuditEntry.target_type == target_type),
        (target_id, lambda: AuditEntry.target_id == str(target_id)),
        (action, lambda: AuditEntry.action == action),
        (since, lambda: AuditEntry.at >= since),
        (until, lambda: AuditEntry.at < until),
    ]
    for value, condition in conditions:
        if value is not None and value != "":
            query = query.where(condition())
    if not _partitioned(s):
        return list(s.scalars(query.limit(limit)))
    return _walk_back(s, query, since=since, until=until, limit=limit)


# Months the first query of a search on the partitioned log covers (this one and the one before).
RECENT_MONTHS = 2


def _walk_back(s: Session, query: Select[tuple[AuditEntry]], *, since: datetime | None, until: datetime | None,
               limit: int) -> list[AuditEntry]:
    """Ask the most recent months first; only when they cannot fill the page, ask the query itself.

    On ~60 monthly partitions an unbounded newest-first LIMIT is a merge of one ordered index scan per
    partition: each is planned, locked and started (an index descent) before the first row comes out — about
    twice the time of the same search on one table, when the page would fill from the newest month: the common
    case (an active user, a recent day). The recent window names two months and the planner prunes the rest.
    When it returns fewer than ``limit`` rows it returned every recent row, so the query over all months (same
    order) returns those first and then the older ones: its answer is the page. A sparse history (a resident
    seen a few times a year) pays one small extra query; asking the older months alone (``at < boundary``) or in
    more windows measured slower (docs/operations/audit-log.md)."""
    recent = audit_partitions.add_months(audit_partitions.month_of(until or utcnow()), 1 - RECENT_MONTHS)
    boundary = audit_partitions.bounds(recent)[0]
    if since is None or since < boundary:
        found = list(s.scalars(query.where(AuditEntry.at >= boundary).limit(limit)))
        if len(found) == limit:
            return found
    return list(s.scalars(query.limit(limit)))


def _partitioned(s: Session) -> bool:
    """Whether the log is partitioned, remembered per pooled connection (only a migration changes it, and the
    answer only picks how to search: both ways return the same rows)."""
    info = s.connection().info
    if "madoguchi.audit_partitioned" not in info:
        info["madoguchi.audit_partitioned"] = audit_partitions.is_partitioned(s)
    return bool(info["madoguchi.audit_partitioned"])


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
