"""The operation log at scale: append and search latency with no background rows vs N background rows, verify
throughput, and the query plans of the auditor searches.

    .venv/bin/python bench/audit.py --quick                        # 100k rows, both backends
    .venv/bin/python bench/audit.py --rows 1000000 --backend postgres
    .venv/bin/python bench/audit.py --rows 30000000 --backend postgres --check --no-verify

Both databases are fresh and migrated (on PostgreSQL: monthly partitions). Both get the same "needle"
histories — a few users and residents with 50–200 entries each, spread over five years — so every timed search
returns the same rows on both sides; the loaded one also gets N background rows (60 users, 200,000 residents)
interleaved with the needles into one valid hash chain, bulk-loaded (COPY on PostgreSQL, executemany on
SQLite). Samples alternate between the two databases. ``--check`` exits 1 when a search returns different rows
on the two sides, or when any PostgreSQL ratio (p50 at N / p50 at 0) exceeds 1.2; SQLite ratios are printed
for information only.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
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

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import Engine, create_engine, event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.harness import database, migrated_app  # noqa: E402
from core import audit, audit_chain, audit_partitions  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.db import db  # noqa: E402
from core.models import AuditChainHead  # noqa: E402
from core.settings import REPO_ROOT, Settings  # noqa: E402
from web.app import create_app  # noqa: E402

USERS = [f"user{i:02d}" for i in range(60)]
ACTIONS = ["resident.view", "resident.search", "task.complete", "task.claim", "case.start", "auth.login"]
# The needles: users and residents that only these histories mention, on both databases alike.
NEEDLE_USERS = [f"needle{i}" for i in range(4)]
NEEDLE_RESIDENTS = [str(900_000 + i) for i in range(4)]
COLUMNS = ["seq", "at", "username", "role", "terminal", "ip", "action", "target_type", "target_id", "outcome",
           "details", "prev_hash", "hash"]
GOAL_RATIO = 1.2
PERIOD = timedelta(days=5 * 365)


def _background(count: int, start: datetime, rng: random.Random) -> Iterator[dict[str, object]]:
    """``count`` entries by the 60 background users, oldest first, one every ~5 years / count."""
    step = PERIOD / max(count, 1)
    for i in range(1, count + 1):
        yield {"at": start + step * i, "username": rng.choice(USERS), "role": "counter",
               "terminal": f"T{rng.randrange(50):02d}", "ip": f"10.0.{rng.randrange(4)}.{rng.randrange(250)}",
               "action": rng.choice(ACTIONS), "target_type": "resident", "target_id": str(rng.randrange(200_000)),
               "outcome": "ok", "details": None}


def _needles(start: datetime) -> list[dict[str, object]]:
    """Each needle user's and resident's history: 50–200 entries at random moments of the five years."""
    rng, rows = random.Random(3), []
    for i, user in enumerate(NEEDLE_USERS):
        for _ in range(rng.randint(50, 200)):
            rows.append({"at": start + PERIOD * rng.random(), "username": user, "role": "manager",
                         "terminal": "T99", "ip": "10.9.9.9", "action": "resident.view", "target_type": "resident",
                         "target_id": str(rng.randrange(200_000)), "outcome": "ok", "details": None})
        for _ in range(rng.randint(50, 200)):
            rows.append({"at": start + PERIOD * rng.random(), "username": rng.choice(USERS), "role": "counter",
                         "terminal": "T98", "ip": "10.9.9.8", "action": "mynumber.unmask",
                         "target_type": "resident", "target_id": NEEDLE_RESIDENTS[i], "outcome": "ok",
                         "details": None})
    return sorted(rows, key=lambda r: r["at"])


def _chain(count: int, start: datetime) -> Iterator[dict[str, object]]:
    """The needles and ``count`` background entries merged by time into one valid chain, oldest first."""
    prev = audit.GENESIS
    merged = heapq.merge(_needles(start), _background(count, start, random.Random(7)), key=lambda r: r["at"])
    for seq, row in enumerate(merged, start=1):
        row.update(seq=seq, prev_hash=prev)
        row["hash"] = prev = audit.digest(row)
        yield row


def load(session: Session, count: int, start: datetime) -> int:
    """Bulk-insert the needles and ``count`` background entries, set the head to the chain's end; returns the
    number of entries. On PostgreSQL every month of the period gets its partition first."""
    last = (0, audit.GENESIS)
    if session.bind.dialect.name == "postgresql":
        audit_partitions.ensure(session, now=datetime.now(UTC), first=start)
        session.commit()
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY audit_log ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in _chain(count, start):
                copy.write_row([row[c] for c in COLUMNS])
                last = (row["seq"], row["hash"])
    else:
        batch: list[dict[str, object]] = []
        for row in _chain(count, start):
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
    return int(last[0])


def _insert_sql() -> str:
    return f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"


def _pct(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(q[49], 3), "p95": round(q[94], 3)}


def searches(now: datetime) -> dict[str, Callable[[random.Random], dict[str, object]]]:
    """The timed auditor searches, as ``audit.list_`` arguments drawn from the needles."""
    return {
        "search_user_30d": lambda rng: {"username": rng.choice(NEEDLE_USERS), "since": now - timedelta(days=30)},
        "search_user_all_time": lambda rng: {"username": rng.choice(NEEDLE_USERS)},
        "search_user_one_year": lambda rng: {"username": rng.choice(NEEDLE_USERS),
                                             "since": now - timedelta(days=730), "until": now - timedelta(days=365)},
        "search_resident": lambda rng: {"target_type": "resident", "target_id": rng.choice(NEEDLE_RESIDENTS)},
        # Paging back: the next 50 entries older than a moment half-way through the period.
        "search_resident_page_back": lambda rng: {"target_type": "resident",
                                                  "target_id": rng.choice(NEEDLE_RESIDENTS),
                                                  "until": now - PERIOD / 2, "limit": 50},
    }


def _operations(session: Session, rng: random.Random, now: datetime) -> dict[str, Callable[[], object]]:
    actor = Actor(username="bench", role="counter", terminal="T01", ip="127.0.0.1")

    def append() -> None:
        audit.record(actor=actor, action="resident.view", target_type="resident", target_id=rng.randrange(200_000),
                     session=session)
        session.commit()

    def search(arguments: Callable[[random.Random], dict[str, object]]) -> Callable[[], object]:
        return lambda: (audit.list_(session=session, **arguments(rng)), session.rollback())

    return {"append": append, **{name: search(args) for name, args in searches(now).items()}}


def measure(empty: Session, full: Session, samples: int, now: datetime) -> dict[str, dict[str, dict[str, float]]]:
    """Each operation alternately on the empty and the loaded database, so load on the machine hits both alike."""
    ops = {"at_0": _operations(empty, random.Random(11), now), "at_n": _operations(full, random.Random(11), now)}
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


def _found(session: Session, now: datetime) -> dict[str, list[list[tuple[object, ...]]]]:
    """What every search returns for every needle: (at, user, action, target) per row, newest first."""
    out = {}
    for name, arguments in searches(now).items():
        pages = []
        for i in range(len(NEEDLE_USERS)):
            rng = _Pick(i)
            pages.append([(e.at.isoformat(), e.username, e.action, e.target_id)
                          for e in audit.list_(session=session, **arguments(rng))])
        out[name] = pages
    session.rollback()
    return out


class _Pick(random.Random):
    """A stand-in generator whose ``choice`` picks the i-th needle, so each search can be run for every one."""

    def __init__(self, index: int) -> None:
        super().__init__(0)
        self.index = index

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        return seq[self.index]


def compare_results(empty: Session, full: Session, now: datetime) -> tuple[dict[str, object], list[str]]:
    """Rows returned per search on both sides (per needle), and the searches whose rows differ."""
    at_0, at_n = _found(empty, now), _found(full, now)
    counts = {name: {"at_0": [len(p) for p in at_0[name]], "at_n": [len(p) for p in at_n[name]]} for name in at_0}
    return counts, [name for name in at_0 if at_0[name] != at_n[name]]


def plans(session: Session, now: datetime) -> dict[str, list[str]]:
    """The statements each search runs for the first needle, with their plans (PostgreSQL: EXPLAIN ANALYZE,
    BUFFERS — top node, planning and execution time; SQLite: EXPLAIN QUERY PLAN)."""
    statements: list[tuple[str, object]] = []

    def capture(_conn: object, _cursor: object, sql: str, params: object, _ctx: object, _many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT AUDIT_LOG"):
            statements.append((sql, params))

    postgres = session.bind.dialect.name == "postgresql"
    out: dict[str, list[str]] = {}
    for name, arguments in searches(now).items():
        statements.clear()
        event.listen(session.bind, "before_cursor_execute", capture)
        try:
            audit.list_(session=session, **arguments(_Pick(0)))
        finally:
            event.remove(session.bind, "before_cursor_execute", capture)
        lines = []
        for sql, params in list(statements):
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            rows = [" ".join(map(str, r)) for r in session.connection().exec_driver_sql(prefix + sql, params)]
            buffers = [r.strip() for r in rows if r.strip().startswith("Buffers")][:1]  # the top node's
            timings = [r.strip() for r in rows if r.strip().startswith(("Planning Time", "Execution Time"))]
            scans = sum("Scan" in r for r in rows)
            summary = [rows[0].strip(), f"{scans} scan nodes", *buffers, *timings]
            lines.append(" | ".join(summary if postgres else rows))
        out[name] = lines
        session.rollback()
    return out


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _migrate(url: str, tmp: str) -> Engine:
    """Run the migrations on ``url`` in an app of its own (so both sides have the same, partitioned, schema)."""
    settings = Settings(database_url=url, secret_key="bench-secret", bpmn_dir=str(REPO_ROOT / "bpmn"), var_dir=tmp)
    app = create_app({"TESTING": True, "MADOGUCHI": settings, **settings.to_flask_config()})
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):
            upgrade(directory=app.config["MIGRATIONS_DIR"])
        db.session.remove()
        db.engine.dispose()
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":  # the same pragmas as the app's engine (web.app._prepare_sqlite)
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def run_backend(backend: str, rows: int, samples: int, verify: bool) -> dict[str, object]:
    now = datetime.now(UTC)
    start = now - PERIOD - timedelta(days=1)
    with migrated_app(backend), tempfile.TemporaryDirectory() as tmp, database(backend, tmp, "empty") as empty_url:
        empty_engine = _migrate(empty_url, tmp)
        try:
            with Session(empty_engine) as empty, Session(db.engine) as full:
                t0 = time.perf_counter()
                load(empty, 0, start)
                total = load(full, rows, start)
                load_s = time.perf_counter() - t0
                returned, differ = compare_results(empty, full, now)
                result = measure(empty, full, samples, now)
                ratios = {k: round(result["at_n"][k]["p50"] / result["at_0"][k]["p50"], 2) for k in result["at_0"]}
                out: dict[str, object] = {
                    "backend": backend, "background_rows": rows, "entries_at_n": total, "load_s": round(load_s, 1),
                    "partitions": len(audit_partitions.months(full)), **result, "ratio_p50": ratios,
                    "rows_returned_per_needle": returned, "searches_with_different_rows": differ,
                    "ratios_checked": backend == "postgres", "plans_at_n": plans(full, now)}
                if verify:
                    t0 = time.perf_counter()
                    report = audit_chain.verify(session=full)
                    verify_s = time.perf_counter() - t0
                    assert report.ok, report.problems[:3]
                    out |= {"verify_s": round(verify_s, 1), "verify_rows_per_s": int(report.checked / verify_s),
                            "verify_30M_estimate_min": round(30_000_000 / (report.checked / verify_s) / 60, 1)}
                else:
                    out["verify"] = "skipped (--no-verify)"
                return out
        finally:
            empty_engine.dispose()


def failures(results: list[dict[str, object]]) -> list[str]:
    """Why ``--check`` fails: different rows on either backend, or a PostgreSQL ratio above the goal."""
    found = []
    for r in results:
        found += [f"{r['backend']}: {name} returns different rows at 0 and at N"
                  for name in r["searches_with_different_rows"]]  # type: ignore[union-attr]
        if r["ratios_checked"]:
            found += [f"{r['backend']}: {name} p50 at N is {ratio}× at 0 (goal ≤ {GOAL_RATIO})"
                      for name, ratio in r["ratio_p50"].items() if ratio > GOAL_RATIO]  # type: ignore[union-attr]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000, help="background rows on the loaded side")
    parser.add_argument("--quick", action="store_true", help="100,000 rows, fewer samples")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--no-verify", action="store_true", help="skip the full chain verification at N")
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 when rows differ, or a PostgreSQL p50 ratio at N vs 0 exceeds {GOAL_RATIO}")
    args = parser.parse_args()
    rows, samples = (100_000, 150) if args.quick else (args.rows, args.samples)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = [run_backend(b, rows, samples, verify=not args.no_verify) for b in backends]
    print(json.dumps(results, indent=2, ensure_ascii=False))  # noqa: T201
    if "sqlite" in backends:
        print("note: SQLite ratios are informational; --check judges PostgreSQL ratios", file=sys.stderr)  # noqa: T201
    missed = failures(results)
    for line in missed:
        print(f"goal missed: {line}", file=sys.stderr)  # noqa: T201
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
