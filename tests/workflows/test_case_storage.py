"""How a case's workflow is stored on PostgreSQL (migration 0010)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from core.db import db


def test_workflow_json_is_compressed_with_lz4_on_postgresql(app: Flask) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL storage setting; checked in the PostgreSQL run")
    method = db.session.scalar(text(
        "SELECT attcompression FROM pg_attribute WHERE attrelid = 'cases'::regclass AND attname = 'workflow_json'"))
    assert method == "l"  # lz4 ('p' = pglz, '' = the server default)
