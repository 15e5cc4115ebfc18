"""The templates of bench/history.py: real visits run through the API in-process, read back as slots.

A few dozen visits — one per life event and household size, and a cancelled one per event — go through the
same API calls the counter and section pages make (search, household, start, interview, procedures, form
answers, documents, signature, hand-over, every section task to the end). Each is read back (its case row with
the finished workflow, tasks, procedures, document rows, the operation-log entries its requests wrote) with
the household's identities replaced by slots that :mod:`bench.history` fills for every clone.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Connection

from bench.answers import answers, signature_png, tick_one
from core import calendar
from core.db import db
from core.models import AuditChainHead, AuditEntry
from residents.models import Resident
from workflows.determination.models import CaseProcedure
from workflows.models import Case, CaseTask
from workflows.visit.models import CaseDocument

# The visits of a city hall: mostly certificates, then moves; the shares of the clones.
EVENT_SHARES = {"shomei": 0.45, "tennyu": 0.12, "tenshutsu": 0.11, "tenkyo": 0.11, "setai_henko": 0.05,
                "shussei": 0.06, "shibo": 0.05, "konin": 0.03, "rikon": 0.02}
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)


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


def rows(conn: Connection, table: Any, where: Any, order: Any) -> list[dict[str, Any]]:
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
    case = rows(conn, Case.__table__, Case.__table__.c.id == case_id, Case.__table__.c.id)[0]
    tasks = rows(conn, CaseTask.__table__, CaseTask.__table__.c.case_id == case_id, CaseTask.__table__.c.id)
    procedures = rows(conn, CaseProcedure.__table__, CaseProcedure.__table__.c.case_id == case_id,
                       CaseProcedure.__table__.c.id)
    documents = rows(conn, CaseDocument.__table__, CaseDocument.__table__.c.case_id == case_id,
                      CaseDocument.__table__.c.id)
    log_table = AuditEntry.__table__
    log = [r for r in rows(conn, log_table, log_table.c.seq >= first_seq, log_table.c.seq)
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
