"""Checking the operation log's hash chain, and archiving + purging entries past the retention period.

An archive is a gzip'd JSON Lines file: a header line (format, base_seq, base_hash, count, range), then one
line per entry with every hashed field and its hash. It verifies on its own (:func:`verify_archive`): the
chain inside must link from ``base_hash`` and every hash must match. After a purge the head's
``base_seq``/``base_hash`` anchor the remaining chain to the last archived entry.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core import audit, audit_partitions
from core.actor import Actor
from core.db import db, utcnow
from core.models import AuditChainHead, AuditEntry

ARCHIVE_FORMAT = "madoguchi-audit-archive/1"
MAX_REPORTED = 50


@dataclass
class Report:
    """What a verification found; ``problems`` say where (seq, id or line) and what."""

    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, message: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(message)


def _check_links(rows: Iterable[dict[str, Any]], *, base_seq: int, base_hash: str, report: Report,
                 where: str = "seq") -> tuple[int, str]:
    """Walk entries in seq order, checking each hash and link; returns the last (seq, hash) seen."""
    expected_seq, prev_hash = base_seq + 1, base_hash
    for row in rows:
        seq, label = row["seq"], f"{where} {row.get('_where', row['seq'])}"
        report.checked += 1
        report.first_seq = seq if report.first_seq is None else report.first_seq
        report.last_seq = seq
        if audit.digest(row) != row["hash"]:
            report.add(f"{label} (id {row.get('id')}): 内容が改ざんされています (hash mismatch: entry edited)")
        if seq != expected_seq:
            kind = "削除 (entries deleted)" if seq > expected_seq else "順序の入れ替え (reordered or duplicated)"
            report.add(f"{label}: seq {expected_seq} が来るべき位置に seq {seq} — {kind}")
        elif row["prev_hash"] != prev_hash:
            report.add(f"{label}: 前のエントリのハッシュと一致しません (prev_hash mismatch: reordered or replaced)")
        expected_seq, prev_hash = seq + 1, row["hash"]
    return expected_seq - 1, prev_hash


def _rows(session: Session, batch: int) -> Iterator[dict[str, Any]]:
    """Every chained entry in seq order, fetched in keyset pages so memory stays flat."""
    last = -1
    columns = [AuditEntry.id, AuditEntry.hash, *[getattr(AuditEntry, name) for name in audit.HASHED_FIELDS]]
    while True:
        page = session.execute(select(*columns).where(AuditEntry.seq > last).order_by(AuditEntry.seq)
                                  .limit(batch)).mappings().all()
        if not page:
            return
        yield from (dict(row) for row in page)
        last = page[-1]["seq"]


def verify(*, batch: int = 5000, session: Session | None = None) -> Report:
    """Check every entry's hash and link, from the archived base to the head; problems say where.

    ``session`` checks another database (e.g. a restored backup); default: the app's.
    """
    s = session or db.session
    report = Report()
    head = s.get(AuditChainHead, 1)
    base_seq, base_hash = (head.base_seq, head.base_hash) if head else (0, audit.GENESIS)
    unchained = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None)))
    if unchained:
        report.add(f"{unchained} 件のエントリがチェーンに含まれていません (entries without seq)")
    last_seq, last_hash = _check_links(_rows(s, batch), base_seq=base_seq, base_hash=base_hash, report=report)
    if head is not None and (last_seq, last_hash) != (head.last_seq, head.last_hash):
        report.add(f"末尾: チェーンは seq {last_seq} で終わりますが、先頭記録は seq {head.last_seq} です "
                   "(the newest entries were deleted or the head was altered)")
    return report


def _archive_row(entry: AuditEntry) -> dict[str, Any]:
    row = {name: audit._canonical(getattr(entry, name)) for name in audit.HASHED_FIELDS}
    return {**row, "hash": entry.hash, "id": entry.id}


def archive_and_purge(*, actor: Actor, before: datetime, out_dir: Path) -> dict[str, Any]:
    """Write entries older than ``before`` (a prefix of the chain) to an archive file, then delete them
    (on PostgreSQL, months entirely before ``before`` are dropped as partitions).

    Returns the archive's path, count, seq range and SHA-256; nothing is deleted when nothing is old enough.
    """
    head = db.session.get(AuditChainHead, 1, with_for_update=True)
    if head is None:
        return {"count": 0, "path": None}
    newer = db.session.scalar(select(func.min(AuditEntry.seq)).where(AuditEntry.at >= before))
    limit = (newer - 1) if newer is not None else head.last_seq
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.seq <= limit).order_by(AuditEntry.seq)
                                 .execution_options(yield_per=2000))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"audit-{utcnow():%Y%m%dT%H%M%S%f}-{head.base_seq + 1}-{limit}.jsonl.gz"
    header = {"format": ARCHIVE_FORMAT, "base_seq": head.base_seq, "base_hash": head.base_hash,
              "before": before.isoformat(), "created_at": utcnow().isoformat()}
    count, last_hash = 0, head.base_hash
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for entry in entries:
            fh.write(json.dumps(_archive_row(entry), ensure_ascii=False) + "\n")
            count, last_hash = count + 1, entry.hash
    if count == 0:
        path.unlink()
        return {"count": 0, "path": None}
    # Whole archived months go as partitions (PostgreSQL); what is left of the prefix is deleted row by row.
    dropped = audit_partitions.drop_archived_months(db.session, before=before, last_archived_seq=limit)
    db.session.execute(delete(AuditEntry).where(AuditEntry.seq <= limit))
    db.session.execute(update(AuditChainHead).where(AuditChainHead.id == 1)
                       .values(base_seq=limit, base_hash=last_hash))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    Path(f"{path}.sha256").write_text(f"{sha}  {path.name}\n")
    result = {"path": str(path), "count": count, "first_seq": head.base_seq + 1 if count else None,
              "last_seq": limit, "sha256": sha, "dropped_partitions": dropped}
    audit.record(actor=actor, action="audit.archive", target_type="audit_archive", target_id=path.name,
                 details=result)
    return result


def verify_archive(path: Path) -> Report:
    """Check an archive file on its own: header, every hash, every link from its base."""
    report = Report()
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            header = json.loads(fh.readline())
            if header.get("format") != ARCHIVE_FORMAT:
                report.add(f"{path.name} line 1: 操作ログのアーカイブではありません (not an audit archive)")
                return report
            rows = ({**json.loads(line), "_where": number} for number, line in enumerate(fh, start=2))
            _check_links(rows, base_seq=header["base_seq"], base_hash=header["base_hash"], report=report,
                         where="line")
    except (OSError, EOFError, ValueError, KeyError) as err:
        report.add(f"{path.name}: 読めません (unreadable: {type(err).__name__}: {err})")
    return report
