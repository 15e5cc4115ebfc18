"""Tables of the printed documents of a case: the PDFs, the resident's signature, the public status link."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class CaseDocument(db.Model):
    """One generated PDF of a case (an application form or the procedure guide), kept for reprinting.

    ``doc_key`` names it within the case (``kokuho_join``, ``kokuho_join.12`` for a per-member form, ``guide``);
    ``data_hash`` is the hash of everything that went into it, so an unchanged document is never regenerated.
    """

    __tablename__ = "case_documents"
    __table_args__ = (UniqueConstraint("case_id", "doc_key", name="uq_case_documents_case_doc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    doc_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # form, guide
    form_key: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    data_hash: Mapped[str] = mapped_column(String(64))
    # Empty while the PDF is still to be laid out (``html`` holds the filled page; workflows/visit/printing.py).
    content_hash: Mapped[str | None] = mapped_column(String(64))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int | None]
    html: Mapped[str | None] = mapped_column(Text, deferred=True)
    generation: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    subject_ids_json: Mapped[str | None] = mapped_column("subject_ids", Text)  # who it is for (JSON list)

    @property
    def subject_ids(self) -> list[int]:
        """The resident ids the document is for (a per-person form: one; a household form: the ticked members)."""
        return [int(i) for i in json.loads(self.subject_ids_json or "[]")]

    @property
    def rendered(self) -> bool:
        """Whether the PDF is laid out (it is rendered after the response when the app defers it)."""
        return self.content_hash is not None


class CaseSignature(db.Model):
    """The resident's signature for this visit (PNG from the tablet), placed in every form's signature box."""

    __tablename__ = "case_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    taken_by: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseStatusLink(db.Model):
    """The unguessable token of a case's public status page (the QR code of the procedure guide)."""

    __tablename__ = "case_status_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseFormAnswers(db.Model):
    """What the counter answered for the visit's printed forms (what neither the resident DB nor the interview
    knows): ``answers`` is JSON ``{"visit": {key: value}, "members": {"<resident id>": {key: value}}}``.

    Kept apart from the journey's data on purpose: the sections' tasks never start from these answers (a bank
    account, a previous address), and only the visit's documents read them."""

    __tablename__ = "case_form_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    answers: Mapped[str] = mapped_column(Text, default="{}")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
