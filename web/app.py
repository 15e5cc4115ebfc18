"""The application factory. It reads like a table of contents: each step is a few lines below."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from core import pgconn, writebehind
from core.db import db
from core.settings import REPO_ROOT, Settings
from web import auth, errors, i18n, printer
from web.extensions import api, csrf, login_manager, migrate
from web.filters import register_filters


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment's settings, overridden by ``config`` (tests pass a mapping)."""
    app = Flask(__name__)
    settings = Settings.from_env()
    app.config.update(settings.to_flask_config())
    app.config.update(_api_config())
    app.config.update(config or {})
    _check_secret_key(app)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    errors.register_errorhandlers(app)
    register_filters(app)
    register_operations(app)
    register_engine(app)
    printer.install(app)
    _freeze_start_up_objects()
    return app


def _freeze_start_up_objects() -> None:
    """Take what start-up made out of the cyclic garbage collector's sight (``gc.freeze``).

    A full collection walks every tracked object, and after start-up there are about 200,000 (SQLAlchemy,
    SpiffWorkflow, WeasyPrint, the app's own), none of which will ever be garbage. Loading a case with 200
    completed tasks makes enough new objects to set a full collection off every few requests: ``bench/engine.py``
    saw p95 121–140 ms against a p50 of 12–14 ms there, and p95 19–30 ms with the start-up objects frozen. New
    objects are collected as before; under gunicorn's ``--preload`` the frozen pages also stay shared after fork.
    """
    gc.collect()
    gc.freeze()


def _api_config() -> dict[str, Any]:
    return {
        "API_TITLE": "Madoguchi",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "WTF_CSRF_CHECK_DEFAULT": False,  # web.auth checks CSRF itself, except for bearer-token API calls
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "MIGRATIONS_DIR": str(REPO_ROOT / "migrations"),
    }


SECRET_KEY_MISSING = (
    "MADOGUCHI_SECRET_KEY is not set; it is required outside demo mode (デモ以外では必須です). Make one with: "
    "export MADOGUCHI_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\""
)


class MissingSecretKey(RuntimeError):
    """No ``MADOGUCHI_SECRET_KEY`` outside demo mode; the message is one line that says how to make one."""


def _check_secret_key(app: Flask) -> None:
    """Refuse to build a server without a secret key outside demo mode: sessions and CSRF tokens are signed with it.

    Demo mode and tests get a fixed key. The command line (``MADOGUCHI_CLI`` set by ``web/cli.py``) gets none and
    no error: most commands never sign anything, and ``--help`` must work on a fresh machine; ``web/cli.py`` stops
    the commands that serve requests with the same one-line message.
    """
    settings: Settings = app.config["MADOGUCHI"]
    if app.config.get("SECRET_KEY"):
        return
    if settings.demo or app.testing:
        app.config["SECRET_KEY"] = "madoguchi-demo-only-secret"
        return
    if app.config.get("MADOGUCHI_CLI"):
        return
    raise MissingSecretKey(SECRET_KEY_MISSING)


# Every module that defines tables; imported so that migrations and queries see the whole schema.
MODEL_MODULES = ["core.models", "residents.models", "residents.mynumber", "workflows.models",
                 "workflows.determination.models", "workflows.visit.models", "workflows.visit.queue_models",
                 "integrations.imports.models",
                 "integrations.rpa.models", "integrations.scheduler.models", "forms.deployed"]


def register_extensions(app: Flask) -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _prepare_sqlite(app)
    else:
        with app.app_context():
            pgconn.keep_prepared_statements(db.engine)
            if app.config["MADOGUCHI"].pg_writebehind:
                writebehind.install(db.engine)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    api.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)


def _prepare_sqlite(app: Flask) -> None:
    """Create the folder of a file database and turn on WAL and foreign keys for every connection."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    path = uri.removeprefix("sqlite:///")
    if path and path != uri and not path.startswith(":memory:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    from sqlalchemy import event

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def register_blueprints(app: Flask) -> None:
    from web.api import register_api_blueprints
    from web.security import harden_routing
    from web.views import register_page_blueprints

    harden_routing(app)
    register_api_blueprints(api)
    register_page_blueprints(app)


def register_operations(app: Flask) -> None:
    """Security headers and cookie flags, front-end files cached by version, request metrics at /metrics."""
    from web import monitoring, security, static_cache

    security.init_app(app)
    static_cache.init_app(app)
    monitoring.init_app(app)


def register_engine(_app: Flask) -> None:
    """What journeys call out to (``workflows.wiring``): the service operations diagrams may name, the hooks
    told about every saved case — routed procedures are linked to their section tasks, 支援措置 decisions logged —,
    the form a task shows (a visit's interview: the questions of all its events, per person where asked so) and
    the checks on a task's answers (an implausible event date, a 印鑑登録証明書 for a person without a registration
    are refused with the reason)."""
    from workflows import operations, wiring
    from workflows.determination import interview, routing
    from workflows.visit import eventdate, protection, seal_check

    wiring.install(operations=[operations.DEADLINE, routing.ROUTE, protection.CERTIFICATE_CHECK],
                   case_hooks=[routing.on_case_saved, protection.on_case_saved],
                   form_provider=interview.form_for,
                   completion_checks=[eventdate.completion_check, seal_check.completion_check])


def register_commands(app: Flask) -> None:
    from web.commands import register_all

    register_all(app)
