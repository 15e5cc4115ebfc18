"""Production serving: gunicorn with web/gunicorn_conf.py, and two app servers behind a reverse proxy.

Two gunicorn servers (one with two preloaded workers, one with one) run on the test database behind a small
round-robin proxy, as two servers behind the city's nginx would. A clerk logs in through the proxy and works: the
session made on one server is valid on the other, a case started through one is completed through the other, and
every answer comes from the database, never from a server's memory — the state lives in the database.
"""

from __future__ import annotations

import http.client
import itertools
import os
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
import requests
from flask import Flask

from core.db import db
from tests.conftest import PASSWORD, TENNYU_FIXTURE, deploy_library
from tests.support import serving
from tests.workflows.test_runtime import RECEPTION
from workflows.models import Case, SpecSnapshot

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def _gunicorn(database_url: str, workers: int, log: Path) -> tuple[subprocess.Popen, int]:
    """A gunicorn server on a free port with the production settings; its output goes to ``log``."""
    env = {**os.environ, "DATABASE_URL": database_url, "MADOGUCHI_DEMO": "1", "MADOGUCHI_DEMO_PASSWORD": PASSWORD,
           "MADOGUCHI_ACCESS_LOG": str(log.with_suffix(".access"))}
    return serving.start(env, workers=workers, log=log)


def _wait_up(port: int, server: subprocess.Popen, log: Path) -> None:
    try:
        serving.wait_up(server, port, log)
    except serving.NotServing as exc:
        pytest.fail(str(exc))


class _Proxy(ThreadingHTTPServer):
    """Round-robin over the backends; each answer says which backend gave it (X-Backend)."""

    daemon_threads = True

    def __init__(self, backends: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.backends = itertools.cycle(backends)
        self.lock = threading.Lock()

    def next_backend(self) -> int:
        with self.lock:
            return next(self.backends)


class _Forward(BaseHTTPRequestHandler):
    server: _Proxy

    def _forward(self) -> None:
        port = self.server.next_backend()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        answer = upstream.getresponse()
        payload = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Backend", str(port))
        self.end_headers()
        self.wfile.write(payload)
        upstream.close()

    do_GET = do_POST = do_PUT = _forward  # noqa: N815 - http.server's naming

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def two_servers(app: Flask, database_url: str, tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    deploy_library(TENNYU_FIXTURE)
    db.session.commit()
    db.session.remove()  # no read transaction of this test left open while the servers write
    started = [_gunicorn(database_url, workers, tmp_path / f"gunicorn-{workers}.log") for workers in (2, 1)]
    servers = [server for server, _ in started]
    try:
        for (server, port), workers in zip(started, (2, 1), strict=True):
            _wait_up(port, server, tmp_path / f"gunicorn-{workers}.log")
        proxy = _Proxy([port for _, port in started])
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{proxy.server_address[1]}", servers
        proxy.shutdown()
        proxy.server_close()
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def test_gunicorn_conf_preloads_and_forks_the_workers_it_is_told(two_servers: tuple[str, list],
                                                                 tmp_path: Path) -> None:
    _, servers = two_servers
    deadline = time.monotonic() + 30  # the first worker answers while the master may still be forking the next
    while (counts := [len(psutil.Process(s.pid).children()) for s in servers]) != [2, 1]:
        assert time.monotonic() < deadline, f"workers per server: {counts}, not [2, 1]"
        time.sleep(0.2)
    # the master prepared the deployed journey before forking: its start snapshot is stored, no case started yet
    assert "warm-up: 1 processes" in (tmp_path / "gunicorn-2.log").read_text()
    assert db.session.scalar(db.select(db.func.count()).select_from(SpecSnapshot)
                             .where(SpecSnapshot.process_key == "tennyu")) == 1
    assert not db.session.scalar(db.select(db.func.count()).select_from(Case))


def test_two_servers_behind_a_proxy_share_their_state_through_the_database(two_servers: tuple[str, list]) -> None:
    base, _ = two_servers
    seen: Counter[str] = Counter()

    def call(session: requests.Session, method: str, path: str, **kw: object) -> requests.Response:
        response = session.request(method, base + path, allow_redirects=False, timeout=60, **kw)
        seen[response.headers["X-Backend"]] += 1
        return response

    # a page session: the login made on one server is good on the other (the key and the user are shared)
    clerk, api = requests.Session(), requests.Session()
    page = call(clerk, "GET", "/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert call(clerk, "POST", "/login", data={"username": "counter", "password": PASSWORD,
                                               "csrf_token": token}).status_code in (302, 303)
    for _ in range(4):
        assert call(clerk, "GET", "/inbox").status_code == 200  # on both servers, not sent back to /login

    # the API: a token issued by one server, a case started and completed through the others
    issued = call(api, "POST", "/api/v1/auth/token", json={"username": "counter", "password": PASSWORD})
    api.headers["Authorization"] = f"Bearer {issued.json()['token']}"
    started = call(api, "POST", "/api/v1/cases", json={"process_key": "tennyu"})
    assert started.status_code == 201, started.text
    case_id = started.json()["id"]
    [reception] = [t for t in started.json()["tasks"] if t["state"] == "ready"]
    done = call(api, "POST", f"/api/v1/tasks/{reception['id']}/complete", json={"data": RECEPTION})
    assert done.status_code == 200, done.text
    for _ in range(4):  # every server answers the same, from the database
        tasks = call(api, "GET", f"/api/v1/cases/{case_id}").json()["tasks"]
        assert {t["spec_name"] for t in tasks if t["state"] == "ready"} == {"juki_entry", "hoken_entry"}
    again = call(api, "POST", f"/api/v1/tasks/{reception['id']}/complete", json={"data": RECEPTION})
    assert again.status_code == 409  # the other server knows it is done

    clerk.close()
    api.close()
    assert len(seen) == 2 and min(seen.values()) >= 5, seen  # both servers did the work
    db.session.expire_all()
    assert db.session.get(Case, case_id).state == "running"
