"""Tables of the core-system imports: one row per import run, and the staging table a file is loaded into."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow
from residents.models import Resident


class ImportRun(db.Model):
    """One import of a core-system file: who, what, when, the counts and every rejected row."""

    __tablename__ = "res_import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))  # full, diff
    filename: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_format: Mapped[str | None] = mapped_column(String(16))  # csv, fixed
    encoding: Mapped[str | None] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16), default="api")  # api, cli, scheduler, page
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, succeeded, rejected, failed
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    rows_read: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    # JSON list of {"line": n, "column": name|None, "reason": text}; every bad row, not a sample.
    errors_json: Mapped[str | None] = mapped_column(Text)


# The staging table: a validated file is loaded here first, then merged into the live tables by SQL.
staging = Table(
    "res_staging",
    db.metadata,
    Column("run_id", Integer, nullable=False),
    Column("line", Integer, nullable=False),
    Column("op", String(1), nullable=False),
    *[Column(c.name, c.type) for c in Resident.__table__.columns
      if c.name not in {"id", "household_id", "source", "imported_at", "import_run_id"}],
)
