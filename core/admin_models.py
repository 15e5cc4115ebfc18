"""Administration tables: terminals (for the operation log), counters (窓口) and system settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class Terminal(db.Model):
    """A registered terminal (端末); its name is what staff pick at login and what the operation log records."""

    __tablename__ = "terminals"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Counter(db.Model):
    """A numbered service counter (窓口) on the floor, staffed by one section."""

    __tablename__ = "counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    section_code: Mapped[str | None] = mapped_column(ForeignKey("sections.code", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)


class SystemSetting(db.Model):
    """A setting the administrator changes at run time (the list of keys lives in ``core.admin.SETTINGS``)."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
