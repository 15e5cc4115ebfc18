"""Who may do what: session login for pages, bearer tokens for the API, roles and objects on every endpoint.

Fail closed, in this order, before any view or input schema runs: a request to an endpoint that declares no
roles is refused (only ``PUBLIC_ENDPOINTS`` are open); a role the endpoint does not name is refused; and every
object the URL names (``<int:case_id>``, ``task_id``, ``document_id``, ``resident_id``) must be one the user may
see (``workflows.access``), else 403/404. A URL parameter that is neither such an object nor listed in
``UNSCOPED_PARAMS`` (with the reason it needs no object rule) is refused too, so a new kind of object cannot be
served without a rule. docs/security.md is the table of every route; tests/security/test_route_matrix.py proves it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request, session
from flask_login import UserMixin, current_user

from core import users
from core.actor import Actor
from core.db import db
from core.models import User
from web.extensions import csrf, login_manager
from workflows import access

PUBLIC_ENDPOINTS = {"static", "auth.login", "health_api.health", "auth_api.issue_token", "api-docs.openapi_json",
                    "public.asset", "public.status", "public.board", "public.board_rows"}
ROLES_ATTR = "_madoguchi_roles"
# The objects a URL may name, each checked through the access layer before the view runs.
OBJECT_RULES: dict[str, Callable[[Actor, Any], object]] = {
    "case_id": lambda actor, value: access.case(actor=actor, case_id=value),
    "task_id": lambda actor, value: access.task(actor=actor, task_id=value),
    "document_id": lambda actor, value: access.document(actor=actor, document_id=value),
    "resident_id": lambda actor, _value: access.check_residents(actor=actor),
}
# URL parameters that name no object of their own, and why none is needed.
UNSCOPED_PARAMS = {
    "procedure_id": "a procedure of the case_id beside it (the service checks that it belongs to it)",
    "incident_id": "incidents: managers and administrators only, every incident (no resident data in one)",
    "export_id": "RPA exports: managers only, every export",
    "run_id": "import runs: administrators only",
    "user_id": "users: administrators only",
    "job_id": "scheduled jobs: administrators only",
    "code": "sections: administrators only",
    "key": "process models: designers and managers, every model",
    "version": "a version of the model key beside it",
    "token": "the public status page: the unguessable token is the key",
    "name": "public front-end files (ASSETS)",
    "filename": "public static files",
}
F = TypeVar("F", bound=Callable[..., Any])


class LoginUser(UserMixin):
    """The Flask-Login view of a :class:`core.models.User`."""

    def __init__(self, user: User, via_token: bool = False) -> None:
        self.user = user
        self.via_token = via_token

    def get_id(self) -> str:
        return str(self.user.id)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Declare which roles may call a view (admin always may). ``roles_required()`` = any logged-in user."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        setattr(wrapper, ROLES_ATTR, frozenset(roles))
        return wrapper  # type: ignore[return-value]

    return decorate


def current_actor() -> Actor:
    """The acting user, with the terminal chosen at login and the client address."""
    user: User = current_user.user
    return users.actor_for(user, terminal=session.get("terminal") or request.headers.get("X-Terminal"),
                           ip=request.remote_addr)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "ログインしてください。"
    login_manager.session_protection = "strong"
    settings = app.config["MADOGUCHI"]
    app.permanent_session_lifetime = timedelta(minutes=settings.session_idle_minutes)
    login_manager.user_loader(_load_user)
    app.before_request(_use_bearer_token)
    app.before_request(_enforce_login_and_role)


def _load_user(user_id: str) -> LoginUser | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return LoginUser(user) if user is not None and user.active else None


def _use_bearer_token() -> None:
    """A bearer token, when sent, decides who the caller is (never the session cookie beside it)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return
    token = header.removeprefix("Bearer ").strip()
    if request.endpoint == "monitoring.metrics" and _is_metrics_token(token):
        g.metrics_scraper = True
        return
    user = users.user_for_token(token)
    if user is None:
        abort(401, "トークンが無効か期限切れです (invalid or expired token)")
    g._login_user = LoginUser(user, via_token=True)  # Flask-Login's per-request user slot


def _is_metrics_token(token: str) -> bool:
    """Prometheus' token for /metrics (MADOGUCHI_METRICS_TOKEN), compared in constant time."""
    expected = current_app.config["MADOGUCHI"].metrics_token
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _enforce_login_and_role() -> None:
    endpoint = request.endpoint
    if g.get("metrics_scraper") and endpoint == "monitoring.metrics":
        return None
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        if request.method == "POST" and endpoint == "auth.login":
            csrf.protect()
        return
    if not current_user.is_authenticated:
        if _is_api():
            abort(401, "ログインが必要です (authentication required)")
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if not current_user.via_token:
        session.permanent = True  # refresh the idle timeout
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            csrf.protect()
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, ROLES_ATTR, None)
    if roles is None:
        abort(403, "この画面には権限の設定がありません (no role declared)")
    g.actor = current_actor()
    if roles and not g.actor.has_role(*roles):
        abort(403, "権限がありません (role not allowed)")
    _check_objects(g.actor, request.view_args or {})
    return None


def _check_objects(actor: Actor, view_args: dict[str, Any]) -> None:
    """Every object the URL names must be one ``actor`` may see (access raises Forbidden or NotFound)."""
    for name, value in view_args.items():
        rule = OBJECT_RULES.get(name)
        if rule is not None:
            rule(actor, value)
        elif name not in UNSCOPED_PARAMS:
            abort(403, f"URL の項目 {name} に閲覧規則がありません (no object rule for {name})")
