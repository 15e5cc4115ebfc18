"""The resident, import and job endpoints: roles, shapes, rejection with the run recorded, logging."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from integrations.imports import generator
from tests.conftest import api_headers
from tests.integrations.residents_support import load, person


@pytest.fixture
def family(app) -> None:  # noqa: ANN001
    load([person(1, "山田　太郎", "ヤマダ　タロウ", birth_date="1970-05-01"),
          person(2, "山田　花子", "ヤマダ　ハナコ", setai=1, relation="妻", support_measure="1")])


def test_search_needs_a_token_and_a_staff_role(client: FlaskClient, family: None) -> None:
    assert client.get("/api/v1/residents?q=やまだ").status_code == 401
    assert client.get("/api/v1/residents?q=やまだ", headers=api_headers("designer")).status_code == 403
    response = client.get("/api/v1/residents?q=ﾔﾏﾀﾞ ﾀﾛｳ", headers=api_headers("counter"))
    assert response.status_code == 200
    first = response.json[0]
    assert (first["name"], first["score"], first["head_name"]) == ("山田　太郎", 90, "山田　太郎")
    assert client.get("/api/v1/residents?q=やまだ", headers=api_headers("shimin")).status_code == 200
    assert client.get("/api/v1/residents?q=やまだ", headers=api_headers("manager")).status_code == 200


def test_search_input_errors_are_422(client: FlaskClient) -> None:
    headers = api_headers("counter")
    assert client.get("/api/v1/residents", headers=headers).status_code == 422
    assert client.get("/api/v1/residents?birth_date=1970-13-01", headers=headers).status_code == 422
    assert client.get("/api/v1/residents?q=x&limit=0", headers=headers).status_code == 422


def test_one_resident_with_household_is_logged(client: FlaskClient, family: None) -> None:
    headers = api_headers("counter")
    wife_id = client.get("/api/v1/residents?q=はなこ", headers=headers).json[0]["id"]
    body = client.get(f"/api/v1/residents/{wife_id}", headers=headers).json
    assert body["support_measure"] is True and "支援措置" in body["alert"]
    assert [m["name"] for m in body["household"]["members"]] == ["山田　太郎", "山田　花子"]
    assert body["facts"]["insurance"] is None and body["source"] == "test"
    views = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "resident.view")).all()
    assert [(v.username, v.target_id) for v in views] == [("counter", str(wife_id))]
    assert client.get("/api/v1/residents/999999", headers=headers).status_code == 404


def _upload(client: FlaskClient, data: bytes, *, user: str = "admin", mode: str = "full"):  # noqa: ANN202
    return client.post("/api/v1/imports", headers=api_headers(user), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "kikan.csv"), "source": "kikan", "mode": mode})


def test_import_upload_for_admin_only(client: FlaskClient) -> None:
    data = generator.csv_bytes(list(generator.generate(20, seed=9)))
    assert _upload(client, data, user="counter").status_code == 403
    response = _upload(client, data)
    assert response.status_code == 201, response.json
    assert response.json["counts"]["inserted"] == 20 and response.json["status"] == "succeeded"
    again = client.get(f"/api/v1/imports/{response.json['id']}", headers=api_headers("admin"))
    assert again.json["errors"] == [] and again.json["started_by"] == "admin"


def test_rejected_import_is_422_with_row_errors_and_still_recorded(client: FlaskClient) -> None:
    rows = list(generator.generate(5, seed=9))
    rows[3]["birth_date"] = "1999-02-31"
    response = _upload(client, generator.csv_bytes(rows))
    assert response.status_code == 422
    run = response.json["error"]["details"]["run"]
    assert run["status"] == "rejected" and run["errors"][0]["line"] == 5
    stored = client.get(f"/api/v1/imports/{run['id']}", headers=api_headers("admin")).json
    assert stored["status"] == "rejected" and stored["counts"]["rejected"] == 1
    listed = client.get("/api/v1/imports", headers=api_headers("admin")).json
    assert [r["id"] for r in listed] == [run["id"]]


def test_jobs_list_run_and_history(client: FlaskClient) -> None:
    headers = api_headers("admin")
    assert client.get("/api/v1/jobs", headers=api_headers("counter")).status_code == 403
    jobs = client.get("/api/v1/jobs", headers=headers).json
    job = next(j for j in jobs if j["id"] == "residents.import_drop")
    assert job["last_run"] is None and "T06:30:00" in job["next_run_at"]
    run = client.post("/api/v1/jobs/residents.import_drop/run", headers=headers)
    assert run.status_code == 201 and run.json["status"] == "succeeded" and run.json["trigger"] == "manual"
    runs = client.get("/api/v1/jobs/residents.import_drop/runs", headers=headers).json
    assert [r["id"] for r in runs] == [run.json["id"]]
    assert client.post("/api/v1/jobs/nope/run", headers=headers).status_code == 404
