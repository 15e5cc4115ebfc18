"""The procedures a case has determined (or staff added), one row each; the printed-forms code reads ``form_keys``."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow

PROCEDURE_STATES = ("open", "done", "removed")


class CaseProcedure(db.Model):
    """One related procedure of a case: which rule fired (or "manual"), for whom, by when, in which section."""

    __tablename__ = "case_procedures"
    __table_args__ = (Index("ix_case_procedures_case_state", "case_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    section_code: Mapped[str] = mapped_column(String(32), index=True)
    form_keys: Mapped[str] = mapped_column(Text, default="[]")
    due_date: Mapped[date | None] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(120), default="manual")
    rule_text: Mapped[str | None] = mapped_column(Text)  # the rule's annotation: why (read by people)
    bring: Mapped[str | None] = mapped_column(Text)  # what the resident brings (from the rule that fired)
    subject: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(16), default="open")
    seq: Mapped[int | None]  # position in the case's determination (the routed work item carries it)
    task_id: Mapped[int | None] = mapped_column(index=True)  # the section task that handles it
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    @property
    def forms(self) -> list[str]:
        """The form keys as a list (the column holds JSON text)."""
        return list(json.loads(self.form_keys or "[]"))

    @property
    def subject_data(self) -> object:
        """The subject (which household member(s)) decoded from its JSON text."""
        return json.loads(self.subject or "{}")

    @property
    def subjects(self) -> list[dict[str, object]]:
        """The people the procedure is for: ``{"resident_id", "name", "rule", "reason"}`` each (a legacy single
        id or dict is read as one person)."""
        data = self.subject_data
        items = data if isinstance(data, list) else [data] if data else []
        return [s if isinstance(s, dict) else {"resident_id": s} for s in items if s not in ({}, None)]

    @property
    def subject_ids(self) -> list[int]:
        return [int(s["resident_id"]) for s in self.subjects if isinstance(s.get("resident_id"), int)]


def list_for_case(case_id: int) -> list[CaseProcedure]:
    """Every procedure of a case (removed ones included), in creation order."""
    stmt = select(CaseProcedure).where(CaseProcedure.case_id == case_id).order_by(CaseProcedure.id)
    return list(db.session.scalars(stmt))
