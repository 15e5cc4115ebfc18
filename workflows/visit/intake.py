"""Counter intake (総合窓口): find the resident, read the household, start the journey with what the DB knows.

The counter never retypes what the resident DB holds: :func:`prefill` turns the household into the values of the
reception form, and :func:`start_for_resident` starts the journey with them. Every look at a resident is logged.
A resident under 支援措置 (``support_measure``) never has an address shown or copied into a case by these
functions: screens show :func:`residents.protection.shown_address`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from core import audit
from core.actor import Actor
from core.db import db
from core.errors import Forbidden, Invalid, NotFound
from residents import protection, search
from residents.models import Resident
from workflows import runtime
from workflows.determination import household as residents
from workflows.models import Case

COUNTER_ROLES = ("counter",)
# Life events (DOMAIN.md codes) → the journey that handles them; only deployed journeys are offered.
EVENTS = {"tennyu": "転入", "tenshutsu": "転出", "tenkyo": "転居", "setai_henko": "世帯変更", "shussei": "出生",
          "shibo": "死亡", "konin": "婚姻", "rikon": "離婚", "shomei": "証明書交付"}


@dataclass(frozen=True)
class HouseholdView:
    """A resident with the members of their household (the resident first)."""

    resident: Resident
    members: list[Resident]
    protected: bool  # someone in the household is under 支援措置


def find_residents(*, actor: Actor, q: str = "", birth_date: date | None = None, address: str = "",
                   limit: int = 50) -> list[Resident]:
    """Residents matching a name (kanji or kana), a 住民票コード/世帯番号 scan, a birth date and/or an address."""
    _check_counter(actor)
    q, address = q.strip(), address.strip()
    if not (q or birth_date or address):
        raise Invalid("氏名・生年月日・住所のいずれかを入力してください", details={"q": "required"})
    found = _query(q=q, birth_date=birth_date, address=address, limit=limit)
    audit.record(actor=actor, action="resident.search", target_type="resident",
                 details={"q": q, "birth_date": birth_date.isoformat() if birth_date else None,
                          "address": address, "hits": len(found)})
    protection.note_access(actor=actor, residents=found, action="search_hit", screen="counter.search")
    return found


def _query(*, q: str, birth_date: date | None, address: str, limit: int) -> list[Resident]:
    if q.isdigit():  # a barcode reader types the 住民票コード or 世帯番号 and Enter
        stmt = select(Resident).where(or_(Resident.jumin_code == q, Resident.setai_no == q))
        return list(db.session.scalars(stmt.limit(limit)))
    return search.search_residents(q=q or None, birth_date=birth_date, address=address or None, limit=limit)


def get_household(*, resident_id: int, actor: Actor) -> HouseholdView:
    """The resident and their household; the view is logged (and flagged when a member is protected)."""
    _check_counter(actor)
    resident = db.session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(f"resident {resident_id} does not exist", details={"resident_id": resident_id})
    others = [m for m in (resident.household.members if resident.household else []) if m.id != resident.id]
    members = [resident, *others]
    protected = any(m.support_measure for m in members)
    audit.record(actor=actor, action="resident.view", target_type="resident", target_id=resident.id,
                 details={"household": resident.setai_no, "members": len(members), "support_measure": protected})
    protection.note_access(actor=actor, residents=members, action="view", screen="counter.household")
    return HouseholdView(resident=resident, members=members, protected=protected)


def is_child(member: Resident, on: date) -> bool:
    """A child for 児童手当: up to the 31 March after the 18th birthday."""
    born = member.birth_date
    if born is None:
        return False
    limit_year = born.year + 18 + (0 if (born.month, born.day) <= (3, 31) else 1)
    return on <= date(limit_year, 3, 31)


def prefill(*, view: HouseholdView, today: date) -> dict[str, Any]:
    """Reception-form values from the DB: applicant, household size, children, address (unless protected)."""
    head = view.resident
    values: dict[str, Any] = {
        "applicant_name": head.name,
        "applicant_kana": head.name_kana or "",
        "household_size": len(view.members),
        "children_count": sum(1 for m in view.members if is_child(m, today)),
        "household_no": head.setai_no,
        "member_names": [m.name for m in view.members],
    }
    if not view.protected and head.address:
        values["new_address"] = " ".join(p for p in (head.address, head.address_extra) if p)
    return values


def start_for_resident(*, process_key: str, resident_id: int, events: list[str], actor: Actor,
                       today: date, subjects: list[int] | None = None) -> Case:
    """Start ``process_key`` for the resident's household: what the DB knows goes in, nothing is retyped.

    ``subjects``: the members the events are about (e.g. the whole family moving in); default the resident.
    The journey's determination reads the household's facts from the DB with these subjects marked."""
    unknown = [e for e in events if e not in EVENTS]
    if not events or unknown:
        raise Invalid("ライフイベントを選択してください", details={"events": unknown or "required"})
    view = get_household(resident_id=resident_id, actor=actor)
    chosen = set(subjects or [resident_id])
    if not chosen <= {m.id for m in view.members}:
        raise Invalid("対象者は世帯の中から選んでください", details={"subjects": sorted(chosen)})
    household = [{**facts, "subject": facts["resident_id"] in chosen} for facts in residents.household_for(resident_id)]
    data = {**prefill(view=view, today=today), "events": events, "support_measure": view.protected,
            "household": household, "member_ids": [m.id for m in view.members]}
    title = f"{'・'.join(EVENTS[e] for e in events)} {view.resident.name} 様"
    return runtime.start_case(process_key=process_key, actor=actor, resident_id=resident_id, data=data,
                              title=title[:200])


def _check_counter(actor: Actor) -> None:
    if not actor.has_role(*COUNTER_ROLES):
        raise Forbidden("only counter staff look residents up at the counter")
