"""Migrations are the only way the schema is made: one head, and down/up runs on the test database."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from core import demo
from core.db import db
from tests.conftest import PASSWORD


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
