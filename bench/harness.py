"""What the benches share: an app on a freshly migrated throwaway database, seeded and deployed,
case cloning, the stock SpiffWorkflow round trip, and percentiles.

Nothing here is imported by the application; it drives the real services the way a request does.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from flask import Flask
from flask_migrate import upgrade
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import insert, select

from core import demo, users
from core.actor import Actor
from core.db import db
from core.settings import REPO_ROOT, Settings
from core.tx import atomic
from web.app import create_app
from workflows import registry, runtime
from workflows.models import Case, CaseTask, SpecSnapshot

BENCH_DATA = Path(__file__).resolve().parent / "data"
# The small 転入 process of the engine tests (reception → three sections), deployed beside bpmn/.
TENNYU_FIXTURE = REPO_ROOT / "tests" / "data" / "engine" / "tennyu.bpmn"
PASSWORD = "bench-pass-1"


@contextlib.contextmanager
def migrated_app(backend: str, **settings_overrides: Any) -> Iterator[Flask]:
    """An app (its context pushed) on a new, migrated, empty database of ``backend``; dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as tmp, database(backend, tmp) as url:
        settings = Settings(database_url=url, secret_key="bench-secret", demo=True, demo_password=PASSWORD,
                            bpmn_dir=str(REPO_ROOT / "bpmn"), var_dir=tmp, **settings_overrides)
        app = create_app({"TESTING": True, "MADOGUCHI": settings, **settings.to_flask_config()})
        with app.app_context():
            try:
                with contextlib.redirect_stderr(io.StringIO()):  # Alembic's INFO lines
                    upgrade(directory=app.config["MIGRATIONS_DIR"])
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


@contextlib.contextmanager
def backend_app(backend: str, **settings_overrides: Any) -> Iterator[Flask]:
    """:func:`migrated_app` seeded with sections and users, with bpmn/ and the bench fixtures deployed."""
    with migrated_app(backend, **settings_overrides) as app:
        demo.load_sections()
        demo.create_demo_users(password=PASSWORD)
        db.session.commit()
        _deploy(REPO_ROOT / "bpmn", BENCH_DATA / "loop.bpmn", TENNYU_FIXTURE)
        yield app


@contextlib.contextmanager
def database(backend: str, tmp: str, name: str = "bench") -> Iterator[str]:
    """The URL of a new database ``name`` (a file in ``tmp``, or a throwaway PostgreSQL database), dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp}/{name}.sqlite3"
        return
    if backend != "postgres":
        raise ValueError(f"unknown backend {backend!r}")
    from tests.support import postgres

    base = postgres.server_url()
    name = f"madoguchi_{name}_{os.getpid()}"
    url = postgres.create_database(base, name)
    try:
        yield url
    finally:
        postgres.drop_database(base, name)


def _deploy(*paths: Path) -> None:
    from web.commands.engine import collect_model_files
    from web.model_rules import deploy_files

    files = collect_model_files(tuple(str(p) for p in paths))
    atomic(lambda: deploy_files(files=files, actor=actor("admin")))


def actor(username: str) -> Actor:
    user = users.get_by_username(username)
    if user is None:
        raise LookupError(f"no seeded user {username!r}")
    return users.actor_for(user)


def ready_tasks(case_id: int) -> list[CaseTask]:
    return list(db.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")
                                   .order_by(CaseTask.id)))


def completed_count(case_id: int) -> int:
    return len(list(db.session.scalars(select(CaseTask.id).where(CaseTask.case_id == case_id,
                                                                 CaseTask.state == "completed"))))


def clone_case(case_id: int, count: int) -> list[int]:
    """``count`` copies of a case (row and task rows, versions reset); the id of each copy's READY task.

    A copy is the same case at the same depth, so each timed completion starts from exactly that depth
    (a single looping case cannot go far past ~330 rounds, see README)."""
    cases, tasks = Case.__table__, CaseTask.__table__
    row = dict(db.session.execute(select(cases).where(cases.c.id == case_id)).mappings().one())
    task_rows = [dict(r) for r in db.session.execute(select(tasks).where(tasks.c.case_id == case_id)).mappings()]
    row.pop("id")
    for t in task_rows:
        t.pop("id")
    ready_ids = []
    for _ in range(count):
        new_id = db.session.execute(insert(cases).values(**{**row, "version": 1})).inserted_primary_key[0]
        db.session.execute(insert(tasks), [{**t, "case_id": new_id, "version": 1} for t in task_rows])
        ready_ids.append(db.session.scalar(select(tasks.c.id).where(tasks.c.case_id == new_id,
                                                                    tasks.c.state == "ready")))
    db.session.commit()
    return ready_ids


def spec_json_size(case_id: int) -> int:
    case = runtime.get_case(case_id)
    return len(db.session.get(SpecSnapshot, case.snapshot_id).spec_json.encode())


@dataclass
class StockRoundTrip:
    """A plain SpiffWorkflow user's step: deserialise (spec embedded), complete, run, serialise."""

    serializer: BpmnWorkflowSerializer
    script_engine: Any

    @classmethod
    def create(cls) -> StockRoundTrip:
        # The same script engine as the runtime, so both sides pay the same script/service cost.
        return cls(BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)),
                   runtime.engine().script_engine)

    def stock_json(self, case_id: int) -> str:
        """The case's workflow as the stock serializer writes it, spec included."""
        case = runtime.get_case(case_id)
        workflow = runtime.engine().loads(case.workflow_json, registry.specs_for(case.snapshot,
                                                                                  engine=runtime.engine()))
        return self.serializer.serialize_json(workflow)

    def step(self, stock_json: str, task_uuid: str, data: dict[str, Any]) -> str:
        workflow = self.serializer.deserialize_json(stock_json)
        workflow.script_engine = self.script_engine
        task = workflow.get_task_from_id(UUID(task_uuid))
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow)


@dataclass(frozen=True)
class Stats:
    n: int
    p50: float
    p95: float

    @classmethod
    def of(cls, seconds: list[float]) -> Stats:
        """p50/p95 in milliseconds (inclusive quantiles)."""
        if len(seconds) < 2:
            only = seconds[0] * 1000 if seconds else float("nan")
            return cls(len(seconds), only, only)
        cuts = statistics.quantiles(seconds, n=100, method="inclusive")
        return cls(len(seconds), cuts[49] * 1000, cuts[94] * 1000)
