"""The operation log at scale: append latency and search latency at 0 rows vs N rows, verify throughput,
and the query plans of the auditor searches.

    .venv/bin/python bench/audit.py --quick                 # 100k rows, both backends
    .venv/bin/python bench/audit.py --rows 1000000          # 1M rows
    .venv/bin/python bench/audit.py --backend postgres --check   # exit 1 when append at N > 1.2 × append at 0

Rows are a valid hash chain spread over five years, 60 users and 200,000 residents, bulk-loaded (COPY on
PostgreSQL, executemany on SQLite) into a fresh, migrated throwaway database. 30 million rows do not fit this
machine's time budget; the report extrapolates verify time linearly and explains why append/search stay flat
(B-tree depth grows with log n: see docs/operations/audit-log.md).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.harness import database, migrated_app  # noqa: E402
from core import audit, audit_chain  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.db import db  # noqa: E402
from core.models import AuditChainHead, AuditEntry  # noqa: E402

USERS = [f"user{i:02d}" for i in range(60)]
ACTIONS = ["resident.view", "resident.search", "task.complete", "task.claim", "case.start", "auth.login"]
COLUMNS = ["seq", "at", "username", "role", "terminal", "ip", "action", "target_type", "target_id", "outcome",
           "details", "prev_hash", "hash"]
GOAL_RATIO = 1.2


def _rows(count: int, start: datetime) -> Iterator[dict[str, object]]:
    """A valid chain of ``count`` entries, oldest first, one every ~5 years / count."""
    rng, prev = random.Random(7), audit.GENESIS
    step = timedelta(days=5 * 365) / max(count, 1)
    for seq in range(1, count + 1):
        row: dict[str, object] = {
            "seq": seq, "at": start + step * seq, "username": rng.choice(USERS), "role": "counter",
            "terminal": f"T{rng.randrange(50):02d}", "ip": f"10.0.{rng.randrange(4)}.{rng.randrange(250)}",
            "action": rng.choice(ACTIONS), "target_type": "resident", "target_id": str(rng.randrange(200_000)),
            "outcome": "ok", "details": None, "prev_hash": prev,
        }
        row["hash"] = prev = audit.digest(row)
        yield row


def load(session: Session, count: int) -> None:
    """Bulk-insert a chain of ``count`` entries and set the head to its end."""
    start = datetime.now(UTC) - timedelta(days=5 * 365 + 1)
    last = (0, audit.GENESIS)
    if session.bind.dialect.name == "postgresql":
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY audit_log ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in _rows(count, start):
                copy.write_row([row[c] for c in COLUMNS])
                last = (row["seq"], row["hash"])
    else:
        batch: list[dict[str, object]] = []
        for row in _rows(count, start):
            batch.append({**row, "at": row["at"].strftime("%Y-%m-%d %H:%M:%S.%f")})
            last = (row["seq"], row["hash"])
            if len(batch) == 20_000:
                session.execute(text(_insert_sql()), batch)
                batch = []
        if batch:
            session.execute(text(_insert_sql()), batch)
    session.execute(text("DELETE FROM audit_chain_head"))
    session.add(AuditChainHead(id=1, last_seq=last[0], last_hash=last[1], base_seq=0, base_hash=audit.GENESIS))
    session.commit()
    # A table that grew over years has long been vacuumed and analysed; a freshly bulk-loaded one has not
    # (its first appends would otherwise pay for hint-bit writes and autovacuum racing the measurement).
    with session.bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE audit_log" if conn.dialect.name == "postgresql" else "ANALYZE"))


def _insert_sql() -> str:
    return f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"


def _pct(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(q[49], 3), "p95": round(q[94], 3)}


def _operations(session: Session, rng: random.Random) -> dict[str, Callable[[], object]]:
    actor = Actor(username="bench", role="counter", terminal="T01", ip="127.0.0.1")
    now = datetime.now(UTC)

    def append() -> None:
        audit.record(actor=actor, action="resident.view", target_type="resident", target_id=rng.randrange(200_000),
                     session=session)
        session.commit()

    def search(**kwargs: object) -> Callable[[], object]:
        return lambda: (audit.list_(session=session, **kwargs), session.rollback())

    return {
        "append": append,
        "search_user_30d": lambda: search(username=rng.choice(USERS), since=now - timedelta(days=30))(),
        "search_user_all_time": lambda: search(username=rng.choice(USERS))(),
        "search_resident": lambda: search(target_type="resident", target_id=str(rng.randrange(200_000)))(),
        "search_day": search(since=now - timedelta(days=400), until=now - timedelta(days=399)),
    }


def measure(empty: Session, full: Session, samples: int) -> dict[str, dict[str, dict[str, float]]]:
    """Each operation alternately on the empty and the loaded database, so load on the machine hits both alike."""
    ops = {"at_0": _operations(empty, random.Random(11)), "at_n": _operations(full, random.Random(11))}
    result: dict[str, dict[str, dict[str, float]]] = {"at_0": {}, "at_n": {}}
    for name in ops["at_0"]:
        times: dict[str, list[float]] = {"at_0": [], "at_n": []}
        for i in range(samples + 10):
            for side in ("at_0", "at_n") if i % 2 else ("at_n", "at_0"):
                t0 = time.perf_counter()
                ops[side][name]()
                if i >= 10:  # warm-up
                    times[side].append((time.perf_counter() - t0) * 1000)
        for side in times:
            result[side][name] = _pct(times[side])
    return result


def _rows_returned(session: Session) -> dict[str, int]:
    """How many rows each search hands back (≤ 200): search cost follows this more than the table's size."""
    now = datetime.now(UTC)
    found = {"search_user_30d": audit.list_(session=session, username="user01", since=now - timedelta(days=30)),
             "search_user_all_time": audit.list_(session=session, username="user01"),
             "search_resident": audit.list_(session=session, target_type="resident", target_id="42"),
             "search_day": audit.list_(session=session, since=now - timedelta(days=400),
                                       until=now - timedelta(days=399))}
    session.rollback()
    return {k: len(v) for k, v in found.items()}


def plans(session: Session) -> dict[str, str]:
    """EXPLAIN of the auditor searches (they must use the indexes, never a full scan or a sort of many rows)."""
    now = datetime.now(UTC)
    queries = {
        "user_30d": select(AuditEntry).where(AuditEntry.username == "user01", AuditEntry.at >= now - timedelta(30))
        .order_by(AuditEntry.at.desc()).limit(200),
        "user_all_time": select(AuditEntry).where(AuditEntry.username == "user01")
        .order_by(AuditEntry.at.desc()).limit(200),
        "resident": select(AuditEntry).where(AuditEntry.target_type == "resident", AuditEntry.target_id == "42")
        .order_by(AuditEntry.at.desc()).limit(200),
    }
    prefix = "EXPLAIN QUERY PLAN " if session.bind.dialect.name == "sqlite" else "EXPLAIN "
    out = {}
    for name, query in queries.items():
        sql = str(query.compile(session.bind, compile_kwargs={"literal_binds": True}))
        out[name] = " | ".join(" ".join(map(str, r)) for r in session.execute(text(prefix + sql)))
    session.rollback()
    return out


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def run_backend(backend: str, rows: int, samples: int) -> dict[str, object]:
    with migrated_app(backend), tempfile.TemporaryDirectory() as tmp, database(backend, tmp, "empty") as empty_url:
        empty_engine = create_engine(empty_url)
        if backend == "sqlite":  # the same pragmas as the app's engine (web.app._prepare_sqlite)
            event.listen(empty_engine, "connect", _sqlite_pragmas)
        db.metadata.create_all(empty_engine)  # the same tables as the migrated one (bench only)
        try:
            with Session(empty_engine) as empty, Session(db.engine) as full:
                t0 = time.perf_counter()
                load(full, rows)
                load_s = time.perf_counter() - t0
                result = measure(empty, full, samples)
                t0 = time.perf_counter()
                report = audit_chain.verify(session=full)
                verify_s = time.perf_counter() - t0
                assert report.ok, report.problems[:3]
                ratios = {k: round(result["at_n"][k]["p50"] / result["at_0"][k]["p50"], 2) for k in result["at_0"]}
                returned = {side: _rows_returned(session) for side, session in (("at_0", empty), ("at_n", full))}
                return {"backend": backend, "rows": rows, "load_s": round(load_s, 1), **result,
                        "rows_returned": returned,
                        "ratio_p50": ratios, "verify_s": round(verify_s, 1),
                        "verify_rows_per_s": int(report.checked / verify_s),
                        "verify_30M_estimate_min": round(30_000_000 / (report.checked / verify_s) / 60, 1),
                        "plans": plans(full)}
        finally:
            empty_engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, fewer samples")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--check", action="store_true", help=f"exit 1 when append p50 at N > {GOAL_RATIO}× at 0")
    args = parser.parse_args()
    rows, samples = (100_000, 150) if args.quick else (args.rows, args.samples)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = [run_backend(b, rows, samples) for b in backends]
    print(json.dumps(results, indent=2, ensure_ascii=False))  # noqa: T201
    missed = [r["backend"] for r in results if r["ratio_p50"]["append"] > GOAL_RATIO]
    if args.check and missed:
        print(f"goal missed (append at N > {GOAL_RATIO}× at 0): {missed}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
