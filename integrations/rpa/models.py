"""Tables of the RPA export: each export run, its files, and one row per exported procedure (the mark)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow


class RpaExport(db.Model):
    """One export run: who, when, how many rows, and whether its files reached the drop folder."""

    __tablename__ = "rpa_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))  # api, cli, scheduler
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rows: Mapped[int] = mapped_column(default=0)
    manual_rows: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None]
    files: Mapped[list[RpaExportFile]] = relationship(back_populates="export", order_by="RpaExportFile.id",
                                                      lazy="selectin")


class RpaExportFile(db.Model):
    """One CSV of an export (one per procedure kind), kept so that it can be fetched or delivered again."""

    __tablename__ = "rpa_export_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("rpa_exports.id", ondelete="CASCADE"), index=True)
    procedure: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    export: Mapped[RpaExport] = relationship(back_populates="files")


class RpaRow(db.Model):
    """The mark that a procedure was exported: unique per procedure, so it is exported exactly once."""

    __tablename__ = "rpa_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_procedure_id: Mapped[int] = mapped_column(ForeignKey("case_procedures.id", ondelete="CASCADE"),
                                                   unique=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("rpa_exports.id", ondelete="CASCADE"), index=True)
    procedure: Mapped[str] = mapped_column(String(64))
    manual: Mapped[bool] = mapped_column(default=False)
    values_json: Mapped[str] = mapped_column(Text)
