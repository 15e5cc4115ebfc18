"""Tables of the common resident database (共通DB): households and residents.

Every resident row carries the run, source and time it was last imported from, so a screen can say
where a fact came from. ``*_key`` columns hold normalised search keys (see :mod:`residents.normalize`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow

# The columns shared by a resident and its staging row, in the canonical order (minus the keys).
FACT_COLUMNS = (
    "insurance", "pension_category", "mynumber_card", "seal_registered", "disability", "care_certified",
    "child_allowance_recipient", "welfare_medical", "single_parent", "school", "dog_owner",
    "support_measure", "support_measure_kind",
)


class Household(db.Model):
    """A household (世帯) as the core system last sent it; the address is the head's."""

    __tablename__ = "res_households"

    id: Mapped[int] = mapped_column(primary_key=True)
    setai_no: Mapped[str] = mapped_column(String(16), unique=True)
    head_name: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(300))
    address_extra: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    import_run_id: Mapped[int | None] = mapped_column()
    members: Mapped[list[Resident]] = relationship(back_populates="household", order_by="Resident.id")


class Resident(db.Model):
    """One person of the resident register with the facts that procedure determination needs."""

    __tablename__ = "res_residents"
    __table_args__ = (
        Index("ix_res_residents_kana_key", "kana_key"),
        Index("ix_res_residents_given_kana_key", "given_kana_key"),
        Index("ix_res_residents_name_key", "name_key"),
        Index("ix_res_residents_given_name_key", "given_name_key"),
        Index("ix_res_residents_birth_date", "birth_date"),
        Index("ix_res_residents_address_key", "address_key"),
        Index("ix_res_residents_setai_no", "setai_no"),
        Index("ix_res_residents_household_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jumin_code: Mapped[str] = mapped_column(String(11), unique=True)
    setai_no: Mapped[str] = mapped_column(String(16))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("res_households.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str | None] = mapped_column(String(200))
    alias: Mapped[str | None] = mapped_column(String(200))
    former_surname: Mapped[str | None] = mapped_column(String(100))
    # ISO date when complete; ``birth_date_text`` keeps partial dates (不詳: 00 for the unknown parts).
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_date_text: Mapped[str] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(1))
    relation: Mapped[str | None] = mapped_column(String(32))
    postal_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(300))
    address_extra: Mapped[str | None] = mapped_column(String(200))
    resident_since: Mapped[date | None] = mapped_column(Date)
    change_reason: Mapped[str | None] = mapped_column(String(64))
    change_date: Mapped[date | None] = mapped_column(Date)
    resident_type: Mapped[str] = mapped_column(String(1), default="1")  # 1 Japanese, 2 foreign
    nationality: Mapped[str | None] = mapped_column(String(64))
    residence_status: Mapped[str | None] = mapped_column(String(64))
    insurance: Mapped[str | None] = mapped_column(String(16))
    pension_category: Mapped[str | None] = mapped_column(String(8))
    mynumber_card: Mapped[bool] = mapped_column(default=False)
    seal_registered: Mapped[bool] = mapped_column(default=False)
    disability: Mapped[str | None] = mapped_column(String(64))
    care_certified: Mapped[str | None] = mapped_column(String(32))
    child_allowance_recipient: Mapped[bool] = mapped_column(default=False)
    welfare_medical: Mapped[str | None] = mapped_column(String(200))
    single_parent: Mapped[bool] = mapped_column(default=False)
    school: Mapped[str | None] = mapped_column(String(32))
    dog_owner: Mapped[bool] = mapped_column(default=False)
    support_measure: Mapped[bool] = mapped_column(default=False)
    support_measure_kind: Mapped[str | None] = mapped_column(String(32))
    # 支援措置 period and the protected person's place in it (申出者 / 併せて支援): see docs/protection.md.
    support_measure_from: Mapped[date | None] = mapped_column(Date)
    support_measure_until: Mapped[date | None] = mapped_column(Date)
    support_measure_relation: Mapped[str | None] = mapped_column(String(32))
    # Search keys: katakana, full width, no spaces; kanji without spaces and variant forms folded.
    kana_key: Mapped[str | None] = mapped_column(String(200))
    given_kana_key: Mapped[str | None] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    given_name_key: Mapped[str | None] = mapped_column(String(200))
    address_key: Mapped[str | None] = mapped_column(String(300))
    row_hash: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    import_run_id: Mapped[int | None] = mapped_column()
    household: Mapped[Household | None] = relationship(back_populates="members", lazy="joined")
