"""The minimal staff UI: counter starts a 転入 case, each section completes its task, errors on fields."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, TENNYU_FIXTURE, csrf_token, deploy_library, login
from tests.workflows.test_runtime import RECEPTION
from workflows import runtime


def _post(client: FlaskClient, path: str, data: dict) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def test_counter_and_sections_walk_a_case_to_the_end(app, client: FlaskClient) -> None:
    deploy_library(TENNYU_FIXTURE)
    login(client, "counter")
    page = client.get("/cases/new").get_data(as_text=True)
    assert "新規受付" in page and "転入" in page
    started = _post(client, "/cases/new", {"process_key": "tennyu", "title": "転入 山口 花子 様"})
    assert started.status_code == 302
    task_path = started.headers["Location"]
    assert re.fullmatch(r"/tasks/\d+", task_path)
    form = client.get(task_path).get_data(as_text=True)
    assert 'for="f-applicant_name"' in form and "届出人氏名" in form and "（必須）" in form
    bad = _post(client, task_path, {**RECEPTION, "household_size": "0", "applicant_name": ""})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="e-applicant_name"' in html and "role=\"alert\"" in html
    done = _post(client, task_path, {**RECEPTION, "household_size": "1", "children_count": "0"})
    assert done.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    for section in ["shimin", "hoken"]:
        login(client, section)
        inbox = client.get("/inbox").get_data(as_text=True)
        match = re.search(r'href="(/tasks/\d+)"', inbox)
        assert match, inbox
        assert _post(client, match.group(1), {"outcome": "accepted"}).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    case = runtime.list_cases()[0]
    assert case.state == "completed" and case.title == "転入 山口 花子 様"
    login(client, "manager")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "完了" in page and "ヤマグチ ハナコ" in page


def test_hostile_names_are_escaped(app, client: FlaskClient) -> None:
    deploy_library(TENNYU_FIXTURE)
    login(client, "counter")
    _post(client, "/cases/new", {"process_key": "tennyu", "title": "<script>alert(1)</script>"})
    page = client.get("/cases").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example/"])
def test_a_next_parameter_never_leaves_the_site(client, target: str) -> None:
    token = csrf_token(client)
    response = client.post(f"/login?next={target}", data={"username": "designer", "password": PASSWORD,
                                                            "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    from web.pageinput import local_path  # the claim, release and migrate buttons go back through it too

    assert local_path(target) is None and local_path("/inbox?due=today") == "/inbox?due=today"
