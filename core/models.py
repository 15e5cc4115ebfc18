"""Users, sections (課), the operation log, counters, terminals and system settings: the tables of ``core``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow

ROLES = ("counter", "section", "manager", "designer", "admin")

user_sections = Table(
    "user_sections",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("section_code", ForeignKey("sections.code", ondelete="CASCADE"), primary_key=True),
)


class Section(db.Model):
    """A section of the city hall (課). ``lane`` is the BPMN lane name that routes work to it."""

    __tablename__ = "sections"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    lane: Mapped[str] = mapped_column(String(100), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Login throttling: consecutive failures, and the time until which the account refuses logins.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    sections: Mapped[list[Section]] = relationship(secondary=user_sections, lazy="selectin",
                                                   order_by=Section.sort_order)

    @property
    def section_codes(self) -> list[str]:
        return [s.code for s in self.sections]


class ApiToken(db.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user: Mapped[User] = relationship(lazy="joined")


class AuditEntry(db.Model):
    """One line of the append-only operation log (操作ログ). Never updated; deleted only by the retention job.

    ``seq`` is the position in the hash chain; ``hash`` covers every column and ``prev_hash`` (see core.audit).
    On PostgreSQL the table is partitioned by month on ``at`` (migration 0009, :mod:`core.audit_partitions`):
    there ``(id, at)`` has a unique index in place of the primary key and ``seq`` a plain index, since a
    partitioned table cannot enforce uniqueness without the partition key; the chain head hands out each
    ``seq`` once and :func:`core.audit_chain.verify` reports a duplicate. This mapping describes the SQLite table.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_target", "target_type", "target_id", "at"),
        Index("ix_audit_log_username_at", "username", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    terminal: Mapped[str | None] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    details: Mapped[str | None] = mapped_column(Text)


class AuditChainHead(db.Model):
    """The single row (id 1) every append locks: the last position and hash of the chain.

    ``base_seq``/``base_hash`` anchor the chain after the retention job archived and purged older entries.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    base_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    base_hash: Mapped[str] = mapped_column(String(64))


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
    """A setting the administrator changes at run time (the keys are listed in ``core.city.SETTINGS``)."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
