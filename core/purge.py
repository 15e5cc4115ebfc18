"""End of contract: delete every row of every table and certify it (what, when, how, counts, hashes).

Before deleting, each table's content is hashed (SHA-256 over its rows in primary-key order), so the city can
match the certificate against the hand-over export. Files under the backup and archive folders are listed with
their hashes and overwritten before unlinking. The certificate is JSON with its own SHA-256 at the end.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, func, select, text
from sqlalchemy.engine import Connection

from core.db import db, utcnow

KEEP = {"alembic_version"}


def _table_digest(conn: Connection, table: Table) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    order = list(table.primary_key.columns) or list(table.columns)
    for row in conn.execute(select(table).order_by(*order).execution_options(yield_per=2000)):
        digest.update(json.dumps(list(row), default=str, ensure_ascii=False).encode())
        count += 1
    return count, digest.hexdigest()


def _shred(path: Path) -> dict[str, Any]:
    size = path.stat().st_size
    entry = {"file": str(path), "bytes": size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    with path.open("r+b") as fh:
        fh.write(b"\0" * size)  # overwrite before unlinking (best effort: SSDs and COW filesystems may keep copies)
    path.unlink()
    return entry


def purge_all(*, operator: str, certificate: Path, file_dirs: list[Path]) -> dict[str, Any]:
    """Delete all data and files; write and return the certificate.

    It works on connections of its own, not on the session: the content is hashed and deleted in one
    transaction (the certificate names exactly what was deleted), then the database files are rewritten, which
    cannot run inside a transaction. The caller must hold no transaction open on the session."""
    engine = db.engine
    metadata = MetaData()
    metadata.reflect(bind=engine)
    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in KEEP]
    started = utcnow()
    with engine.begin() as conn:
        before = {t.name: _table_digest(conn, t) for t in tables}
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    _vacuum(engine, [t.name for t in tables])
    with engine.connect() as conn:
        after = {t.name: conn.scalar(select(func.count()).select_from(t)) for t in tables}
    files = [_shred(p) for d in file_dirs if d.is_dir() for p in sorted(d.rglob("*")) if p.is_file()]
    body = {
        "title": "データ消去証明書 (certificate of deletion)",
        "system": "Madoguchi", "database": engine.url.render_as_string(hide_password=True),
        "operator": operator, "started_at": started.isoformat(), "finished_at": utcnow().isoformat(),
        "method": f"{engine.dialect.name}: "
                  + ("TRUNCATE … RESTART IDENTITY, VACUUM FULL" if engine.dialect.name == "postgresql"
                     else "DELETE, VACUUM (secure_delete on)") + "; files overwritten with zeros, then unlinked",
        "tables": [{"table": name, "rows_deleted": count, "sha256_before": digest, "rows_after": after[name]}
                   for name, (count, digest) in sorted(before.items())],
        "rows_deleted_total": sum(count for count, _ in before.values()),
        "all_empty": all(n == 0 for n in after.values()),
        "files_deleted": files,
    }
    text_body = json.dumps(body, ensure_ascii=False, indent=2)
    certificate.parent.mkdir(parents=True, exist_ok=True)
    certificate.write_text(text_body + "\n" + json.dumps(
        {"certificate_sha256": hashlib.sha256(text_body.encode()).hexdigest()}) + "\n", encoding="utf-8")
    return body


def _vacuum(engine: Any, names: list[str]) -> None:
    """Rewrite the emptied tables so deleted rows do not linger in the database files."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("VACUUM FULL " + ", ".join(f'"{n}"' for n in names)))
        else:
            conn.execute(text("PRAGMA secure_delete=ON"))
            conn.execute(text("VACUUM"))
