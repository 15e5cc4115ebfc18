"""Five years of finished history for a city of 200,000: the database the load bench runs on besides an empty one.

    python bench/history.py --url postgresql+psycopg://…/db [--scale 0.1] [--years 5] [--seed 2026]
    python bench/history.py --throwaway --scale 0.1     # time it in a PostgreSQL cluster of its own

At ``--scale 1.0``: 200,000 synthetic residents, 1,000,000 finished cases (completed or cancelled) with their task
rows, procedure rows and document metadata, and about 30,000,000 operation-log rows forming one valid hash chain.
The database is migrated and given the demo set-up (sections, users, the journeys, the demo's residents) first,
when it has not been; the generator is meant for a new database (it refuses one that already has cases).

How it is fast and still what the app would have written:

* **Residents** come from the synthetic generator (``integrations.imports.generator``, the only source of personal
  data), imported through the normal importer (a full import that extends the demo's 2,000).
* **Templates**: a few dozen real visits are run through the API in-process (a Flask test client, the same calls
  the counter and section pages make, as ``bench/locustfile.py``): search, household, start, interview,
  procedures, form answers, documents, signature, hand-over, then every section task to the end; one per
  event is withdrawn (cancelled) before its interview. Each template is read back: its case row (with the
  engine's serialised, finished workflow), tasks, procedures, document rows and the operation-log entries its
  requests wrote.
* **Clones**: every history case copies one template whose household has the same number of members, for a
  household of that size (none under 支援措置): new ids, and the household's ids, names, kana, 住民票コード, 世帯番号
  and address put in place of the template's in the workflow, the tasks' answers, the procedures and the log
  details — in a person's record by position, so two members with the same given name stay apart. The
  template's facts (insurance, birth dates …) are kept: the determination that made its procedures read them.
  Times move to a business day of the period (8:30–17:15 Japan time, every task of a visit finished that day).
  The workflow stays one the engine loads, as the app needs for a finished case (the counter's summary, the
  API's case detail and ``madoguchi check cases --all`` load it); tests/test_history.py checks every clone of
  its run.
* **Documents** are metadata only: the rows say which PDF was printed, when, by whom and of what size, but
  ``pdf`` is empty — no PDF bytes are stored for the history (a reprint of a five-year-old document is not what
  the bench measures).
* **The operation log** is written in ``seq`` order with each entry's ``prev_hash`` and ``hash`` computed as
  :func:`core.audit.digest` computes them; the entries the set-up and the templates wrote (dated today) are
  re-linked after the history, unchanged but for their position (seq, id), so ``seq`` follows time as the
  retention job expects, and ``madoguchi audit verify`` passes.
* **Bulk writes**: PostgreSQL ``COPY`` (psycopg's ``cursor.copy``), SQLite ``executemany`` in batches of 5,000;
  the whole history in one transaction (nothing is left half-written), sequences moved past the ids used.

A bench script rather than a ``madoguchi`` command: it drives the API through Flask's test client and writes
synthetic people, which a deployed system never wants; operators restore their own data.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask import Flask  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from bench.history_plan import DAY_MINUTES, Plan, moment, visit_window  # noqa: E402
from bench.history_visits import (  # noqa: E402
    EVENT_SHARES,
    HOUSEHOLD_SIZES,
    Clone,
    Template,
    households,
    make_templates,
    rows,
    setup_demo,
)
from core import audit, audit_partitions, calendar  # noqa: E402
from core.db import db  # noqa: E402
from core.models import AuditChainHead, AuditEntry  # noqa: E402
from workflows.determination.models import CaseProcedure  # noqa: E402
from workflows.models import Case, CaseTask  # noqa: E402
from workflows.visit.models import CaseDocument  # noqa: E402

CANCELLED_SHARE = 0.04
SEARCHES = ["タ", "サ", "ヤマ", "スズ", "イ", "カ", "ナカ", "コ", "フ", "ハ", "マ", "ニ"]


# -- bulk writing ---------------------------------------------------------------------------------------
TABLES = {"cases": Case.__table__, "case_tasks": CaseTask.__table__, "case_procedures": CaseProcedure.__table__,
          "case_documents": CaseDocument.__table__, "audit_log": AuditEntry.__table__}
BATCH = 5000


class Writer:
    """Rows buffered per table and written in bulk: PostgreSQL COPY, SQLite executemany of 5,000 rows."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.postgres = conn, conn.dialect.name == "postgresql"
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self.counts = dict.fromkeys(TABLES, 0)
        self.columns = {name: [c.name for c in table.columns] for name, table in TABLES.items()}

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= BATCH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        # Parents first: the tasks, procedures and documents refer to their case.
        for name in [table] if table else list(TABLES):
            rows, self.rows[name] = self.rows[name], []
            if not rows:
                continue
            if name != "cases" and self.rows["cases"]:
                self.flush("cases")
            self.counts[name] += len(rows)
            if self.postgres:
                self._copy(name, rows)
            else:
                self.conn.execute(TABLES[name].insert(), rows)

    def _copy(self, name: str, rows: list[dict[str, Any]]) -> None:
        columns = self.columns[name]
        raw = self.conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(c) for c in columns])


class Chain:
    """The operation log's hash chain, continued entry by entry as :func:`core.audit.record` would."""

    def __init__(self, writer: Writer, *, next_id: int) -> None:
        self.writer, self.seq, self.last, self.next_id = writer, 0, audit.GENESIS, next_id

    def append(self, entry: dict[str, Any]) -> None:
        self.seq += 1
        entry["seq"], entry["prev_hash"] = self.seq, self.last
        entry["hash"] = self.last = audit.digest(entry)
        entry["id"], self.next_id = self.next_id, self.next_id + 1
        self.writer.add("audit_log", entry)


@dataclass
class Ids:
    """The next free id of each table the history writes."""

    next: dict[str, int]

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def _timeline(template: Template, start: datetime, span: float) -> Callable[[Any], Any]:
    """Moves a template's times onto a clone's visit: the same order, stretched from ``start`` over ``span``
    seconds; dates move by the days between the template's day and the clone's."""
    factor = span / template.span
    days = (start.astimezone(calendar.JST).date() - template.start.astimezone(calendar.JST).date()).days

    def move(value: Any) -> Any:
        if isinstance(value, datetime):
            return start + (value - template.start) * factor
        if isinstance(value, date):
            return value + timedelta(days=days)
        return value
    return move


def clone(template: Template, members: list[dict[str, Any]], *, start: datetime, span: float, ids: Ids,
          writer: Writer) -> list[dict[str, Any]]:
    """Write one history case copied from ``template``; returns its log entries (chained later, in time order)."""
    move = _timeline(template, start, span)
    case_id = ids.take("cases")
    who = Clone(members=members, case_id=case_id, day=start.astimezone(calendar.JST).date().isoformat())
    writer.add("cases", {**{k: move(v) for k, v in template.case.items()}, "id": case_id,
                         "resident_id": members[0]["id"], "workflow_json": template.workflow.render(who)})
    task_ids = {}
    for row, form in zip(template.tasks, template.forms, strict=True):
        task_ids[row["id"]] = ids.take("case_tasks")
        writer.add("case_tasks", {**{k: move(v) for k, v in row.items()}, "id": task_ids[row["id"]],
                                  "case_id": case_id, "form_data": form.render(who) if form else None})
    for row, subject in zip(template.procedures, template.subjects, strict=True):
        writer.add("case_procedures", {**{k: move(v) for k, v in row.items()}, "id": ids.take("case_procedures"),
                                       "case_id": case_id, "task_id": task_ids.get(row["task_id"]),
                                       "subject": subject.render(who)})
    for row in template.documents:
        writer.add("case_documents", {**{k: move(v) for k, v in row.items()}, "id": ids.take("case_documents"),
                                      "case_id": case_id, "pdf": b"", "subject_ids": row["subject_ids"].render(who)})
    slot = {str(rid): i for i, rid in enumerate(template.slot_ids)}
    entries = []
    for row, details in zip(template.log, template.details, strict=True):
        target = row["target_id"]
        if row["target_type"] == "case" and target == str(template.case["id"]):
            target = str(case_id)
        elif row["target_type"] == "task" and target is not None and int(target) in task_ids:
            target = str(task_ids[int(target)])
        elif row["target_type"] == "resident" and target in slot:
            target = str(members[slot[target]]["id"])
        entries.append({**{k: move(v) for k, v in row.items()}, "target_id": target,
                        "details": details.render(who) if details else None})
    return entries


# -- the history ----------------------------------------------------------------------------------------
def _padding(day: date, count: int, rng: random.Random, pool: list[dict[str, Any]],
             proto: dict[str, Any]) -> list[dict[str, Any]]:
    """The day's other entries: searches, household views and logins that led to no case of their own."""
    entries = []
    for _ in range(count):
        at, pick = moment(day, rng.uniform(0, DAY_MINUTES)), rng.random()
        base = {**proto, "at": at, "outcome": "ok"}
        if pick < 0.5:
            entries.append({**base, "action": "resident.search", "target_type": "resident", "target_id": None,
                            "details": json.dumps({"q": rng.choice(SEARCHES), "birth_date": None, "address": "",
                                                   "hits": rng.randint(0, 20)}, ensure_ascii=False)})
        elif pick < 0.9:
            members = rng.choice(pool)
            entries.append({**base, "action": "resident.view", "target_type": "resident",
                            "target_id": str(members[0]["id"]),
                            "details": json.dumps({"household": members[0]["setai_no"], "members": len(members),
                                                   "support_measure": False}, ensure_ascii=False)})
        else:
            entries.append({**base, "action": "auth.login", "target_type": "user", "target_id": proto["username"],
                            "details": None})
    return entries


def _next_ids(conn: Connection) -> Ids:
    return Ids({name: int(conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()) + 1
                for name, t in TABLES.items()})


def write_history(plan: Plan, templates: list[Template], *, say: Callable[[str], None]) -> dict[str, Any]:
    """Clone the templates over the plan's business days in one transaction; re-link the log after them."""
    rng = random.Random(plan.seed)
    conn = db.session.connection()
    by_size = households(conn)
    pool = [h for size in HOUSEHOLD_SIZES for h in by_size[size]]
    head = db.session.get(AuditChainHead, 1)
    if head is not None and head.base_seq:
        raise SystemExit("history: the operation log was archived here; use a new database")
    recent = rows(conn, AuditEntry.__table__, AuditEntry.__table__.c.seq.is_not(None), AuditEntry.__table__.c.seq)
    conn.execute(AuditEntry.__table__.delete())
    days = plan.days()
    audit_partitions.ensure(db.session, now=datetime.now(UTC), first=moment(days[0], 0))
    ids, writer = _next_ids(conn), Writer(conn)
    chain = Chain(writer, next_id=ids.next["audit_log"])
    finished = [t for t in templates if t.state == "completed"]
    cancelled = {t.event: t for t in templates if t.state == "cancelled"}
    events = sorted({t.event for t in finished})
    weights = [EVENT_SHARES[e] for e in events]
    per_event = {e: [t for t in finished if t.event == e] for e in events}
    # The log rows a case brings with it, as the mix of events draws them: the rest of the day's rows is padding.
    real_per_case = sum(EVENT_SHARES[e] * sum(len(t.log) for t in per_event[e]) / len(per_event[e])
                        for e in events) / sum(weights)
    pad_per_case = max(0.0, plan.log / plan.cases - real_per_case)
    proto = next(({k: e[k] for k in ("username", "role", "terminal", "ip")} for t in finished for e in t.log
                  if e["action"] == "resident.view"), {"username": "counter", "role": "counter", "terminal": None,
                                                       "ip": None})
    started, made = time.monotonic(), 0
    for n, day in enumerate(days):
        today = plan.cases * (n + 1) // len(days) - plan.cases * n // len(days)
        entries: list[dict[str, Any]] = []
        for _ in range(today):
            event = rng.choices(events, weights)[0]
            template = (cancelled[event] if event in cancelled and rng.random() < CANCELLED_SHARE
                        else rng.choice(per_event[event]))
            members = rng.choice(by_size[template.size])
            begin, span = visit_window(template, rng)
            entries += clone(template, members, start=moment(day, begin), span=span, ids=ids, writer=writer)
        entries += _padding(day, round(pad_per_case * today), rng, pool, proto)
        entries.sort(key=lambda e: e["at"])
        for entry in entries:
            chain.append(entry)
        made += today
        if n % 60 == 59:
            say(f"history: {made:,} cases, {chain.seq:,} log rows ({day}), {time.monotonic() - started:.0f} s")
    for entry in recent:  # the set-up's and the templates' entries, today's: after the history, unchanged
        chain.append({k: v for k, v in entry.items() if k not in ("id", "seq", "prev_hash", "hash")})
    writer.flush()
    conn.execute(AuditChainHead.__table__.update().where(AuditChainHead.__table__.c.id == 1)
                 .values(last_seq=chain.seq, last_hash=chain.last))
    if writer.postgres:
        for name in TABLES:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                              f"(SELECT max(id) FROM {name}))"))
    return {"days": len(days), "first_day": days[0].isoformat(), "last_day": days[-1].isoformat(),
            **{f"rows_{k}": v for k, v in writer.counts.items()}}


def generate(app: Flask, plan: Plan, *, password: str, say: Callable[[str], None] = print) -> dict[str, Any]:
    """The whole history on ``app``'s database (migrated; sections and users may exist, cases must not)."""
    if db.session.scalar(select(func.count()).select_from(Case)):
        raise SystemExit("history: this database already has cases; the generator is for a new database")
    timings: dict[str, float] = {}
    clock = time.monotonic()
    run = setup_demo(app, password=password, residents=plan.residents)
    timings["residents_s"] = time.monotonic() - clock
    say(f"residents: {run.inserted:,} added, {run.unchanged:,} unchanged ({timings['residents_s']:.0f} s)")
    clock = time.monotonic()
    templates, failed = make_templates(app, password=password, rng=random.Random(plan.seed), say=say)
    timings["templates_s"] = time.monotonic() - clock
    clock = time.monotonic()
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
    result = write_history(plan, templates, say=say)
    db.session.commit()
    timings["history_s"] = time.monotonic() - clock
    if db.session.connection().dialect.name == "postgresql":
        clock = time.monotonic()
        _vacuum()
        timings["vacuum_analyze_s"] = time.monotonic() - clock
    return {**result, **timings, "templates": len(templates), "failed_templates": failed}


def _vacuum() -> None:
    """VACUUM (ANALYZE) the whole database, as a five-year-old one is: vacuumed while it grew.

    Measured right after the bulk load, the bench measured the load's aftermath instead: the insert-triggered
    autovacuum of 30 M fresh rows on 2 cores and the hint bits the first reads write, which slowed every endpoint
    alike (bench/load.py --history 1.0: GET /login, which reads no history, 1.38× the empty database's p95;
    the guide and the manager's page 1.5×). VACUUM cannot run in a transaction: its own autocommit connection."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))


def psycopg_connect(url: str) -> Any:
    import psycopg

    from tests.support import postgres

    return psycopg.connect(postgres.libpq_url(url))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the database (SQLAlchemy URL); migrated here if it is not")
    where.add_argument("--throwaway", action="store_true",
                       help="a cluster of its own, deleted at the end (to time the generator)")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the full history (0.001 … 1.0)")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    import os
    import tempfile

    from flask_migrate import upgrade

    from core.settings import REPO_ROOT, Settings
    from web.app import create_app

    password = os.environ.get("MADOGUCHI_DEMO_PASSWORD", "demo")
    if args.throwaway:
        from tests.support import postgres

        args.url = postgres.create_database(postgres.server_url(throwaway=True), "madoguchi_history")
    var = tempfile.mkdtemp(prefix="madoguchi-history-")
    settings = Settings(database_url=args.url, secret_key="history", demo=True, demo_password=password,
                        bpmn_dir=str(REPO_ROOT / "bpmn"), var_dir=var)
    app = create_app({"TESTING": True, "MADOGUCHI": settings, **settings.to_flask_config()})
    started = time.monotonic()
    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        result = generate(app, Plan(scale=args.scale, years=args.years, seed=args.seed), password=password)
    result["total_s"] = time.monotonic() - started
    if args.throwaway:
        with psycopg_connect(args.url) as conn:
            result["database_size"] = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))"
                                                   ).fetchone()[0]
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
