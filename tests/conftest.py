"""Test fixtures: one migrated database per run (SQLite file or a real PostgreSQL), cleaned per test.

``MADOGUCHI_TEST_DATABASE`` chooses the backend (``sqlite`` by default, ``postgres``). The schema is
created by the Alembic migrations, as in production. Reference data (sections, the demo users) is
seeded once per run; every other table is emptied after each test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import insert, text

from core import audit, demo, users
from core.actor import Actor
from core.db import db
from core.models import AuditChainHead
from core.settings import REPO_ROOT, Settings
from forms import deployed as deployed_forms
from web.app import create_app

BACKEND = os.environ.get("MADOGUCHI_TEST_DATABASE", "sqlite")
PASSWORD = "test-pass-1"
KEEP_TABLES = {"users", "sections", "user_sections", "alembic_version"}
DATA_DIR = Path(__file__).resolve().parent / "data"
# The small 転入 process the engine tests use (users get bpmn/journeys/journey_tennyu.bpmn).
TENNYU_FIXTURE = DATA_DIR / "engine" / "tennyu.bpmn"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "postgres":
        from tests.support import postgres

        base = postgres.server_url()
        name = f"madoguchi_test_{os.getpid()}"
        url = postgres.create_database(base, name)
        yield url
        postgres.drop_database(base, name)
    elif BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        raise RuntimeError(f"MADOGUCHI_TEST_DATABASE={BACKEND!r}: use sqlite or postgres")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    settings = Settings(database_url=database_url, secret_key="test-secret", demo=True, demo_password=PASSWORD,
                        bpmn_dir=str(REPO_ROOT / "bpmn"), var_dir=str(tmp_path_factory.mktemp("var")))
    application = create_app({"TESTING": True, "MADOGUCHI": settings, **settings.to_flask_config()})
    with application.app_context():
        upgrade(directory=application.config["MIGRATIONS_DIR"])
        demo.load_sections()
        demo.create_demo_users(password=PASSWORD)
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app runs in its context and leaves the data tables empty."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        yield
        db.session.remove()
        _empty_tables()
        deployed_forms.forget()  # its memo of the newest versions would outlive the emptied table


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
        # A fresh install has the operation log's chain head (migration 0013): put it back as it starts.
        conn.execute(insert(AuditChainHead.__table__).values(id=1, last_seq=0, last_hash=audit.GENESIS, base_seq=0,
                                                              base_hash=audit.GENESIS))


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh ``g`` and DB session), as in a real server.

    Without this, requests made while a test holds an app context would share its ``g`` — and so
    the logged-in user and the CSRF token — across requests.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def actor(username: str, **extra: Any) -> Actor:
    """The Actor of a seeded user, as a view would build it."""
    return users.actor_for(users.get_by_username(username), **extra)


def api_headers(username: str) -> dict[str, str]:
    """Bearer-token headers for a seeded user (the token is committed)."""
    token, _ = users.issue_token(user=users.get_by_username(username), ttl_seconds=600)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def deploy_library(*paths: Path) -> list[Any]:
    """Deploy BPMN/DMN files (default: the repository's bpmn/) as the test admin and commit."""
    from web.commands.engine import collect_model_files
    from web.model_rules import deploy_files

    files = collect_model_files(tuple(str(p) for p in (paths or (REPO_ROOT / "bpmn",))))
    versions = deploy_files(files=files, actor=actor("admin"))
    db.session.commit()
    return versions
