"""支援措置 (DV, stalking, abuse victims) and 抑止 flags: the one place every path asks before showing an address.

Contract: a resident is *protected* when the core system flags them (``support_measure``); a resident whose
household holds a protected person is treated the same for the address (they share it). The flag is honoured
for as long as it is set — an ``until`` date in the past is shown as 「期間満了（要確認）」 but does not lift the
protection: only the core system lifts it, on the next import (fail closed). Screens show :func:`shown_address`;
the real address comes only from :func:`reveal_address` (role + purpose + reason, logged). Every view, search
hit, reveal and certificate decision on a protected resident is a ``protection.*`` entry of the operation log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from core import audit
from core.actor import Actor
from core.db import db
from core.errors import Forbidden, Invalid, NotFound
from core.i18n import N_
from core.models import AuditEntry
from residents.models import Resident

MASKED = "（支援措置のため非表示）"
ALERT = "支援措置対象者：住所・居所を開示しないでください（証明書は上長確認）"
HOUSEHOLD_ALERT = "支援措置対象者と同一世帯：住所・居所を開示しないでください"
KINDS = {"dv": "DV", "stalker": "ストーカー", "abuse": "児童虐待", "sexual": "性暴力", "other": "その他",
         "yokushi": "交付抑止"}
SUPERVISOR_SECTION = "shien"
# Why someone may see a protected address, and who may claim that purpose (admin always may).
PURPOSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "self": ("本人からの申出（本人確認済）", ("counter", "section", "manager")),
    "official": ("法令に基づく事務（関係課の内部事務）", ("section", "manager")),
    "supervisor": ("支援措置確認（上長）", ("manager",)),
}
LOG_ACTIONS = ("protection.view", "protection.search_hit", "protection.reveal", "protection.decision",
               "protection.hold", "protection.print_refused")
CASE_MARKS = {"flagged": "支援措置", "household": "支援措置世帯"}


@dataclass(frozen=True)
class Status:
    """What a screen needs to warn about one resident."""

    protected: bool  # the resident is flagged
    household: bool  # the resident or someone of the household is flagged (the address is shared)
    kind: str | None
    kind_label: str
    since: date | None
    until: date | None
    relation: str | None
    expired: bool

    @property
    def alert(self) -> str | None:
        return ALERT if self.protected else HOUSEHOLD_ALERT if self.household else None


def is_protected(resident: Resident | None) -> bool:
    """The resident is flagged by the core system (支援措置 or another 抑止)."""
    return bool(resident is not None and resident.support_measure)


def household_protected(resident: Resident | None) -> bool:
    """The resident or anyone of their household is flagged (so their shared address is protected)."""
    if resident is None:
        return False
    members = resident.household.members if resident.household else []
    return resident.support_measure or any(m.support_measure for m in members)


def mark(resident: Resident | None) -> str | None:
    """``flagged`` (the resident is protected), ``household`` (someone of their household is) or None: the mark
    every JSON row about a resident or a case carries (CASE_MARKS)."""
    if is_protected(resident):
        return "flagged"
    return "household" if household_protected(resident) else None


def status(resident: Resident, *, today: date | None = None) -> Status:
    today = today or date.today()
    kind = resident.support_measure_kind if resident.support_measure else None
    until = resident.support_measure_until
    return Status(protected=is_protected(resident), household=household_protected(resident), kind=kind,
                  kind_label=KINDS.get((kind or "").lower(), kind or "区分未設定") if resident.support_measure else "",
                  since=resident.support_measure_from, until=until, relation=resident.support_measure_relation,
                  expired=bool(resident.support_measure and until is not None and until < today))


def case_status(case: Any) -> Status | None:
    """The protection status of a case's resident (None when the case is about no resident)."""
    resident = db.session.get(Resident, case.resident_id) if getattr(case, "resident_id", None) else None
    return status(resident) if resident is not None else None


def case_marks(cases: Iterable[Any]) -> dict[int, str]:
    """``{case id: "flagged" | "household"}`` for the listed cases about a protected household (two queries
    for any number of cases: lists mark their rows without a lookup per row)."""
    about = {c.id: c.resident_id for c in cases if getattr(c, "resident_id", None)}
    if not about:
        return {}
    rows = db.session.execute(select(Resident.id, Resident.household_id, Resident.support_measure)
                              .where(Resident.id.in_(set(about.values())))).all()
    households = {r.household_id for r in rows if r.household_id is not None}
    flagged_households = set(db.session.scalars(
        select(Resident.household_id).where(Resident.household_id.in_(households),
                                            Resident.support_measure.is_(True)).distinct())) if households else set()
    mark = {r.id: "flagged" if r.support_measure else "household" for r in rows
            if r.support_measure or r.household_id in flagged_households}
    return {case_id: mark[rid] for case_id, rid in about.items() if rid in mark}


def view_case(*, actor: Actor, case: Any, screen: str) -> Status | None:
    """The protection status of the case's resident; opening a protected household's case is logged
    (``protection.view`` against the resident, with the screen and the case)."""
    st = case_status(case)
    if st is not None and st.household:
        audit.record(actor=actor, action="protection.view", target_type="resident", target_id=case.resident_id,
                     details={"screen": screen, "case_id": case.id, "flagged": st.protected})
    return st


def shown_address(resident: Resident) -> str:
    """The address a screen or a third party's paper may show: masked for a protected household."""
    if household_protected(resident):
        return MASKED
    return " ".join(p for p in (resident.postal_code and f"〒{resident.postal_code}", resident.address,
                                resident.address_extra) if p) or "—"


def address_fields(resident: Resident) -> dict[str, str | None]:
    """postal_code, address and address_extra as an API may give them out (masked when protected)."""
    if household_protected(resident):
        return {"postal_code": None, "address": MASKED, "address_extra": None}
    return {"postal_code": resident.postal_code, "address": resident.address, "address_extra": resident.address_extra}


def may_see_address(actor: Actor, resident: Resident, purpose: str) -> bool:
    """Whether ``actor`` may see the resident's real address for ``purpose`` (a key of PURPOSES)."""
    if not household_protected(resident):
        return True
    if purpose not in PURPOSES:
        return False
    if purpose == "supervisor" and SUPERVISOR_SECTION in actor.sections:
        return True
    return actor.has_role(*PURPOSES[purpose][1])


def reveal_address(*, actor: Actor, resident_id: int, purpose: str, reason: str,
                   case_id: int | None = None) -> dict[str, Any]:
    """The real address for an entitled role and purpose with a stated reason; logged, refusals too.

    ``case_id``: the visit the reveal is for (the caller, ``workflows.visit.protection.reveal``, has checked that
    the resident belongs to it). A logged ``self`` reveal for a case is what lets that case's papers carry the
    address: the only way, whatever the case data says."""
    resident = db.session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(N_("住民 {resident} は見つかりません", resident=resident_id),
                       details={"resident_id": resident_id})
    if purpose not in PURPOSES:
        raise Invalid(N_("開示の目的を選んでください"), details={"purpose": f"one of {', '.join(PURPOSES)}"})
    if len(reason.strip()) < 4:
        raise Invalid(N_("開示の理由を4文字以上で入力してください"), details={"reason": "required (4+ characters)"})
    details: dict[str, Any] = {"purpose": purpose, "reason": reason.strip()[:300], "jumin_code": resident.jumin_code}
    if case_id is not None:
        details["case_id"] = case_id
    if not may_see_address(actor, resident, purpose):
        audit.record_independently(actor=actor, action="protection.reveal", target_type="resident",
                                   target_id=resident.id, outcome="denied", details=details)
        raise Forbidden(N_("この目的・権限では支援措置対象者の住所を表示できません"), details={"purpose": purpose})
    audit.record(actor=actor, action="protection.reveal", target_type="resident", target_id=resident.id,
                 details=details)
    return {"resident_id": resident.id, "postal_code": resident.postal_code, "address": resident.address,
            "address_extra": resident.address_extra, "purpose": purpose}


def note_access(*, actor: Actor, residents: Iterable[Resident], action: str, screen: str,
                details: dict[str, Any] | None = None) -> int:
    """A ``protection.<action>`` entry for each protected resident among ``residents``; how many were logged."""
    logged = 0
    for resident in residents:
        if household_protected(resident):
            audit.record(actor=actor, action=f"protection.{action}", target_type="resident", target_id=resident.id,
                         details={"screen": screen, "flagged": is_protected(resident), **(details or {})})
            logged += 1
    return logged


def list_log(*, limit: int = 200, before: Any = None) -> list[AuditEntry]:
    """The ``protection.*`` entries of the operation log, newest first."""
    query = select(AuditEntry).where(AuditEntry.action.in_(LOG_ACTIONS))
    if before is not None:
        query = query.where(AuditEntry.at < before)
    return list(db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.seq.desc()).limit(limit)))


def list_protected(*, limit: int = 500) -> list[Resident]:
    """Flagged residents (for the manager's page), by period end then kana."""
    query = select(Resident).where(Resident.support_measure.is_(True))
    query = query.order_by(Resident.support_measure_until, Resident.kana_key, Resident.id).limit(limit)
    return list(db.session.scalars(query).unique())


def certificate_hold(*, resident_id: Any, requester: Any) -> dict[str, Any]:
    """Whether a certificate request must stop for the supervisor: whenever the household is protected
    (DOMAIN.md: "a certificate request about them is stopped for a supervisor's check"). Who the request says
    the requester is never lifts it — that is an answer of the case, not a logged check; the supervisor decides,
    and the address is printed only after a logged 本人確認 (``reveal_address`` with purpose ``self``)."""
    resident = db.session.get(Resident, int(resident_id)) if resident_id not in (None, "") else None
    protected = household_protected(resident)
    return {"hold": protected, "protected": protected, "requester": requester or "unknown"}
