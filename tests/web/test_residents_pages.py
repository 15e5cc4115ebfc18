"""Resident pages for counter staff and the admin page of imports and jobs; the CLI commands."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import db
from integrations.scheduler.models import JobRun
from residents.models import Resident
from tests.conftest import csrf_token, login
from tests.integrations.residents_support import load, person


@pytest.fixture
def family(app) -> None:  # noqa: ANN001
    load([person(1, "山田　太郎", "ヤマダ　タロウ"),
          person(2, "山田　花子", "ヤマダ　ハナコ", setai=1, relation="妻", support_measure="dv",
                 address="山口県山口市秘密町1番地")])


def test_search_page_marks_support_measure_and_hides_the_address(client: FlaskClient, family: None) -> None:
    login(client, "counter")
    html = client.get("/residents?q=やまだ").get_data(as_text=True)
    assert "山田　太郎" in html and "山田　花子" in html and "支援措置" in html
    assert "秘密町" not in html


def test_resident_page_shows_household_and_alert(client: FlaskClient, family: None) -> None:
    login(client, "counter")
    wife = db.session.scalar(select(Resident).where(Resident.name == "山田　花子"))
    html = client.get(f"/residents/{wife.id}").get_data(as_text=True)
    assert "支援措置対象者" in html and "山田　太郎" in html and "世帯" in html


def test_admin_page_lists_jobs_and_runs_one_now(client: FlaskClient) -> None:
    login(client, "counter")
    assert client.get("/admin/imports").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/residents")})
    login(client, "admin")
    html = client.get("/admin/imports").get_data(as_text=True)
    assert "今すぐ実行" in html and "residents.import_drop" in html
    response = client.post("/admin/jobs/residents.import_drop/run",
                           data={"csrf_token": csrf_token(client, "/admin/imports")})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1


def test_generate_and_import_commands(runner, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "r.csv"
    result = runner.invoke(args=["generate-residents", "--count", "60", "--out", str(out), "--seed", "5"])
    assert result.exit_code == 0, result.output
    first = out.read_bytes()
    runner.invoke(args=["generate-residents", "--count", "60", "--out", str(out), "--seed", "5"])
    assert out.read_bytes() == first
    result = runner.invoke(args=["import-residents", str(out), "--source", "kikan", "--mode", "full"])
    assert result.exit_code == 0, result.output
    assert "inserted=60" in result.output
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 60
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"jumin_code,setai_no,name,birth_date\r\n1,2,3,4\r\n")
    result = runner.invoke(args=["import-residents", str(bad)])
    assert result.exit_code == 1 and "line 2" in result.output


def test_jobs_run_command(runner) -> None:  # noqa: ANN001
    result = runner.invoke(args=["jobs", "run", "residents.import_drop"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
