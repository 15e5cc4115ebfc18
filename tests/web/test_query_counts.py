"""The busiest pages and API calls read the database a bounded number of times, whatever the number of rows.

A page that runs one more query per row (an N+1) is fast in a test and slow at 8:30 with 50 terminals and five
years of cases. Each route is read with 3 and with 12 cases open (the same mix of tasks per case): the count of SQL
statements must not grow with the rows, and must stay under the bound written here (raise it knowingly).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from core.db import db
from tests.conftest import TENNYU_FIXTURE, api_headers, deploy_library, login
from tests.workflows.test_runtime import RECEPTION, complete, ready, start_tennyu

# route -> (who reads it, page or API, the most statements it may run)
ROUTES: dict[str, tuple[str, str, int]] = {
    "/inbox": ("shimin", "page", 12),
    "/cases": ("counter", "page", 8),
    "/manager/": ("manager", "page", 22),
    "/api/v1/tasks?section=shimin&state=ready": ("shimin", "api", 8),
    "/api/v1/cases?state=running": ("manager", "api", 10),
}


@contextmanager
def _counting() -> Iterator[Callable[[], int]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _open_cases(n: int) -> None:
    for _ in range(n):
        case = start_tennyu()
        complete(ready(case)["reception"].id, "counter", RECEPTION)  # tasks at 市民課 and 保険年金課


def _read(client: FlaskClient, route: str, who: str, kind: str) -> int:
    headers = api_headers(who) if kind == "api" else {}
    client.get(route, headers=headers)  # warm: the first request loads settings, sections, the user
    with _counting() as counted:
        response = client.get(route, headers=headers)
        assert response.status_code == 200, (route, response.status_code)
        return counted()


@pytest.mark.parametrize("route", list(ROUTES))
def test_busy_routes_read_the_database_a_bounded_number_of_times(app: Flask, route: str) -> None:
    who, kind, bound = ROUTES[route]
    deploy_library(TENNYU_FIXTURE)
    db.session.commit()
    client = app.test_client()
    if kind == "page":
        login(client, who)
    _open_cases(3)
    few = _read(client, route, who, kind)
    _open_cases(9)
    many = _read(client, route, who, kind)
    assert many <= few + 1, f"{route}: {few} statements with 3 cases, {many} with 12 (one more per row?)"
    assert many <= bound, f"{route}: {many} statements (bound {bound})"
