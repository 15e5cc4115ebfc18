"""Tables of the resident side (待たない): numbered tickets, each ticket's measured service at a counter, and the
residents' pre-entries from their phones.

A ticket names no person: its purpose, number, where it waits and, once the clerk starts the visit, the case it
belongs to (so that a 支援措置 household's ticket can be kept off the board). A pre-entry holds what the resident
typed, under a random reference, until the counter uses it or it expires.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class Ticket(db.Model):
    """One numbered ticket of a day: ``label`` (``A-012``) is what the resident holds and the board shows.

    ``state``: ``waiting`` (in the queue of ``section_code``), ``called`` (at ``counter``), ``done``, ``skipped``.
    ``queued_at`` orders the queue (a transfer queues it again at the new section); ``called_at`` is the first
    call at the current section, ``last_called_at`` the latest (a re-call).
    """

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("day", "purpose", "number", name="uq_tickets_day_purpose_number"),
                      Index("ix_tickets_day_state_section", "day", "state", "section_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(32))
    number: Mapped[int]
    label: Mapped[str] = mapped_column(String(16))
    section_code: Mapped[str] = mapped_column(ForeignKey("sections.code"))
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    counter: Mapped[str | None] = mapped_column(String(16))
    called_by: Mapped[str | None] = mapped_column(String(64))
    call_count: Mapped[int] = mapped_column(default=0)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    called_at: Mapped[datetime | None]
    last_called_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    issued_by: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class TicketService(db.Model):
    """One measured service: a ticket called at a counter of a section until the counter moved on (the next call,
    a transfer, a skip). Today's rows are what the wait estimates learn from."""

    __tablename__ = "ticket_services"
    __table_args__ = (Index("ix_ticket_services_day_section", "day", "section_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(32))
    section_code: Mapped[str] = mapped_column(String(32))
    counter: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    seconds: Mapped[int]


class PreEntry(db.Model):
    """What a resident entered on their phone before coming (事前入力), found by ``reference`` (the QR code holds
    the reference only). ``client`` is a keyed hash of the sender's address, for the rate limit; the row is
    deleted when the counter uses it or when it expires (the ``visit.pre_entry_purge`` job)."""

    __tablename__ = "pre_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    data_json: Mapped[str] = mapped_column("data", Text)
    client: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    @property
    def data(self) -> dict[str, Any]:
        return dict(json.loads(self.data_json or "{}"))
