"""A full import that would delete more than 5 % of the residents needs an explicit confirmation: the API refuses
it (409, with the dry-run counts) unless ``confirm_deletions`` is sent, the page shows the counts first and defaults
to a diff, and nothing changes until confirmed. A finding of issue 17."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient

from core.db import db
from core.errors import Conflict
from integrations.imports import generator, importer
from residents.models import Resident
from tests.conftest import actor, api_headers, csrf_token, login
from tests.integrations.residents_support import load, sample


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(Resident))


@pytest.fixture
def residents(app: object) -> list[dict[str, str]]:
    rows = sample(100, seed=5)
    assert load(rows).status == "succeeded"
    return rows


def _file(rows: list[dict[str, str]]) -> tuple[io.BytesIO, str]:
    return io.BytesIO(generator.csv_bytes(rows)), "kikan.csv"


def test_the_api_refuses_a_large_deletion_without_confirmation(client: FlaskClient,
                                                               residents: list[dict[str, str]]) -> None:
    kept = residents[:90]  # 10 of 100 would go
    refused = client.post("/api/v1/imports", headers=api_headers("admin"), content_type="multipart/form-data",
                          data={"file": _file(kept), "mode": "full"})
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert "確認" in error["message"] and error["details"]["would_delete"] == 10
    assert error["details"]["residents"] == 100 and error["details"]["dry_run"]["deleted"] == 10
    assert _count() == 100
    done = client.post("/api/v1/imports", headers=api_headers("admin"), content_type="multipart/form-data",
                       data={"file": _file(kept), "mode": "full", "confirm_deletions": "true"})
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["counts"]["deleted"] == 10 and _count() == 90


def test_a_few_deletions_need_no_confirmation(residents: list[dict[str, str]]) -> None:
    run = load(residents[:96])  # 4 %
    assert run.status == "succeeded" and run.deleted == 4


def test_the_service_and_the_drop_folder_refuse_too(residents: list[dict[str, str]]) -> None:
    with pytest.raises(Conflict) as info:
        importer.run_import(data=generator.csv_bytes(residents[:50]), source="test", mode="full",
                            actor=actor("admin"))
    assert info.value.details["would_delete"] == 50
    db.session.rollback()
    assert _count() == 100


def test_the_page_shows_a_dry_run_and_needs_the_checkbox(client: FlaskClient,
                                                         residents: list[dict[str, str]]) -> None:
    login(client, "admin")
    page = client.get("/admin/imports").get_data(as_text=True)
    assert re.search(r'<option value="diff" selected', page), "the page defaults to a diff"
    token = csrf_token(client, "/admin/imports")
    dry = client.post("/admin/imports", content_type="multipart/form-data", data={
        "file": _file(residents[:80]), "mode": "full", "dry_run": "1", "csrf_token": token})
    text = dry.get_data(as_text=True)
    assert dry.status_code == 200 and "削除 20" in text and "20.0%" in text and _count() == 100
    held = client.post("/admin/imports", content_type="multipart/form-data", data={
        "file": _file(residents[:80]), "mode": "full", "csrf_token": token})
    assert held.status_code == 409 and "削除 20" in held.get_data(as_text=True) and _count() == 100
    done = client.post("/admin/imports", content_type="multipart/form-data", data={
        "file": _file(residents[:80]), "mode": "full", "confirm_deletions": "1", "csrf_token": token})
    assert done.status_code == 302 and _count() == 80
