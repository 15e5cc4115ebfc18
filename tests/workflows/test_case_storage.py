"""How a case's workflow is stored on PostgreSQL (migration 0010)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import inspect, text

from core.db import db
from core.tx import atomic
from tests.conftest import TENNYU_FIXTURE, actor, deploy_library
from workflows import dashboard, runtime


def test_workflow_json_is_compressed_with_lz4_on_postgresql(app: Flask) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL storage setting; checked in the PostgreSQL run")
    method = db.session.scalar(text(
        "SELECT attcompression FROM pg_attribute WHERE attrelid = 'cases'::regclass AND attname = 'workflow_json'"))
    assert method == "l"  # lz4 ('p' = pglz, '' = the server default)


def test_lists_leave_the_workflow_unloaded_and_the_runtime_loads_it(app: Flask) -> None:
    """Inboxes load cases by the hundred; their 10–240 KB workflows stay in the database until the runtime asks."""
    deploy_library(TENNYU_FIXTURE)
    case_id = atomic(lambda: runtime.start_case(process_key="tennyu", actor=actor("counter"))).id
    db.session.remove()
    (task,) = dashboard.inbox(actor=actor("counter"), filters=dashboard.InboxFilter())
    assert task.case.id == case_id and "workflow_json" in inspect(task.case).unloaded
    assert [c.id for c in runtime.list_cases()] == [case_id]
    assert "workflow_json" in inspect(runtime.list_cases()[0]).unloaded
    db.session.remove()
    assert "workflow_json" not in inspect(runtime.get_task(task.id).case).unloaded
    db.session.remove()
    assert "workflow_json" not in inspect(runtime.get_case(case_id)).unloaded
