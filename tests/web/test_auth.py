"""Every page and endpoint needs a login and a role; tokens, CSRF and the error contract."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from core.models import AuditEntry
from tests.conftest import PASSWORD, api_headers, csrf_token, login
from web.auth import PUBLIC_ENDPOINTS, ROLES_ATTR


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:int:)?[^>]+>", "1", rule)


def test_every_endpoint_declares_roles_or_is_public(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        assert rule.endpoint in PUBLIC_ENDPOINTS or hasattr(view, ROLES_ATTR), rule.rule


def test_nothing_but_public_endpoints_answers_without_login(app: Flask, client: FlaskClient) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(_concrete(rule.rule), method=method)
            if rule.rule.startswith("/api/"):
                assert response.status_code == 401, (method, rule.rule)
                assert response.json["error"]["code"] == "unauthorized"
            else:
                assert response.status_code in {302, 400}, (method, rule.rule, response.status_code)


@pytest.mark.parametrize(("username", "method", "path", "status"), [
    ("shimin", "POST", "/api/v1/cases", 403),
    ("manager", "POST", "/api/v1/process-models", 403),
    ("counter", "POST", "/api/v1/process-models", 403),
    ("shimin", "GET", "/api/v1/tasks?section=shimin", 200),
    ("designer", "GET", "/api/v1/tasks", 403),
    ("manager", "GET", "/api/v1/cases", 200),
])
def test_roles_are_enforced(client: FlaskClient, username: str, method: str, path: str, status: int) -> None:
    response = client.open(path, method=method, headers=api_headers(username), json={})
    assert response.status_code == status, response.json


def test_token_flow_and_bad_tokens(client: FlaskClient) -> None:
    bad = client.post("/api/v1/auth/token", json={"username": "counter", "password": "wrong"})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "unauthorized"
    good = client.post("/api/v1/auth/token", json={"username": "counter", "password": PASSWORD})
    assert good.status_code == 201
    headers = {"Authorization": f"Bearer {good.json['token']}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401
    outcomes = [(e.username, e.outcome) for e in db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "auth.login").order_by(AuditEntry.id))]
    assert outcomes == [("counter", "denied"), ("counter", "ok")]


def test_bad_input_gets_the_error_contract(client: FlaskClient) -> None:
    headers = api_headers("counter")
    missing = client.post("/api/v1/cases", json={"data": {}}, headers=headers)
    assert missing.status_code == 422
    assert "process_key" in missing.json["error"]["details"]
    unknown = client.post("/api/v1/cases", json={"process_key": "nope"}, headers=headers)
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/cases/999", headers=headers).status_code == 404
    assert client.post("/api/v1/cases", data="{", headers={**headers, "Content-Type": "application/json"}
                       ).status_code in {400, 422}


def test_page_forms_need_csrf(client: FlaskClient) -> None:
    assert client.post("/login", data={"username": "counter", "password": PASSWORD}).status_code == 400
    login(client, "counter")
    assert client.post("/cases/new", data={"process_key": "tennyu"}).status_code == 400
    token = csrf_token(client, "/cases/new")
    assert token


def test_openapi_document_is_served_and_lists_the_contract(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    for path in ["/api/v1/cases", "/api/v1/tasks/{task_id}/complete", "/api/v1/process-models",
                 "/api/v1/process-models/{key}/versions", "/api/v1/auth/token", "/api/v1/health"]:
        assert path in doc["paths"], path


def test_health_needs_no_login(client: FlaskClient) -> None:
    body = client.get("/api/v1/health").json
    assert body["db"] == "ok" and body["failing"] == ["scheduler"]  # no scheduler runs in the tests
