"""Backups restore into an empty database with cases, tasks, documents and an intact log; purge-all certifies."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from core import audit_chain, backup
from core.db import db
from core.tx import atomic
from tests.conftest import BACKEND, DATA_DIR, actor
from web.model_rules import deploy_files
from workflows import runtime
from workflows.models import Case, CaseTask
from workflows.visit.models import CaseDocument


def _make_case() -> int:
    deploy_files(files=[("timer.bpmn", (DATA_DIR / "engine/timer.bpmn").read_bytes())], actor=actor("designer"))
    db.session.commit()
    case = atomic(lambda: runtime.start_case(process_key="timer_case", actor=actor("counter"),
                                             data={"remind_at": "2099-01-01T00:00:00+00:00"}))
    db.session.add(CaseDocument(case_id=case.id, doc_key="guide", kind="guide", title="手続案内書", data_hash="d" * 64,
                                content_hash="c" * 64, pdf=b"%PDF-1.7 test", size=13, created_by="counter"))
    db.session.commit()
    return case.id


def _snapshot(session: Session) -> dict[str, object]:
    return {
        "cases": session.execute(select(Case.id, Case.state, Case.process_key)).all(),
        "tasks": session.execute(select(CaseTask.spec_name, CaseTask.state).order_by(CaseTask.id)).all(),
        "documents": session.execute(select(CaseDocument.doc_key, CaseDocument.pdf)).all(),
        "log": session.scalar(select(func.count()).select_from(text("audit_log"))),
    }


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    if BACKEND == "postgres":
        from tests.support import postgres

        base, name = postgres.server_url(), f"madoguchi_restore_{os.getpid()}"
        yield postgres.create_database(base, name)
        postgres.drop_database(base, name)
    else:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def test_backup_restores_into_an_empty_database(app: Flask, runner, tmp_path: Path, empty_database_url: str) -> None:
    _make_case()
    before = _snapshot(db.session)
    assert before["tasks"] and before["documents"] and before["log"]
    result = runner.invoke(args=["backup", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    [path] = [p for p in (tmp_path / "b").iterdir() if p.suffix in backup.SUFFIXES]
    backup.restore(database_url=empty_database_url, path=path)
    engine = create_engine(empty_database_url)
    try:
        with Session(engine) as session:
            assert _snapshot(session) == before
            report = audit_chain.verify(session=session)
            assert report.ok and report.checked == before["log"], report.problems
    finally:
        engine.dispose()


def test_restore_command_brings_back_deleted_data(app: Flask, runner, tmp_path: Path) -> None:
    case_id = _make_case()
    before = _snapshot(db.session)
    assert runner.invoke(args=["backup", "--out", str(tmp_path)]).exit_code == 0
    [path] = [p for p in tmp_path.iterdir() if p.suffix in backup.SUFFIXES]
    db.session.execute(text("DELETE FROM cases WHERE id = :id"), {"id": case_id})
    db.session.commit()
    db.session.remove()
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "OK: the chain is intact" in result.output
    assert _snapshot(db.session) == before


def test_a_corrupted_backup_is_refused(app: Flask, runner, tmp_path: Path) -> None:
    assert runner.invoke(args=["backup", "--out", str(tmp_path)]).exit_code == 0
    [path] = [p for p in tmp_path.iterdir() if p.suffix in backup.SUFFIXES]
    with path.open("r+b") as fh:
        fh.seek(200)
        fh.write(b"garbage")
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code != 0 and "corrupted" in result.output


def test_rotation_keeps_the_newest(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"madoguchi-2026010{i}T000000Z.sqlite3").write_bytes(b"x")
        (tmp_path / f"madoguchi-2026010{i}T000000Z.sqlite3.sha256").write_text("x")
    removed = backup.rotate(out_dir=tmp_path, keep=2)
    assert [p.name for p in removed] == [f"madoguchi-2026010{i}T000000Z.sqlite3" for i in range(3)]
    assert len(list(tmp_path.iterdir())) == 4


def test_backup_job_records_and_rotates(app: Flask, tmp_path: Path) -> None:
    from dataclasses import replace

    from core import audit, maintenance
    from core.db import utcnow

    settings = replace(app.config["MADOGUCHI"], backup_dir=str(tmp_path), backup_keep=1)
    for _ in range(2):
        status, message = maintenance.backup_job(actor=actor("admin"), now=utcnow(), settings=settings)
        assert status == "succeeded", message
    assert len([p for p in tmp_path.iterdir() if p.suffix in backup.SUFFIXES]) == 1
    assert len(audit.list_(action="backup.create")) == 2


def test_purge_all_deletes_everything_and_certifies(app: Flask, runner, tmp_path: Path) -> None:
    _make_case()
    cases_before = db.session.scalar(select(func.count()).select_from(Case))
    db.session.remove()
    certificate = tmp_path / "cert.json"
    try:
        result = runner.invoke(args=["purge-all", "--certify", str(certificate), "--operator", "委託業者 山田",
                                     "--yes"])
        assert result.exit_code == 0, result.output
        body_text, footer = certificate.read_text(encoding="utf-8").rsplit("\n{", 1)
        body = json.loads(body_text)
        tables = {t["table"]: t for t in body["tables"]}
        assert tables["cases"]["rows_deleted"] == cases_before and tables["cases"]["rows_after"] == 0
        assert tables["users"]["rows_deleted"] >= 1 and len(tables["audit_log"]["sha256_before"]) == 64
        assert body["all_empty"] and body["operator"] == "委託業者 山田"
        import hashlib

        assert json.loads("{" + footer)["certificate_sha256"] == hashlib.sha256(body_text.encode()).hexdigest()
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    finally:
        _reseed()


def _reseed() -> None:
    from core import demo
    from tests.conftest import PASSWORD

    db.session.remove()
    demo.load_sections()
    demo.create_demo_users(password=PASSWORD)
    db.session.commit()


def test_handover_exports_every_table_with_a_manifest(app: Flask, runner, tmp_path: Path) -> None:
    import csv
    import hashlib

    _make_case()
    out = tmp_path / "handover"
    result = runner.invoke(args=["handover", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    tables = {t["table"]: t for t in manifest["tables"]}
    assert tables["cases"]["rows"] == 1 and "password_hash" not in tables["users"]["columns"]
    assert "api_tokens" not in tables
    for entry in tables.values():
        assert hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    with (out / "case_documents.csv").open(encoding="utf-8") as fh:
        [doc] = list(csv.DictReader(fh))
    assert (out / doc["pdf"]).read_bytes() == b"%PDF-1.7 test"
    assert "madoguchi-demo-only" not in (out / "users.csv").read_text(encoding="utf-8")


def test_scheduled_upkeep_jobs_run_and_record(app: Flask, tmp_path: Path) -> None:
    from dataclasses import replace

    from core.actor import SYSTEM
    from integrations.scheduler import runner

    settings = replace(app.config["MADOGUCHI"], var_dir=str(tmp_path), backup_dir=str(tmp_path / "b"))
    for job_id in ("ops.backup", "ops.audit_retention", "ops.audit_partitions"):
        run = runner.execute(job_id, trigger="manual", actor=SYSTEM, settings=settings)
        assert run.status == "succeeded", run.message
