"""The route matrix: every rule of Flask's url_map (pages and API, each method) × every role, against an object of
a section, an object of a protected (支援措置) resident, and without a login — with the outcome each must give
declared in ONE table, docs/security.md. A route without a row there fails :func:`test_every_route_is_declared`.

How a request is made (not what it must give, which is the table's): the URL's objects are those of
:mod:`tests.security.scenario` (a case, task, document and procedure of 市民課; the protected head's); API calls use
the role's bearer token and send ``{}`` unless :data:`CALLS` says otherwise, pages use the role's session (with its
CSRF token) and an empty form. The outcome of a response: ``login`` (401, or a page's redirect to /login), ``denied``
(403), ``missing`` (404: the matrix's object was not found, always a failure), ``error`` (5xx, always a failure),
else ``ok`` (the request passed every access rule; it may still be refused as bad input, e.g. 422).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core import users
from core.db import db, utcnow
from core.settings import REPO_ROOT
from integrations.imports import importer
from integrations.rpa import export as rpa
from integrations.scheduler.models import SchedulerLock
from tests.conftest import PASSWORD, IsolatedClient, actor, api_headers, csrf_token, login
from tests.forms.support import pdf_text, squeeze
from tests.security import scenario
from workflows import runtime
from workflows.determination.models import list_for_case
from workflows.models import Incident
from workflows.visit import status, tickets

TABLE = REPO_ROOT / "docs" / "security.md"
ROLE_USERS = {"counter": "counter", "section": "shimin", "other section": "hoken", "manager": "manager",
              "designer": "designer", "admin": "admin"}
COLUMNS = ("route", *ROLE_USERS, "no login", "支援措置")
ROLE_CELLS = {"ok", "denied"}
ANONYMOUS_CELLS = {"login": "login", "public": "ok"}
PROTECTION_CELLS = {"masked", "reveal"}
REVEAL = {"purpose": "official", "reason": "職権調査のため（経路表の確認）"}
# How the matrix calls a route where ``{}``/an empty form would not reach its rule (never what it must give).
CALLS: dict[str, dict[str, Any]] = {
    "GET /api/v1/tasks": {"query": {"section": "shimin"}},
    "GET /api/v1/cases": {"query": {"section": "shimin"}},
    "GET /inbox": {"query": {"section": "shimin"}},
    "GET /api/v1/residents": {"query": {"q": "{name}"}},
    "GET /residents": {"query": {"q": "{name}"}},
    "GET /counter/": {"query": {"q": "{name}"}},
    "POST /api/v1/tasks/<int:task_id>/complete": {"body": {"data": {}, "version": 999_999}},  # 409: nothing done
    "POST /tasks/<int:task_id>": {"body": {"version": "999999"}},
    "POST /api/v1/protection/residents/<int:resident_id>/reveal": {"body": REVEAL},
    "POST /residents/<int:resident_id>/reveal": {"body": REVEAL},
    # a dry run over every running case: the result lists the protected head's case too, never its address
    "POST /manager/batches": {"body": {"action": "cancel", "state": "running", "reason": "経路表の確認", "run": "dry"}},
}
ROW = re.compile(r"^\|\s*`(?P<route>[A-Z]+ [^`]+)`\s*\|(?P<cells>.*)\|\s*$")


def declared() -> dict[str, dict[str, str]]:
    """The table of docs/security.md: ``"METHOD rule"`` → column → cell (the last column is a note)."""
    rows: dict[str, dict[str, str]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if not match:
            continue
        cells = [c.strip() for c in match["cells"].split("|")]
        assert match["route"] not in rows, f"{match['route']}: two rows"
        rows[match["route"]] = dict(zip(COLUMNS[1:], cells, strict=False))
    return rows


def routes(app: Flask) -> dict[str, str]:
    """Every method of every rule of the url_map: ``"METHOD rule"`` → endpoint."""
    return {f"{method} {rule.rule}": rule.endpoint for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}


def test_every_route_is_declared(app: Flask) -> None:
    table, found = declared(), routes(app)
    missing = sorted(set(found) - set(table))
    assert not missing, ("routes without a row in docs/security.md (add one: who may call it, which objects):\n"
                         + "\n".join(missing))
    assert not sorted(set(table) - set(found)), f"rows of docs/security.md for no route: {set(table) - set(found)}"
    for route, cells in table.items():
        assert all(cells[c] in ROLE_CELLS for c in ROLE_USERS), (route, cells)
        assert cells["no login"] in ANONYMOUS_CELLS and cells["支援措置"] in PROTECTION_CELLS, (route, cells)


# -- the world the matrix runs in -----------------------------------------------------------------------------
@dataclass
class World:
    app: Flask
    plain: dict[str, Any]  # URL values naming objects of 市民課 (and an ordinary resident)
    protected: dict[str, Any]  # the same, about the protected head of household
    leaks: list[str]  # what of the protected household must never be in a response
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # role → (session cookie, CSRF token)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)  # role → bearer headers


def _objects(city: scenario.City, case_id: int, resident: Any, shared: dict[str, Any]) -> dict[str, Any]:
    """The URL values of a case's 市民課 task, form and procedure, its resident and status token, and ``shared``."""
    case = runtime.get_case(case_id)
    task = next(t for t in case.tasks if t.section_code == "shimin")
    form = next(d for d in city.documents(case_id) if d.kind == "form" and d.form_key in ("juki_tennyu",
                                                                                             "cert_juminhyo"))
    procedure = next(p for p in list_for_case(case_id) if p.section_code == "shimin")
    incident = Incident(case_id=case_id, task_uuid="00000000-0000-0000-0000-000000000000", element_id="fee",
                        element_name="手数料の計算", kind="ScriptTask", message="経路表の確認用の障害", error="matrix",
                        skippable=True)  # no task of the case failed: a retry or skip is refused (409), harmlessly
    db.session.add(incident)
    db.session.flush()
    return {"incident_id": incident.id,
            "case_id": case_id, "task_id": task.id, "document_id": form.id, "resident_id": resident.id,
            "procedure_id": procedure.id, "token": status.token_for(case_id), "_name": resident.name, **shared}


def _world(app: Flask) -> World:
    city = scenario.build()
    [done] = city.tasks(city.protected)
    runtime.complete_task(task_id=done.id, actor=actor("shimin"), data={"outcome": "done"})  # for the robot
    export = rpa.create_export(actor=actor("manager"))
    db.session.add(SchedulerLock(name="scheduler", holder="matrix:1", acquired_at=utcnow(), heartbeat_at=utcnow()))
    # users outlive a test (tests/conftest.py KEEP_TABLES): a second world in the session (tests/web/test_locales.py)
    # finds the target the first one made
    target = users.get_by_username("matrix-target") or users.create_demo_user(
        username="matrix-target", password=PASSWORD, role="section", display_name="経路表の確認用", sections=["kankyo"])
    ticket = tickets.issue(purpose="shomei", actor=actor("counter"))  # waits at 市民課
    db.session.commit()
    shared = {"ticket_id": ticket.id,
              "export_id": export.id, "run_id": importer.list_runs(limit=1)[0].id, "user_id": target.id,
              "job_id": "cases.timers", "code": "kankyo", "key": "journey_shomei", "version": 1,
              "name": "htmx.min.js", "filename": "app.css"}
    head = city.head
    world = World(app=app, plain=_objects(city, city.routed, city.other, shared),
                  protected=_objects(city, city.protected, head, shared),
                  leaks=[x for x in (head.address, head.address_extra, head.postal_code,
                                     f"{head.postal_code[:3]}-{head.postal_code[3:]}") if x])
    db.session.commit()  # the status tokens
    app.test_client_class = IsolatedClient  # each request its own app context, as in a server
    for role, username in ROLE_USERS.items():
        client = app.test_client()
        login(client, username)
        token = csrf_token(client, "/login")  # first: the token's secret goes into the session cookie
        world.sessions[role] = (client.get_cookie("session").value, token)
        world.tokens[role] = api_headers(username)
    return world


# -- calling a route ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    key: str  # "METHOD rule", as the table names it
    endpoint: str

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0]

    def url(self, app: Flask, objects: dict[str, Any]) -> str:
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == self.endpoint
                    and self.key.endswith(" " + r.rule))
        query = {k: str(v).format(name=objects["_name"]) for k, v in CALLS.get(self.key, {}).get("query", {}).items()}
        with app.test_request_context():
            return url_for(self.endpoint, **{a: objects[a] for a in rule.arguments}, **query)


def call(world: World, route: Route, role: str | None, objects: dict[str, Any]) -> Any:
    """The response (read and closed: files are streamed) of ``route`` as ``role`` (None: no login)."""
    url, body = route.url(world.app, objects), CALLS.get(route.key, {}).get("body", {})
    client: FlaskClient = world.app.test_client()
    if url.startswith("/api/"):
        response = client.open(url, method=route.method, headers=world.tokens[role] if role else {},
                               json=body if route.method in {"POST", "PUT", "PATCH"} else None)
    else:
        if role:
            cookie, token = world.sessions[role]
            client.set_cookie("session", cookie)
        else:
            token = csrf_token(client, "/login")
        response = client.open(url, method=route.method,
                               data={**body, "csrf_token": token} if route.method == "POST" else None)
    response.get_data()
    response.close()
    return response


def outcome(response: TestResponse) -> str:
    code = response.status_code
    if code >= 500 or (code == 400 and b"CSRF" in response.get_data()):  # a server fault, or the matrix's own
        return "error"
    if (code == 401 and response.request.path.startswith("/api/")) or (
            code in (302, 303) and "/login?next=" in response.headers.get("Location", "")):
        return "login"  # (a page's 401 is the login form's own answer to wrong credentials)
    return {403: "denied", 404: "missing"}.get(code, "ok")


def _texts(response: TestResponse) -> Iterator[str]:
    data = response.get_data()
    if response.mimetype == "application/pdf":
        yield squeeze(pdf_text(data))
    elif response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            yield from (archive.read(n).decode("cp932") for n in archive.namelist())
    elif response.mimetype == "text/csv":
        yield data.decode("cp932" if "shift_jis" in response.content_type.lower() else "utf-8-sig")
    elif response.is_json:  # JSON may escape every non-ASCII character
        yield json.dumps(response.get_json(), ensure_ascii=False)
    else:
        yield data.decode("utf-8", errors="replace")


def leaked(response: TestResponse, leaks: list[str]) -> list[str]:
    """What of the protected household's address the response shows."""
    return [x for text in _texts(response) for x in leaks if squeeze(x) in squeeze(text)]


# -- the matrix -----------------------------------------------------------------------------------------------
def _check(world: World, route: Route, cells: dict[str, str]) -> Iterator[str]:
    """Every cell of one route's row that does not hold."""
    for role in ROLE_USERS:
        plain = outcome(call(world, route, role, world.plain))
        if plain != cells[role]:
            yield f"{route.key} as {role}: {plain}, declared {cells[role]}"
        response = call(world, route, role, world.protected)
        got = outcome(response)
        if got == "error" or (cells["支援措置"] == "masked" and got != cells[role]):
            yield f"{route.key} as {role} (支援措置 objects): {got}, declared {cells[role]}"
        if (cells["支援措置"] == "masked" or got != "ok") and (shown := leaked(response, world.leaks)):
            yield f"{route.key} as {role} shows the protected address: {shown}"
    for objects in (world.plain, world.protected):
        response = call(world, route, None, objects)
        if outcome(response) != ANONYMOUS_CELLS[cells["no login"]]:
            yield f"{route.key} without login: {outcome(response)}, declared {cells['no login']}"
        if shown := leaked(response, world.leaks):
            yield f"{route.key} without login shows the protected address: {shown}"


def test_the_route_matrix(app: Flask) -> None:
    table, world = declared(), _world(app)
    failures = [failure for key, endpoint in sorted(routes(app).items()) if key in table
                for failure in _check(world, Route(key, endpoint), table[key])]
    assert not failures, f"{len(failures)} cells of docs/security.md do not hold:\n" + "\n".join(failures)


def test_a_url_parameter_without_an_object_rule_is_refused(app: Flask) -> None:
    """A new kind of object in a URL (here ``widget_id``) is refused until web.auth has a rule for it."""
    from werkzeug.exceptions import Forbidden

    from web import auth

    with app.test_request_context(), pytest.raises(Forbidden, match="widget_id"):
        auth._check_objects(actor("admin"), {"widget_id": 1})
    with app.test_request_context():
        auth._check_objects(actor("admin"), {"job_id": "cases.timers"})  # declared: no object of its own
