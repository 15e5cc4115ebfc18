"""Find residents at the counter: by name (kanji or kana, any width or kana form, spaces or not), birth
date, address fragment or 住民票コード. Ranked; every search and every record shown is logged.

Name matching uses indexed prefix ranges on normalised keys (see :mod:`.normalize`): the whole name
and the given name alone. An address fragment is matched from the town (大字) onward by prefix when it
is the only criterion, and anywhere in the address when it narrows a name or birth-date search; it never matches
a 支援措置 household (a hit would confirm where they live).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import aliased

from core import audit
from core.actor import Actor
from core.db import db
from core.errors import Invalid, NotFound
from core.i18n import N_
from residents import normalize, protection
from residents.models import Household, Resident

MAX_LIMIT = 200


@dataclass(frozen=True)
class Hit:
    resident: Resident
    score: int


def search(*, actor: Actor, q: str | None = None, birth_date: date | None = None, address: str | None = None,
           limit: int = 20, screen: str = "api") -> list[Hit]:
    """Ranked hits (best first, at most ``limit``); Invalid when no criterion is given. Logged."""
    hits = find(q=q, birth_date=birth_date, address=address, limit=limit)
    audit.record(actor=actor, action="resident.search", target_type="resident",
                 details={"q": q, "birth_date": birth_date, "address": address, "screen": screen,
                          "count": len(hits), "ids": [h.resident.id for h in hits[:50]]})
    protection.note_access(actor=actor, residents=[h.resident for h in hits], action="search_hit", screen=screen)
    return hits


def find(*, q: str | None = None, birth_date: date | None = None, address: str | None = None,
         limit: int = 20) -> list[Hit]:
    """The search itself, without logging (for the benchmark and for :func:`search`)."""
    q = (q or "").strip()
    address = (address or "").strip()
    if not q and birth_date is None and not address:
        raise Invalid(N_("検索条件を入力してください (q, birth_date or address)"), details={"q": "required"})
    limit = max(1, min(limit, MAX_LIMIT))
    conditions: list[ColumnElement[bool]] = []
    digits = normalize.name_key(q)
    if len(digits) == 11 and digits.isdigit():
        conditions.append(Resident.jumin_code == digits)
    elif q:
        conditions.append(_name_condition(q))
    if birth_date is not None:
        conditions.append(Resident.birth_date == birth_date)
    if address:
        fragment = normalize.address_key(address)
        conditions.append(Resident.address_key.contains(fragment, autoescape=True) if conditions
                          else _prefix(Resident.address_key, fragment))
        conditions.append(_not_protected())
    query = select(Resident).where(and_(*conditions)).limit(limit * 2)  # candidates to rank
    residents = db.session.scalars(query).unique().all()
    hits = [Hit(r, _score(r, q, birth_date)) for r in residents]
    hits.sort(key=lambda h: (-h.score, h.resident.kana_key or "", h.resident.id))
    return hits[:limit]


def _not_protected() -> ColumnElement[bool]:
    """No one of the resident's household is under 支援措置. An address search never matches a protected
    household: a hit, even masked, would confirm to the searcher that the victim lives there. Nobody sees a
    protected address without a reveal (purpose and reason, logged), so this holds for every searcher."""
    flagged = aliased(Resident)
    shares = exists().where(flagged.household_id == Resident.household_id, flagged.support_measure.is_(True))
    return and_(Resident.support_measure.is_(False), ~shares)


def _name_condition(q: str) -> ColumnElement[bool]:
    kana, name = normalize.kana_key(q), normalize.name_key(q)
    options = [_prefix(Resident.kana_key, kana), _prefix(Resident.given_kana_key, kana)]
    if name != kana:
        options += [_prefix(Resident.name_key, name), _prefix(Resident.given_name_key, name)]
    else:
        options += [_prefix(Resident.name_key, name)]
    return or_(*options)


def _prefix(column: Any, value: str) -> ColumnElement[bool]:
    """``column`` starts with ``value``: a range that a B-tree index serves, checked again with LIKE."""
    if not value:
        return column.is_not(None)
    upper = value[:-1] + chr(ord(value[-1]) + 1)
    return and_(column >= value, column < upper, column.startswith(value, autoescape=True))


def _score(resident: Resident, q: str, birth_date: date | None) -> int:
    score = 0
    if q:
        kana, name = normalize.kana_key(q), normalize.name_key(q)
        if resident.jumin_code == name:
            score = 100
        elif kana in (resident.kana_key, resident.name_key) or name == resident.name_key:
            score = 90
        elif (resident.kana_key or "").startswith(kana) or resident.name_key.startswith(name):
            score = 70
        else:
            score = 50  # given name only
    if birth_date is not None and resident.birth_date == birth_date:
        score += 20
    return score


def get(*, resident_id: int, actor: Actor, screen: str = "api") -> Resident:
    """One resident with the household loaded, or NotFound; the view is logged (resident.view)."""
    resident = db.session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(N_("住民 {resident} は見つかりません", resident=resident_id))
    audit.record(actor=actor, action="resident.view", target_type="resident", target_id=resident.id,
                 details={"screen": screen, "jumin_code": resident.jumin_code,
                          "support_measure": resident.support_measure})
    protection.note_access(actor=actor, residents=[resident], action="view", screen=screen)
    return resident


def members(resident: Resident) -> list[Resident]:
    """Everyone in the resident's household, 世帯主 first."""
    household: Household | None = resident.household
    if household is None:
        return [resident]
    return sorted(household.members, key=lambda m: (m.relation != "世帯主", m.birth_date or date.min, m.id))


def search_residents(*, q: str | None = None, birth_date: date | None = None, address: str | None = None,
                     limit: int = 50) -> list[Resident]:
    """Ranked residents without logging, for callers that log the search themselves (the counter intake)."""
    return [h.resident for h in find(q=q, birth_date=birth_date, address=address, limit=limit)]
