"""End of contract, part one: export everything the city needs in documented open formats.

The folder gets one CSV per table (UTF-8, RFC 4180, header row; binary columns such as PDFs are written as
files under ``files/<table>/<primary key>.<ext>`` and the CSV cell names the file), the audit archives, and
``manifest.json``: per table its columns, row count and the file's SHA-256, so the receiving side can check
completeness. Secrets are not exported: password hashes and API tokens are left out, and My Numbers stay
ciphertext (hand the Fernet key over separately, in person).
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, MetaData, Table, select

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import N_

SKIP_TABLES = {"alembic_version", "api_tokens", "apscheduler_jobs", "scheduler_locks"}
SKIP_COLUMNS = {("users", "password_hash")}
FORMAT = "madoguchi-handover/1"


def _export_table(table: Table, out: Path) -> dict[str, Any]:
    columns = [c for c in table.columns if (table.name, c.name) not in SKIP_COLUMNS]
    binary = {c.name for c in columns if isinstance(c.type, LargeBinary)}
    key = [c.name for c in table.primary_key.columns]
    path = out / f"{table.name}.csv"
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([c.name for c in columns])
        for row in db.session.execute(select(*columns).order_by(*table.primary_key.columns)).yield_per(2000):
            values = dict(row._mapping)
            for name in binary:
                if values[name] is not None:
                    target = out / "files" / table.name / f"{'_'.join(str(values[k]) for k in key)}.{name}.bin"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(values[name])
                    values[name] = str(target.relative_to(out))
            writer.writerow(["" if values[c.name] is None else _text(values[c.name]) for c in columns])
            count += 1
    return {"table": table.name, "file": path.name, "rows": count, "columns": [c.name for c in columns],
            "binary_columns": sorted(binary), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _text(value: object) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return, union-attr]
    return str(value)


def export(*, actor: Actor, out: Path, archive_dir: Path | None = None) -> dict[str, Any]:
    """Write the hand-over folder ``out`` (must be empty or new); returns the manifest. Logged."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise Invalid(N_("出力先フォルダが空ではありません"), details={"out": str(out)})
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    tables = [_export_table(t, out) for t in metadata.sorted_tables if t.name not in SKIP_TABLES]
    archives = []
    if archive_dir and archive_dir.is_dir():
        (out / "audit-archive").mkdir()
        for path in sorted(archive_dir.glob("*.jsonl.gz*")):
            shutil.copy2(path, out / "audit-archive" / path.name)
            archives.append(path.name)
    manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "created_by": actor.username,
                "csv": "UTF-8, RFC 4180, CRLF, header row; empty cell = NULL; times ISO 8601 UTC",
                "tables": tables, "audit_archives": archives,
                "not_exported": ["users.password_hash", "api_tokens", "scheduler state"],
                "notes": "res_mynumbers.ciphertext is Fernet; the key is handed over separately"}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    audit.record(actor=actor, action="handover.export", target_type="handover", target_id=out.name,
                 details={"tables": len(tables), "rows": sum(t["rows"] for t in tables)})
    return manifest
