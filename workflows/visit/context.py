"""What a form is filled from: the resident DB, the visit's start data (who is concerned, the 届出人), the
interview's and the printed forms' answers, and the form's mapping.

:func:`visit_context` reads a case once; :func:`forms.printforms.values_for` turns it into the values of one form,
validated by the form's own schema, so a printed form never shows something its definition would refuse.
"""

from __future__ import annotations

from typing import Any

from core import city
from core.calendar import JST
from core.db import db, utcnow
from residents import protection
from residents.models import Household, Resident
from workflows import runtime
from workflows.determination.models import CaseProcedure, list_for_case
from workflows.models import Case
from workflows.visit import form_answers
from workflows.visit import protection as case_protection

SEX = {"1": "男", "2": "女"}


def person(resident: Resident) -> dict[str, Any]:
    """A resident as forms see them: names, 和暦-ready birth date (partial dates kept), address."""
    return {
        "id": resident.id, "name": resident.name, "name_kana": resident.name_kana or "",
        "birth_date": resident.birth_date_text or (resident.birth_date.isoformat() if resident.birth_date else ""),
        "sex": resident.sex or "", "sex_label": SEX.get(resident.sex or "", ""), "relation": resident.relation or "",
        "postal_code": resident.postal_code or "", "address": resident.address or "",
        "address_extra": resident.address_extra or "",
        "address_line": address_line(resident.address, resident.address_extra), "jumin_code": resident.jumin_code,
        "setai_no": resident.setai_no, "foreign": resident.resident_type == "2",
        "nationality": resident.nationality or "", "residence_status": resident.residence_status or "",
        "alias": resident.alias or "", "insurance": resident.insurance or "",
        "pension_category": resident.pension_category or "", "disability": resident.disability or "",
        "support_measure": bool(resident.support_measure),
        "protected_household": protection.household_protected(resident),
    }


def address_line(address: str | None, extra: str | None) -> str:
    """The address on one line with its 方書 (building, room): what a form prints where it has one box for an
    address (the 転居届's 旧住所, a 変更前, the 届出人's 住所) — without the 方書 the line names a building's lot,
    not the home."""
    return "　".join(part for part in ((address or "").strip(), (extra or "").strip()) if part)


def _household(resident: Resident | None, ticked: list[dict[str, Any]]) -> dict[str, Any]:
    """The household's register entry, and ``moving``: ``all`` when the clerk ticked every member, else ``part``
    (the 住民異動届's 異動する人 — a clerk who unticked a member must not have to answer 世帯全員 again)."""
    household: Household | None = resident.household if resident else None
    if household is None:
        return {"setai_no": resident.setai_no if resident else "", "head_name": "", "head_kana": "", "size": 0,
                "moving": "all"}
    head = next((m for m in household.members if m.relation == "世帯主"), None)
    everyone = {m.id for m in household.members} <= {p["id"] for p in ticked}
    return {"setai_no": household.setai_no, "head_name": household.head_name or (head.name if head else ""),
            "head_kana": head.name_kana if head else "", "postal_code": household.postal_code or "",
            "address": household.address or "", "address_extra": household.address_extra or "",
            "address_line": address_line(household.address, household.address_extra),
            "size": len(household.members), "moving": "all" if everyone else "part"}


def _interview_answers(data: dict[str, Any]) -> dict[str, Any]:
    """What the interview answered (its collected ``answers``), scalars only, with the visit's event date."""
    nested = data.get("answers") if isinstance(data.get("answers"), dict) else {}
    flat = {k: v for k, v in nested.items() if isinstance(v, str | int | float | bool) or v is None}
    return {**flat, "event_date": data.get("event_date") or flat.get("event_date") or ""}


def _people(ids: Any) -> list[Resident]:
    if not isinstance(ids, list) or not ids:
        return []
    found = {r.id: r for r in db.session.scalars(db.select(Resident).where(Resident.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _subjects(data: dict[str, Any], resident: Resident | None) -> list[Resident]:
    """The members the visit is about, as the clerk ticked them (older cases: every member of ``member_ids``)."""
    ticked = _people(data.get("subject_ids")) or _people(data.get("member_ids"))
    return ticked or ([resident] if resident is not None else [])


def _notifier(data: dict[str, Any], resident: Resident | None) -> dict[str, Any]:
    """The 届出人 as the forms print them: a member's record (with the phone given), or what the clerk entered."""
    given = data.get("notifier") if isinstance(data.get("notifier"), dict) else {"resident_id": getattr(resident,
                                                                                                        "id", None)}
    if given.get("resident_id") is not None:
        member = db.session.get(Resident, int(given["resident_id"]))
        if member is not None:
            return {**person(member), "member": True, "resident_id": member.id, "phone": given.get("phone") or ""}
    return {"id": None, "resident_id": None, "member": False, "name": given.get("name") or "",
            "name_kana": given.get("kana") or "", "postal_code": "", "address": given.get("address") or "",
            "address_extra": "", "address_line": given.get("address") or "", "relation": given.get("relation") or "",
            "phone": given.get("phone") or "",
            "birth_date": "", "foreign": False, "support_measure": False, "protected_household": False}


def city_of_forms() -> dict[str, str]:
    """The city as the forms name it (the administrator's 自治体名): the addressee 「○○市長 様」, the office hours."""
    name = city.get("city_name")
    return {"name": name, "mayor": f"{name}長", "office_hours": city.get("office_hours")}


def procedures(case_id: int) -> list[CaseProcedure]:
    """The case's procedures that still count (not removed)."""
    return [p for p in list_for_case(case_id) if p.state != "removed"]


def today() -> str:
    """Today in Japan (the 届出日 of a form), whatever the server's zone."""
    return utcnow().astimezone(JST).date().isoformat()


def visit_context(case: Case) -> dict[str, Any]:
    """Everything the forms of this visit are filled from.

    ``members`` are the people the visit is about (ticked at the counter, each with their 続柄 to the 世帯主),
    ``applicant`` the 届出人, ``answers`` the interview's and the printed forms' answers for the whole visit,
    ``member_answers`` the answers per person (``{resident id: {...}}``)."""
    data = runtime.case_data(case)
    resident = db.session.get(Resident, case.resident_id) if case.resident_id else None
    people = [person(m) for m in _subjects(data, resident)]
    stored = form_answers.stored(case.id)
    visit = {
        "case": {"id": case.id, "ticket_no": str(data.get("ticket_no") or case.id),
                 "event": data.get("event") or next(iter(data.get("events") or []), ""),
                 "event_date": data.get("event_date") or ""},
        "subject": person(resident) if resident else (people[0] if people else {}),
        "applicant": _notifier(data, resident), "notifier": dict(data.get("notifier") or {}),
        "household": _household(resident, people), "members": people,
        "answers": {**_interview_answers(data), **stored["visit"]}, "member_answers": stored["members"],
        "city": city_of_forms(), "today": today(),
    }
    if not case_protection.released_for_print(case):  # a logged 本人確認 for this case, never the case data
        mask_protected(visit)
    return visit


def mask_protected(visit: dict[str, Any]) -> None:
    """支援措置: for a protected household, every address in the context — the people's, the household's and each
    answer a form declares ``location: true`` (a previous or new address) — is masked; idempotent."""
    people = [visit["subject"], visit["applicant"], *visit["members"]]
    for p in people:
        if p.get("protected_household"):
            p.update(postal_code="", address=protection.MASKED, address_extra="", address_line=protection.MASKED)
    if not any(p.get("protected_household") for p in people):
        return
    if "address" in visit["household"]:
        visit["household"].update(postal_code="", address=protection.MASKED, address_extra="",
                                  address_line=protection.MASKED)
    for name, field in case_protection.location_fields().items():
        if visit["answers"].get(name) not in (None, ""):
            visit["answers"][name] = "" if field.format else protection.MASKED
