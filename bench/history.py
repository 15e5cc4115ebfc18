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
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask import Flask  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from bench.answers import answers, signature_png, tick_one  # noqa: E402
from core import audit, audit_partitions, calendar  # noqa: E402
from core.db import db  # noqa: E402
from core.models import AuditChainHead, AuditEntry  # noqa: E402
from residents.models import Resident  # noqa: E402
from workflows.determination.models import CaseProcedure  # noqa: E402
from workflows.models import Case, CaseTask  # noqa: E402
from workflows.visit.models import CaseDocument  # noqa: E402

FULL = {"residents": 200_000, "cases": 1_000_000, "log": 30_000_000}
# The visits of a city hall: mostly certificates, then moves; the shares of the clones.
EVENT_SHARES = {"shomei": 0.45, "tennyu": 0.12, "tenshutsu": 0.11, "tenkyo": 0.11, "setai_henko": 0.05,
                "shussei": 0.06, "shibo": 0.05, "konin": 0.03, "rikon": 0.02}
CANCELLED_SHARE = 0.04
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
SEARCHES = ["タ", "サ", "ヤマ", "スズ", "イ", "カ", "ナカ", "コ", "フ", "ハ", "マ", "ニ"]
OPEN, CLOSE = (8, 30), (17, 15)  # the counters' hours, Japan time


# -- templates: real visits through the API, in-process ------------------------------------------------------


class _Api:
    """The JSON API through the app's test client, one bearer token per user (each request its own context)."""

    def __init__(self, app: Flask, password: str) -> None:
        self.client, self.password, self.tokens = app.test_client(), password, {}

    def call(self, method: str, user: str, path: str, **kwargs: Any) -> Any:
        if user not in self.tokens:
            answer = self.client.post("/api/v1/auth/token", json={"username": user, "password": self.password})
            self.tokens[user] = answer.get_json()["token"]
        response = self.client.open(f"/api/v1{path}", method=method,
                                    headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return response.get_json()


def run_visit(api: _Api, *, event: str, resident_id: int, members: list[int], cancel: bool, today: str) -> int:
    """One whole visit through the API, then every section task to the end (or a cancellation); the case id."""
    body = {"process_key": f"journey_{event}", "resident_id": resident_id, "members": members, "events": [event]}
    case = api.call("POST", "counter", "/cases", json=body)
    if cancel:  # withdrawn at the counter before the interview was finished
        api.call("POST", "counter", f"/cases/{case['id']}/cancel", json={"reason": "住民の申出により取下げ"})
        return int(case["id"])
    for interview in [t for t in case["tasks"] if t["state"] == "ready"]:
        asked = api.call("GET", "counter", f"/tasks/{interview['id']}/questions")
        data = tick_one(answers(asked["fields"], on=today), asked["at_least_one"])
        api.call("POST", "counter", f"/tasks/{interview['id']}/complete", json={"data": data})
    case_id = case["id"]
    api.call("GET", "counter", f"/cases/{case_id}/procedures")
    if api.call("GET", "counter", f"/cases/{case_id}")["state"] == "running":
        questions = api.call("GET", "counter", f"/cases/{case_id}/form-questions")
        given = answers(questions, key="key", on=today)
        member_answers = given.pop("members", {})
        api.call("PUT", "counter", f"/cases/{case_id}/form-answers",
                 json={"answers": given, "members": member_answers})
        api.call("POST", "counter", f"/cases/{case_id}/documents")
        api.call("POST", "counter", f"/cases/{case_id}/signature", json={"png_base64": signature_png()})
        api.call("POST", "counter", f"/cases/{case_id}/hand-over")
    for _ in range(50):
        detail = api.call("GET", "counter", f"/cases/{case_id}")
        ready = [t for t in detail["tasks"] if t["state"] == "ready"]
        if detail["state"] != "running" or not ready:
            break
        task = ready[0]
        user = "counter" if task.get("section") in (None, "madoguchi") else task["section"]
        fields = api.call("GET", user, f"/tasks/{task['id']}/questions")["fields"]
        api.call("POST", user, f"/tasks/{task['id']}/complete", json={"data": answers(fields, on=today)})
    return case_id


# -- a template: a finished visit read back, identities replaced by slots --------------------------------
# Placeholders put in a template's values: a resident's id (I), a member key (K), a resident's text (S), the
# case's id (C), the visit's day (D). They are JSON strings with NUL marks, so no real value can look like one.
_MARK = "\x00"
_PLACE = re.compile(r'"\\u0000([ICKSD])(\d*)(?::(\w+))?\\u0000"')
ID_KEYS = {"resident_id"}
ID_LIST_KEYS = {"member_ids", "subject_ids"}
TEXT_FIELDS = ("name", "name_kana", "jumin_code", "setai_no", "address")


@dataclass
class Slots:
    """Who a template was about: its household's ids (slot order) and their texts, its case id and day."""

    ids: list[int]
    texts: dict[str, tuple[int, str]]  # an exact string value → (slot, field)
    case_id: int
    day: str

    def walk(self, value: Any, key: str | None = None) -> Any:
        """``value`` with every identity in it replaced by its placeholder."""
        if isinstance(value, dict):
            return self._record(value)
        if isinstance(value, list):
            return [self._id(v) if key in ID_LIST_KEYS else self.walk(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool):
            return self._id(value) if key in ID_KEYS else _mark("C") if key == "case_id" and value == self.case_id \
                else value
        if isinstance(value, str):
            if value in self.texts:
                return _mark("S", *self.texts[value])
            return _mark("D") if value == self.day else value
        return value

    def _record(self, value: dict[str, Any]) -> dict[str, Any]:
        """A dict; when it is a person's record (it has their ``resident_id``), its texts are that person's —
        by position, not by value, since two members of a household can share a given name."""
        own = value.get("resident_id")
        slot = self.ids.index(own) if isinstance(own, int) and own in self.ids else None
        return {k: _mark("S", slot, k) if slot is not None and k in TEXT_FIELDS and isinstance(v, str) and v else
                self._members(v) if k == "members" and isinstance(v, dict) else self.walk(v, k)
                for k, v in value.items()}

    def _id(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value in self.ids:
            return _mark("I", self.ids.index(value))
        return self.walk(value)

    def _members(self, value: dict[str, Any]) -> dict[str, Any]:
        """Per-person answers are keyed by the resident's id."""
        return {(_mark("K", self.ids.index(int(k))) if k.isdigit() and int(k) in self.ids else k): self.walk(v)
                for k, v in value.items()}


def _mark(kind: str, slot: int | None = None, name: str | None = None) -> str:
    return f"{_MARK}{kind}{'' if slot is None else slot}{'' if name is None else ':' + name}{_MARK}"


class Text:
    """A JSON text compiled once into literal parts and placeholders; :meth:`render` fills them per clone."""

    def __init__(self, value: Any, slots: Slots) -> None:
        dumped = json.dumps(slots.walk(value), ensure_ascii=False, separators=(",", ":"))
        self.parts: list[str | tuple[str, int, str]] = []
        last = 0
        for match in _PLACE.finditer(dumped):
            self.parts.append(dumped[last:match.start()])
            self.parts.append((match[1], int(match[2] or 0), match[3] or ""))
            last = match.end()
        self.parts.append(dumped[last:])

    def render(self, clone: Clone) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(clone.value(*part))
        return "".join(out)


@dataclass
class Clone:
    """The identities one history case puts in a template's placeholders."""

    members: list[dict[str, Any]]  # id, name, name_kana, jumin_code, setai_no, address of each slot
    case_id: int
    day: str

    def value(self, kind: str, slot: int, name: str) -> str:
        if kind == "I":
            return str(self.members[slot]["id"])
        if kind == "K":
            return json.dumps(str(self.members[slot]["id"]))
        if kind == "C":
            return str(self.case_id)
        if kind == "D":
            return json.dumps(self.day)
        return json.dumps(self.members[slot][name], ensure_ascii=False)


@dataclass
class Template:
    """One finished visit: its rows with identities as placeholders and times as offsets from its start."""

    event: str
    state: str
    size: int
    start: datetime
    span: float  # seconds from the case's start to its last row
    case: dict[str, Any]
    workflow: Text
    tasks: list[dict[str, Any]]
    forms: list[Text | None]
    procedures: list[dict[str, Any]]
    subjects: list[Text]
    documents: list[dict[str, Any]]
    log: list[dict[str, Any]]
    details: list[Text | None]
    slot_ids: list[int] = field(default_factory=list)


def _rows(conn: Connection, table: Any, where: Any, order: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(table).where(where).order_by(order)).mappings()]


def capture(conn: Connection, *, case_id: int, event: str, members: list[Resident], first_seq: int,
            day: str) -> Template:
    """Read a finished template visit back from the database: every row it wrote, ready to clone."""
    texts: dict[str, tuple[int, str]] = {}
    for i, m in enumerate(members):
        for name in TEXT_FIELDS:
            value = getattr(m, name)
            if value and value not in texts:
                texts[value] = (i, name)
    slots = Slots(ids=[m.id for m in members], texts=texts, case_id=case_id, day=day)
    case = _rows(conn, Case.__table__, Case.__table__.c.id == case_id, Case.__table__.c.id)[0]
    tasks = _rows(conn, CaseTask.__table__, CaseTask.__table__.c.case_id == case_id, CaseTask.__table__.c.id)
    procedures = _rows(conn, CaseProcedure.__table__, CaseProcedure.__table__.c.case_id == case_id,
                       CaseProcedure.__table__.c.id)
    documents = _rows(conn, CaseDocument.__table__, CaseDocument.__table__.c.case_id == case_id,
                      CaseDocument.__table__.c.id)
    log_table = AuditEntry.__table__
    log = [r for r in _rows(conn, log_table, log_table.c.seq >= first_seq, log_table.c.seq)
           if not r["action"].startswith("auth.")]
    stamps = [v for row in [case, *tasks, *procedures, *documents, *log] for v in row.values()
              if isinstance(v, datetime)]
    start = case["created_at"]
    template = Template(
        event=event, state=case["state"], size=len(members), start=start,
        span=max(1.0, (max(stamps) - start).total_seconds()), case=case,
        workflow=Text(json.loads(case["workflow_json"]), slots), tasks=tasks,
        forms=[Text(json.loads(t["form_data"]), slots) if t["form_data"] else None for t in tasks],
        procedures=procedures, subjects=[Text(json.loads(p["subject"] or "{}"), slots) for p in procedures],
        documents=documents, log=log,
        details=[Text(json.loads(e["details"]), slots) if e["details"] else None for e in log],
        slot_ids=slots.ids)
    template.documents = [{**d, "subject_ids": Text(json.loads(d["subject_ids"] or "[]"), _list_slots(slots))}
                          for d in documents]
    return template


def _list_slots(slots: Slots) -> Slots:
    """A document's subject list holds bare resident ids: read it as a list of ids."""
    class _Ids(Slots):
        def walk(self, value: Any, key: str | None = None) -> Any:
            return super().walk(value, "subject_ids") if key is None and isinstance(value, list) else value
    return _Ids(ids=slots.ids, texts={}, case_id=slots.case_id, day=slots.day)


# -- set-up and templates ---------------------------------------------------------------------------------
def setup_demo(app: Flask, *, password: str, residents: int, seed: int = 2026) -> Any:
    """What ``madoguchi demo`` does (sections, users, counters, the journeys), with ``residents`` synthetic
    residents from the demo's generator and seed: the demo's 2,000 are the first of them."""
    from core import demo
    from core.actor import Actor
    from core.tx import atomic
    from integrations.imports import generator, importer
    from web.commands.engine import collect_model_files
    from web.model_rules import deploy_files

    settings = app.config["MADOGUCHI"]
    admin = Actor(username="demo", role="admin")
    atomic(demo.load_sections)
    atomic(lambda: demo.create_demo_users(password=password))
    atomic(demo.create_demo_counters)
    files = collect_model_files((settings.bpmn_dir,))
    atomic(lambda: deploy_files(files=files, actor=admin))
    data = generator.csv_bytes(list(generator.generate(residents, seed=seed)))
    return atomic(lambda: importer.run_import(data=data, source="demo", mode="full", actor=admin,
                                              filename="history.csv", trigger="cli"))


def households(conn: Connection) -> dict[int, list[list[dict[str, Any]]]]:
    """Households without 支援措置 by size (1–5): their members, the first-registered first (as a visit lists
    them when it starts from that member)."""
    columns = [Resident.__table__.c[n] for n in ("id", "household_id", "support_measure", *TEXT_FIELDS)]
    found: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute(select(*columns).order_by(Resident.__table__.c.id)).mappings():
        if row["household_id"] is not None:
            found.setdefault(row["household_id"], []).append(dict(row))
    by_size: dict[int, list[list[dict[str, Any]]]] = {s: [] for s in HOUSEHOLD_SIZES}
    for members in found.values():
        if len(members) in by_size and not any(m["support_measure"] for m in members):
            by_size[len(members)].append(members)
    return by_size


def make_templates(app: Flask, *, password: str, rng: random.Random,
                   say: Callable[[str], None]) -> tuple[list[Template], list[str]]:
    """One visit per life event and household size (and a cancelled one per event), run and captured."""
    api = _Api(app, password)
    today = datetime.now(calendar.JST).date().isoformat()
    by_size = households(db.session.connection())
    made, failed = [], []
    plan = [(e, s, False) for e in EVENT_SHARES for s in HOUSEHOLD_SIZES if by_size[s]]
    plan += [(e, 2 if by_size[2] else 1, True) for e in EVENT_SHARES]
    for event, size, cancel in plan:
        members = by_size[size].pop(rng.randrange(len(by_size[size])))
        first_seq = int(db.session.scalar(select(AuditChainHead.last_seq).where(AuditChainHead.id == 1)) or 0) + 1
        db.session.remove()
        try:
            case_id = run_visit(api, event=event, resident_id=members[0]["id"], members=[m["id"] for m in members],
                                cancel=cancel, today=today)
        except RuntimeError as err:
            failed.append(f"{event}/{size}{' cancelled' if cancel else ''}: {err}")
            continue
        residents = [db.session.get(Resident, m["id"]) for m in members]
        template = capture(db.session.connection(), case_id=case_id, event=event, members=residents,
                           first_seq=first_seq, day=today)
        db.session.remove()
        if template.state == "running":
            failed.append(f"{event}/{size}: the visit did not finish ({len(template.tasks)} tasks)")
            continue
        made.append(template)
    say(f"templates: {len(made)} visits run and captured ({len(failed)} could not run)")
    return made, failed


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
@dataclass
class Plan:
    """How much history, over which days."""

    scale: float = 1.0
    years: int = 5
    seed: int = 2026
    end: date | None = None  # the last day of the history (default: yesterday, Japan time)

    @property
    def cases(self) -> int:
        return max(1, round(FULL["cases"] * self.scale))

    @property
    def log(self) -> int:
        return max(1, round(FULL["log"] * self.scale))

    @property
    def residents(self) -> int:
        return max(2000, round(FULL["residents"] * self.scale))

    def days(self) -> list[date]:
        last = self.end or datetime.now(calendar.JST).date() - timedelta(days=1)
        first = date(last.year - self.years, last.month, min(last.day, 28)) + timedelta(days=1)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)
                if calendar.is_business_day(first + timedelta(days=i))]


def _at(day: date, minutes: float) -> datetime:
    """``minutes`` after the counters open on ``day``, as a UTC instant."""
    opened = datetime(day.year, day.month, day.day, *OPEN, tzinfo=calendar.JST)
    return (opened + timedelta(minutes=minutes)).astimezone(UTC)


DAY_MINUTES = (CLOSE[0] * 60 + CLOSE[1]) - (OPEN[0] * 60 + OPEN[1])


def _visit_window(template: Template, rng: random.Random) -> tuple[float, float]:
    """When a visit starts (minutes after opening) and how long to its last row (seconds): a certificate in
    5–20 minutes, a move's procedures over 20 minutes to 3 hours; all before closing."""
    quick = template.event == "shomei" or template.state == "cancelled"
    minutes = rng.uniform(5, 20) if quick else rng.uniform(20, 180)
    begin = rng.uniform(0, max(1.0, DAY_MINUTES - minutes))
    return begin, minutes * 60


def _padding(day: date, count: int, rng: random.Random, pool: list[dict[str, Any]],
             proto: dict[str, Any]) -> list[dict[str, Any]]:
    """The day's other entries: searches, household views and logins that led to no case of their own."""
    entries = []
    for _ in range(count):
        at, pick = _at(day, rng.uniform(0, DAY_MINUTES)), rng.random()
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
    recent = _rows(conn, AuditEntry.__table__, AuditEntry.__table__.c.seq.is_not(None), AuditEntry.__table__.c.seq)
    conn.execute(AuditEntry.__table__.delete())
    days = plan.days()
    audit_partitions.ensure(db.session, now=datetime.now(UTC), first=_at(days[0], 0))
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
            begin, span = _visit_window(template, rng)
            entries += clone(template, members, start=_at(day, begin), span=span, ids=ids, writer=writer)
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
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        timings["analyze_s"] = time.monotonic() - clock
    return {**result, **timings, "templates": len(templates), "failed_templates": failed}


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
