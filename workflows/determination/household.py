"""Household facts from the common resident DB (issue 3's models), in the shape determination reads."""

from __future__ import annotations

from typing import Any

from core.db import db
from core.errors import NotFound
from core.i18n import N_
from residents.models import FACT_COLUMNS, Resident

_TYPES = {"1": "japanese", "2": "foreign"}


def household_for(resident_id: int) -> list[dict[str, Any]]:
    """Every member of the resident's household with their facts; the resident is the event's subject."""
    resident = db.session.get(Resident, int(resident_id))
    if resident is None:
        raise NotFound(N_("住民 {resident} は見つかりません", resident=resident_id),
                       details={"resident_id": resident_id})
    members = list(db.session.scalars(db.select(Resident).where(Resident.setai_no == resident.setai_no)
                                      .order_by(Resident.id)))
    return [_facts(m, subject=m.id == resident.id) for m in members]


def _facts(member: Resident, *, subject: bool) -> dict[str, Any]:
    facts: dict[str, Any] = {k: getattr(member, k) for k in FACT_COLUMNS if getattr(member, k) is not None}
    facts.pop("support_measure_kind", None)
    return {**facts, "resident_id": member.id, "name": member.name, "relation": member.relation,
            "birth_date": member.birth_date.isoformat() if member.birth_date else None,
            "resident_type": _TYPES.get(member.resident_type, member.resident_type), "subject": subject}
