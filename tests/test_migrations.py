"""Migrations are the only way the schema is made: one head, and down/up runs on the test database."""

from __future__ import annotations

from datetime import timedelta

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from core import audit, audit_chain, audit_partitions, demo
from core.db import db, utcnow
from core.models import AuditChainHead, AuditEntry
from tests.conftest import BACKEND, PASSWORD
from tests.security.audit_helpers import append_dated, drop_past_partitions


def test_there_is_exactly_one_head(app: Flask) -> None:
    config = Config(f"{app.config['MIGRATIONS_DIR']}/alembic.ini")
    config.set_main_option("script_location", app.config["MIGRATIONS_DIR"])
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_downgrade_to_base_and_upgrade_again(app: Flask) -> None:
    directory = app.config["MIGRATIONS_DIR"]
    try:
        downgrade(directory=directory, revision="base")
        db.session.remove()
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    finally:
        upgrade(directory=directory)
        db.session.remove()
        demo.load_sections()
        demo.create_demo_users(password=PASSWORD)
        db.session.commit()
    tables = set(inspect(db.engine).get_table_names())
    assert {"cases", "case_tasks", "model_versions", "spec_snapshots", "users", "audit_log"} <= tables
    assert {m.name for m in db.metadata.sorted_tables} <= tables
    head = db.session.get(AuditChainHead, 1)  # 0013: the operation log's chain head exists from install
    assert (head.last_seq, head.last_hash) == (0, audit.GENESIS)


def test_0013_seeds_a_missing_chain_head_from_the_newest_entry(app: Flask) -> None:
    directory = app.config["MIGRATIONS_DIR"]
    append_dated([utcnow() - timedelta(days=1), utcnow()])
    newest = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    try:
        db.session.remove()
        downgrade(directory=directory, revision="0012")
        db.session.execute(text("DELETE FROM audit_chain_head"))
        db.session.commit()
    finally:
        db.session.remove()
        upgrade(directory=directory)
        db.session.remove()
    head = db.session.get(AuditChainHead, 1)
    assert (head.last_seq, head.last_hash) == (newest.seq, newest.hash)
    audit.record(actor=None, action="test.after_seed")
    db.session.commit()
    assert audit_chain.verify().ok


def test_the_operation_log_survives_downgrade_and_upgrade(app: Flask) -> None:
    """0009 rebuilds the log as monthly partitions on PostgreSQL (a no-op on SQLite) and back, rows kept."""
    directory = app.config["MIGRATIONS_DIR"]
    now = utcnow()
    append_dated([now - timedelta(days=d) for d in (700, 400, 40, 1, 0)])
    before = _log()
    try:
        db.session.remove()
        downgrade(directory=directory, revision="0008")
        db.session.remove()
        assert not audit_partitions.is_partitioned(db.session)
        assert _log() == before and audit_chain.verify().ok
    finally:
        db.session.remove()
        upgrade(directory=directory)
        db.session.remove()
    assert audit_partitions.is_partitioned(db.session) == (BACKEND == "postgres")
    assert _log() == before
    report = audit_chain.verify()
    assert report.ok, report.problems
    if BACKEND == "postgres":
        months = audit_partitions.months(db.session)
        assert months[0] == audit_partitions.month_of(now - timedelta(days=700))
        assert db.session.scalar(text(f"SELECT count(*) FROM {audit_partitions.DEFAULT}")) == 0
    audit.record(actor=None, action="test.after_upgrade")  # the id sequence still serves the new table
    db.session.commit()
    assert audit_chain.verify().ok
    drop_past_partitions()


def _log() -> list[tuple[object, ...]]:
    return [(e.id, e.seq, e.at, e.hash) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
