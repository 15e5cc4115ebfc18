"""RPA export: CP932 + CRLF + header, the 外字 rule, formula injection, exactly-once marking, crash safety."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from core.db import db
from integrations.rpa import cp932, delivery
from integrations.rpa import export as rpa
from integrations.rpa.models import RpaExport, RpaRow
from tests.conftest import actor, api_headers
from tests.forms.support import ANSWERS, load_residents, start_visit

TENNYU = [("juki.tennyu", "転入届", ["juki_tennyu"], "done")]


def _rows(content: bytes) -> list[list[str]]:
    assert b"\r\n" in content and b"\n" not in content.replace(b"\r\n", b"")
    return list(csv.reader(io.StringIO(content.decode("cp932"), newline="")))


def _visits(n: int = 3, **names: str) -> list[int]:
    residents = [r for r in load_residents(60) if r.resident_type == "1"][:n]
    for r, name in zip(residents, names.values(), strict=False):
        r.name = name
    db.session.commit()
    return [start_visit(r, procedures=TENNYU) for r in residents]


def test_cp932_rule_keeps_cp932_characters_and_flags_gaiji() -> None:
    assert cp932.degrade("髙﨑") == ("髙﨑", False)
    assert cp932.degrade("𠮷田") == ("〓田", True)
    assert cp932.degrade("葛\U000E0100城") == ("葛城", True)  # an IVS: base kept, flagged
    assert cp932.degrade("〜—") == ("～―", False)
    assert cp932.cell("=1+2") == ("'=1+2", False)
    assert cp932.cell("@SUM(A1)")[0] == "'@SUM(A1)" and cp932.cell("-3")[0] == "'-3" and cp932.cell("+81")[0] == "'+81"


def test_export_writes_one_cp932_file_per_procedure_with_header_and_flags(app) -> None:
    ids = _visits(3, a="𠮷田　一郎", b="髙﨑　花子", c="=HYPERLINK(\"http://x\")")
    export = rpa.create_export(actor=actor("manager"))
    db.session.commit()
    assert export.rows == 3 and export.manual_rows == 1 and len(export.files) == 1
    f = export.files[0]
    assert f.procedure == "juki.tennyu" and f.filename == f"juki_tennyu_{export.id:06d}.csv"
    rows = _rows(f.content)
    assert rows[0] == rpa.layout(rpa.rpa_form("juki.tennyu"))
    by_case = {int(r[1]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_case) == set(ids)
    gaiji, rare, formula = (by_case[i] for i in ids)
    assert gaiji["氏名"] == "〓田　一郎" and gaiji["手入力要"] == "1" and gaiji["手入力理由"] == "外字"
    assert rare["氏名"] == "髙﨑　花子" and rare["手入力要"] == "0"
    assert formula["氏名"].startswith("'=HYPERLINK")
    assert gaiji["前住所"] == ANSWERS["previous_address"] and gaiji["異動日"] == "2026-11-20"


def test_each_application_is_exported_exactly_once(app, client: FlaskClient) -> None:
    _visits(2)
    first = client.post("/api/v1/rpa-exports", json={}, headers=api_headers("manager"))
    assert first.status_code == 201 and first.json["rows"] == 2
    second = client.post("/api/v1/rpa-exports", json={}, headers=api_headers("manager"))
    assert second.status_code == 201 and second.json["rows"] == 0 and second.json["files"] == []
    marks = db.session.scalars(db.select(RpaRow)).all()
    assert len(marks) == 2 and {m.export_id for m in marks} == {first.json["id"]}
    got = client.get(f"/api/v1/rpa-exports/{first.json['id']}/file", headers=api_headers("manager"))
    assert got.status_code == 200 and len(_rows(got.data)) == 3
    assert client.post("/api/v1/rpa-exports", json={}, headers=api_headers("counter")).status_code == 403
    assert client.get(f"/api/v1/rpa-exports/{second.json['id']}/file",
                      headers=api_headers("manager")).status_code == 404


def test_open_procedures_are_not_exported_until_accepted(app) -> None:
    residents = load_residents(20)
    start_visit(residents[0], procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "open")])
    assert rpa.pending() == []


def test_a_crash_between_writing_and_commit_marks_nothing_and_the_rerun_exports(
        app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _visits(2)
    real_commit = db.session.commit
    calls = {"n": 0}

    def failing_commit() -> None:
        calls["n"] += 1
        if any(tmp_path.glob("*.partial")):  # the file is written: now the commit dies
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        real_commit()

    monkeypatch.setattr(db.session, "commit", failing_commit)
    with pytest.raises(OperationalError):
        delivery.export_to_folder(actor=actor("manager"), folder=tmp_path, trigger="cli")
    monkeypatch.undo()
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(RpaRow)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(RpaExport)) == 0
    assert list(tmp_path.glob("*.csv")) == []

    export = delivery.export_to_folder(actor=actor("manager"), folder=tmp_path, trigger="cli")
    assert export.rows == 2 and export.delivered_at is not None
    files = list(tmp_path.iterdir())
    assert [p.name for p in files] == [export.files[0].filename]
    assert len(_rows(files[0].read_bytes())) == 3


def test_a_crash_after_commit_is_delivered_by_the_next_run(app, tmp_path: Path) -> None:
    _visits(1)
    export = rpa.create_export(actor=actor("manager"), trigger="cli")
    db.session.commit()  # committed, but the process died before publishing
    later = delivery.export_to_folder(actor=actor("manager"), folder=tmp_path, trigger="cli")
    assert later.rows == 0
    assert (tmp_path / export.files[0].filename).read_bytes() == export.files[0].content


def test_cli_and_scheduled_job(app, runner, tmp_path: Path) -> None:
    _visits(1)
    result = runner.invoke(args=["export-rpa", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 row(s)" in result.output and len(list(tmp_path.glob("*.csv"))) == 1
    status, message = delivery.scheduled_export(actor=actor("admin"), now=None, settings=app.config["MADOGUCHI"])
    assert status == "succeeded" and "0 件" in message


def test_documented_layouts_match_the_form_folders() -> None:
    from core.settings import REPO_ROOT

    assert (REPO_ROOT / "docs" / "rpa-layouts.md").read_text(encoding="utf-8") == rpa.layouts_markdown(), \
        "docs/rpa-layouts.md is stale: run `madoguchi docs build`"
