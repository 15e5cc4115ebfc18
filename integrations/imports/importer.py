"""Import a core-system file: validate everything, stage, then merge into the live tables in one go.

Contract: :func:`run_import` always returns the recorded :class:`ImportRun`. A file with any bad row is
``rejected`` with every bad row's line and reason and the live data is left as it was; a good file is
loaded into ``res_staging`` (COPY on PostgreSQL, batched executemany elsewhere) and merged by a few
set-based statements. The caller commits (the run, and the data with it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Date, bindparam, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from core import audit, writebehind
from core.actor import Actor
from core.db import UTCDateTime, db, utcnow
from core.errors import Conflict, Invalid, NotFound
from core.i18n import N_
from integrations.imports import parsing
from integrations.imports.mapping import Mapping
from integrations.imports.models import ImportRun, staging
from residents.models import Resident

MODES = ("full", "diff")
BATCH = 5000
# A full import that would delete more than this share of the residents needs ``confirm_deletions`` (a file cut
# short, or the wrong source, must not empty the common DB on a schedule or a click).
MAX_UNCONFIRMED_DELETIONS = 0.05
log = logging.getLogger(__name__)
STAGED = [c.name for c in staging.columns]
LIVE = [c for c in STAGED if c not in {"run_id", "line", "op"}]


class DeletionsNeedConfirmation(Conflict):
    """A full import would delete more than :data:`MAX_UNCONFIRMED_DELETIONS` of the residents (409): nothing
    changed; ``details`` holds the dry run's counts."""


def _check_deletions(counts: dict[str, int], residents: int, mode: str, confirmed: bool) -> None:
    if mode != "full" or confirmed or counts["deleted"] <= MAX_UNCONFIRMED_DELETIONS * residents:
        return
    share = round(100 * counts["deleted"] / residents, 1)
    raise DeletionsNeedConfirmation(
        N_("この全件取込は住民 {residents} 人のうち {deleted} 人（{share}%）を削除します。"
           "{limit}% を超える削除には確認が必要です（confirm_deletions）。データは変更していません。",
           residents=residents, deleted=counts["deleted"], share=share, limit=int(MAX_UNCONFIRMED_DELETIONS * 100)),
        details={"would_delete": counts["deleted"], "residents": residents,
                                      "share_percent": share, "dry_run": counts})


def run_import(*, data: bytes, source: str, mode: str, actor: Actor, filename: str | None = None,
               mapping: Mapping | None = None, trigger: str = "api", progress: parsing.Progress | None = None,
               now: datetime | None = None, confirm_deletions: bool = False) -> ImportRun:
    """Validate and apply one file; returns the run (succeeded, rejected or failed), flushed not committed.

    A full file that would delete more than 5 % of the residents raises :class:`DeletionsNeedConfirmation`
    (nothing is applied) unless ``confirm_deletions``."""
    if mode not in MODES:
        raise Invalid(N_("mode は full か diff です"), details={"mode": mode})
    now = now or utcnow()
    residents = count_residents()
    run = ImportRun(source=source, mode=mode, filename=filename, trigger=trigger, started_by=actor.username,
                    started_at=now, file_sha256=hashlib.sha256(data).hexdigest())
    db.session.add(run)
    db.session.flush()
    parsed = parsing.parse(data, mode=mode, mapping=mapping, progress=progress)
    run.encoding, run.file_format, run.rows_read = parsed.encoding, parsed.file_format, parsed.rows_read
    if mode == "diff":
        parsed.errors.extend(_check_against_live(parsed.rows))
        parsed.errors.sort(key=lambda e: e["line"])
    if parsed.ignored_columns:
        run.message = "無視した列: " + ", ".join(parsed.ignored_columns)
    if parsed.errors:
        return _finish(run, actor, status="rejected", errors=parsed.errors)
    db.session.flush()  # _apply expires the session: keep what is set on the run so far
    try:
        with db.session.begin_nested():  # the merge is all or nothing; the run's record stays either way
            counts = _apply(run, parsed.rows, progress=progress, now=now)
            _check_deletions(counts, residents, mode, confirm_deletions)
    except SQLAlchemyError as err:
        log.exception("import run %s failed", run.id)
        return _finish(run, actor, status="failed", message=f"database error: {type(err).__name__}")
    for key, value in counts.items():
        setattr(run, key, value)
    return _finish(run, actor, status="succeeded")


def _finish(run: ImportRun, actor: Actor, *, status: str, errors: list[dict[str, Any]] | None = None,
            message: str | None = None) -> ImportRun:
    run.status = status
    run.finished_at = utcnow()
    if errors:
        run.errors_json = json.dumps(errors, ensure_ascii=False)
        run.rejected = len({e["line"] for e in errors})
    if message:
        run.message = message
    db.session.flush()
    audit.record(actor=actor, action="resident.import", target_type="import_run", target_id=run.id,
                 outcome="ok" if status == "succeeded" else status,
                 details={"source": run.source, "mode": run.mode, "file": run.filename, "rows": run.rows_read,
                          "inserted": run.inserted, "updated": run.updated, "deleted": run.deleted,
                          "rejected": run.rejected})
    return run


def preview(*, data: bytes, source: str, mode: str, actor: Actor, filename: str | None = None,
            mapping: Mapping | None = None) -> dict[str, Any]:
    """The dry run of a file: what it would insert, update, leave and delete, the residents now and the share
    deleted, or its errors. Nothing of it is kept (rolled back); the dry run itself is logged."""
    residents = count_residents()
    savepoint = db.session.begin_nested()
    try:
        run = run_import(data=data, source=source, mode=mode, actor=actor, filename=filename, mapping=mapping,
                         trigger="dry_run", confirm_deletions=True)
        result = {"status": run.status, "read": run.rows_read, "inserted": run.inserted, "updated": run.updated,
                  "unchanged": run.unchanged, "deleted": run.deleted, "rejected": run.rejected,
                  "errors": errors_of(run)[:100], "message": run.message}
    finally:
        savepoint.rollback()
    result.update(residents=residents, share_percent=round(100 * result["deleted"] / residents, 1) if residents
                  else 0.0, needs_confirmation=mode == "full" and result["deleted"] > MAX_UNCONFIRMED_DELETIONS
                  * residents)
    audit.record(actor=actor, action="resident.import_preview", target_type="import",
                 details={"source": source, "mode": mode, "file": filename,
                          **{k: result[k] for k in ("read", "inserted", "updated", "deleted", "rejected")}})
    return result


def errors_of(run: ImportRun) -> list[dict[str, Any]]:
    return json.loads(run.errors_json) if run.errors_json else []


def get_run(run_id: int) -> ImportRun:
    """The run, or NotFound."""
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise NotFound(N_("取込履歴 {run} はありません", run=run_id))
    return run


def list_runs(*, limit: int = 50) -> list[ImportRun]:
    """Newest first."""
    return list(db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))


def _check_against_live(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A diff may only add new keys and change or delete existing ones."""
    existing: set[str] = set()
    codes = [r["jumin_code"] for r in rows]
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        existing.update(db.session.scalars(select(Resident.jumin_code).where(Resident.jumin_code.in_(chunk))))
    errors = []
    for row in rows:
        known = row["jumin_code"] in existing
        if row["op"] == "A" and known:
            errors.append({"line": row["line"], "column": "jumin_code",
                           "reason": f"追加(A)ですが既に登録されています / key exists: {row['jumin_code']}"})
        elif row["op"] in {"C", "D"} and not known:
            errors.append({"line": row["line"], "column": "jumin_code",
                           "reason": f"変更・削除(C/D)ですが登録がありません / key not found: {row['jumin_code']}"})
    return errors


def _apply(run: ImportRun, rows: list[dict[str, Any]], *, progress: parsing.Progress | None,
           now: datetime) -> dict[str, int]:
    conn = db.session.connection()
    _stage(conn, run.id, rows, progress)
    params = {"run": run.id}
    counts = dict(zip(("inserted", "updated", "unchanged"), conn.execute(text(
        "SELECT COALESCE(SUM(CASE WHEN r.id IS NULL THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN r.row_hash <> s.row_hash THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN r.row_hash = s.row_hash THEN 1 ELSE 0 END), 0)"
        " FROM res_staging s LEFT JOIN res_residents r ON r.jumin_code = s.jumin_code"
        " WHERE s.run_id = :run AND s.op <> 'D'"), params).one(), strict=True))
    touched = _households_of_staged(conn, run.id) if run.mode == "diff" else None
    stamp = {"run": run.id, "source": run.source, "now": now}
    conn.execute(_sql(
        "INSERT INTO res_households (setai_no, source, imported_at, import_run_id)"
        " SELECT DISTINCT s.setai_no, :source, :now, :run FROM res_staging s"
        " WHERE s.run_id = :run AND s.op <> 'D'"
        " AND NOT EXISTS (SELECT 1 FROM res_households h WHERE h.setai_no = s.setai_no)"), stamp)
    conn.execute(_upsert_sql(), stamp)
    counts["deleted"] = conn.execute(text(
        "DELETE FROM res_residents WHERE jumin_code IN (SELECT jumin_code FROM res_staging"
        " WHERE run_id = :run AND op = 'D')") if run.mode == "diff" else text(
        "DELETE FROM res_residents WHERE jumin_code NOT IN (SELECT jumin_code FROM res_staging"
        " WHERE run_id = :run)"), params).rowcount
    if touched is not None:
        touched |= _households_of_staged(conn, run.id)
    _refresh_households(conn, touched, stamp)
    conn.execute(text("DELETE FROM res_staging WHERE run_id = :run"), params)
    db.session.expire_all()
    return counts


def _sql(statement: str) -> Any:
    return text(statement).bindparams(bindparam("now", type_=UTCDateTime()))


def _upsert_sql() -> Any:
    columns = ", ".join(LIVE)
    updates = ", ".join(f"{c} = excluded.{c}" for c in [*LIVE[1:], "household_id", "source", "imported_at",
                                                          "import_run_id"])
    return _sql(
        f"INSERT INTO res_residents ({columns}, household_id, source, imported_at, import_run_id)"
        f" SELECT {', '.join('s.' + c for c in LIVE)}, h.id, :source, :now, :run"
        " FROM res_staging s JOIN res_households h ON h.setai_no = s.setai_no"
        " WHERE s.run_id = :run AND s.op <> 'D'"
        f" ON CONFLICT (jumin_code) DO UPDATE SET {updates}"
        " WHERE res_residents.row_hash <> excluded.row_hash")


def _households_of_staged(conn: Connection, run_id: int) -> set[int]:
    """Households of the residents named in this run, as they are now in the live table."""
    return set(conn.scalars(text(
        "SELECT DISTINCT h.id FROM res_households h WHERE h.setai_no IN"
        " (SELECT setai_no FROM res_staging WHERE run_id = :run AND op <> 'D')"
        " OR h.id IN (SELECT r.household_id FROM res_residents r JOIN res_staging s"
        " ON s.jumin_code = r.jumin_code WHERE s.run_id = :run)"), {"run": run_id}))


def _refresh_households(conn: Connection, ids: set[int] | None, stamp: dict[str, Any]) -> None:
    """Take each household's head, address and 方書 from its 世帯主 (else its first member); drop empty ones."""
    head = ("(SELECT r.{col} FROM res_residents r WHERE r.household_id = res_households.id"
            " ORDER BY CASE WHEN r.relation = '世帯主' THEN 0 ELSE 1 END, r.id LIMIT 1)")
    sets = ", ".join(f"{target} = {head.format(col=col)}" for target, col in
                     (("head_name", "name"), ("postal_code", "postal_code"), ("address", "address"),
                      ("address_extra", "address_extra")))
    if ids is None:
        conn.execute(_sql(f"UPDATE res_households SET {sets}, source = :source, imported_at = :now,"
                          " import_run_id = :run"), stamp)
        conn.execute(text("DELETE FROM res_households WHERE NOT EXISTS"
                          " (SELECT 1 FROM res_residents r WHERE r.household_id = res_households.id)"))
        return
    for chunk in _chunks(sorted(ids), 500):
        statement = text(f"UPDATE res_households SET {sets}, source = :source, imported_at = :now,"
                         " import_run_id = :run WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True), bindparam("now", type_=UTCDateTime()))
        conn.execute(statement, {**stamp, "ids": chunk})
        conn.execute(text("DELETE FROM res_households WHERE id IN :ids AND NOT EXISTS (SELECT 1 FROM"
                          " res_residents r WHERE r.household_id = res_households.id)").bindparams(
            bindparam("ids", expanding=True)), {"ids": chunk})


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _stage(conn: Connection, run_id: int, rows: list[dict[str, Any]], progress: parsing.Progress | None) -> None:
    if conn.dialect.name == "postgresql":
        _copy(conn, run_id, rows, progress)
        return
    # SQLite: the driver's executemany on plain tuples, with the values in the form SQLAlchemy stores
    # (ISO dates, 0/1); a large page cache keeps the index inserts of the merge in memory.
    conn.exec_driver_sql("PRAGMA cache_size = -262144")
    cursor = conn.connection.driver_connection.cursor()
    sql = f"INSERT INTO res_staging ({', '.join(STAGED)}) VALUES ({', '.join('?' * len(STAGED))})"
    columns = STAGED[1:]
    dates = [i for i, c in enumerate(columns) if isinstance(staging.c[c].type, Date)]
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        values = []
        for row in batch:
            value = [row.get(c) for c in columns]
            for i in dates:
                if value[i] is not None:
                    value[i] = value[i].isoformat()
            values.append((run_id, *value))
        cursor.executemany(sql, values)  # sqlite3 stores Python bools as 0/1 already
        if progress:
            progress(len(batch))
    cursor.close()


def _copy(conn: Connection, run_id: int, rows: list[dict[str, Any]], progress: parsing.Progress | None) -> None:
    writebehind.send(conn)  # queued writes go first, as they would before any statement SQLAlchemy runs
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY res_staging ({', '.join(STAGED)}) FROM STDIN") as copy:
        for done, row in enumerate(rows, start=1):
            copy.write_row([run_id if c == "run_id" else row.get(c) for c in STAGED])
            if progress and done % BATCH == 0:
                progress(BATCH)
    if progress:
        progress(len(rows) % BATCH)


def count_residents() -> int:
    return db.session.scalar(select(func.count()).select_from(Resident)) or 0
