"""Each role lands where it works, after login and at "/", and never on a 403."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, csrf_token

LANDINGS = {"counter": ("/counter/", "総合窓口"), "shimin": ("/inbox", "受付一覧"),
            "manager": ("/manager/", "管理者ビュー"), "designer": ("/designer/", "業務設計"),
            "admin": ("/admin/", "システム管理")}


@pytest.mark.parametrize("username", sorted(LANDINGS))
def test_each_role_lands_on_its_own_work(app: Flask, client: FlaskClient, username: str) -> None:
    path, heading = LANDINGS[username]
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith(path), home.headers["Location"]
    page = client.get(path, follow_redirects=True)
    assert page.status_code == 200, (username, page.status_code)
    assert f"<h1>{heading}" in page.get_data(as_text=True)
