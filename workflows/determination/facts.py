"""Household facts → the evaluation context of one member for one event (what the DMN tables read).

Age rules (DOMAIN.md): ``age`` is reached on the day before the birthday (20 for 国民年金, 65 for 介護);
``age_calendar`` on the birthday itself (75 for 後期高齢者医療); a 児童手当 child runs to the 31 March after the
18th birthday; the school year is cut on 1 April (a child born on 1 April belongs to the earlier year).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from core.errors import Invalid
from core.i18n import N_

BOOL_FACTS = ("mynumber_card", "seal_registered", "child_allowance_recipient", "single_parent", "dog_owner",
              "support_measure")
TEXT_FACTS = {"insurance": "none", "pension_category": "none", "disability": "none", "care_certified": "none",
              "resident_type": "japanese", "relation": "", "school": "none"}
# DOMAIN.md's codes of the coded facts. Anything else is refused (an unknown code must never read as "none").
CODES: dict[str, tuple[str, ...]] = {
    "insurance": ("kokuho", "shaho", "kouki", "seiho", "none"),
    "pension_category": ("1", "2", "3", "none"),
    "disability": (*(f"shintai{n}" for n in range(1, 7)), "ryoiku_a", "ryoiku_b",
                   *(f"seishin{n}" for n in range(1, 4)), "none"),
    "care_certified": (*(f"yoshien{n}" for n in range(1, 3)), *(f"yokaigo{n}" for n in range(1, 6)), "none"),
    "school": ("none", "elementary", *(f"elementary_{n}" for n in range(1, 7)), "junior_high",
               *(f"junior_high_{n}" for n in range(1, 4))),  # without the grade: the birth date gives it
    "resident_type": ("japanese", "foreign"),
}
FACT_LABELS = {"insurance": "健康保険", "pension_category": "国民年金の種別", "disability": "障害者手帳",
               "care_certified": "要介護・要支援認定", "school": "学校・学年", "resident_type": "住民区分"}
# How core systems write the same codes (after NFKC: full-width digits and letters read as half-width).
_SPELLINGS = [
    (re.compile(r"^身体(?:障害者手帳|障害)?([1-6])級$"), r"shintai\1"),
    (re.compile(r"^療育(?:手帳)?([ABab])$"), lambda m: f"ryoiku_{m.group(1).lower()}"),
    (re.compile(r"^精神(?:障害者保健福祉手帳)?([1-3])級$"), r"seishin\1"),
    (re.compile(r"^要介護([1-5])$"), r"yokaigo\1"),
    (re.compile(r"^要支援([12])$"), r"yoshien\1"),
    (re.compile(r"^小学(?:校)?([1-6])年(?:生)?$"), r"elementary_\1"),
    (re.compile(r"^中学(?:校)?([1-3])年(?:生)?$"), r"junior_high_\1"),
]
_NONE = {"", "none", "なし", "無", "該当なし"}
_RESIDENT_TYPES = {"1": "japanese", "2": "foreign"}
INSURANCES = set(CODES["insurance"])
HEAD = "世帯主"
SPOUSES = {"妻", "夫"}
SEVERE = {"shintai1", "shintai2", "shintai3", "ryoiku_a", "seishin1"}


def age_on(birth: date, on: date) -> int:
    """Full years on ``on``, counting the birthday itself (calendar age)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def legal_age(birth: date, on: date) -> int:
    """Age by 年齢計算ニ関スル法律: a year is reached at the end of the day before the birthday."""
    return age_on(birth, on + timedelta(days=1))


def fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def school_grade(birth: date, on: date) -> int:
    """1–6 elementary, 7–9 junior high; ≤0 before school, ≥10 after (学年, cut on 1 April)."""
    entry = birth.year + 7 if (birth.month, birth.day) >= (4, 2) else birth.year + 6
    return fiscal_year(on) - entry + 1


def allowance_child(birth: date, on: date) -> bool:
    """A 児童手当 child: up to the 31 March after the 18th birthday."""
    leap = (birth.month, birth.day) == (2, 29)
    birthday = date(birth.year + 18, 3, 1) if leap else birth.replace(year=birth.year + 18)
    reached = birthday - timedelta(days=1)  # the age is reached on the day before the birthday
    end = date(reached.year + (1 if reached.month >= 4 else 0), 3, 31)
    return on <= end


def _subject_of(member: dict[str, Any], event: str) -> bool:
    subject = member.get("subject", False)
    return event in subject if isinstance(subject, list) else bool(subject)


def fact_code(field: str, value: Any) -> str | None:
    """The DOMAIN.md code of a coded fact as given (``身体3級`` → ``shintai3``, empty → ``none``); None when it is
    no code of that fact."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return "none" if value is None else None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if field == "resident_type":
        text = _RESIDENT_TYPES.get(text, text)
    if text.lower() in _NONE:
        return "none" if "none" in CODES[field] else None
    for pattern, code in _SPELLINGS:
        if pattern.match(text):
            text = pattern.sub(code, text)
            break
    return text if text in CODES[field] else None


def _coded(member: dict[str, Any], where: str) -> None:
    """Each coded fact as its DOMAIN.md code; Invalid (422) naming the member's field and the codes allowed."""
    for field, allowed in CODES.items():
        code = fact_code(field, member[field])
        if code is None:
            raise Invalid(N_("{where}.{field}（{label}）の「{value}」は使えません。"
                             "{allowed} のいずれかを指定してください",
                             where=where, field=field, label=FACT_LABELS[field], value=member[field],
                             allowed="、".join(allowed)),
                          details={"field": f"{where}.{field}", "value": str(member[field])[:100],
                                   "allowed": list(allowed)})
        member[field] = code


def normalise_member(raw: dict[str, Any], index: int) -> dict[str, Any]:
    """Defaults for absent facts, coded facts as DOMAIN.md's codes; Invalid naming ``household[index].field``
    (and what is allowed) for bad ones."""
    where = f"household[{index}]"
    member = {**TEXT_FACTS, **{k: False for k in BOOL_FACTS}, **{k: v for k, v in raw.items() if v is not None}}
    try:
        member["birth_date"] = date.fromisoformat(str(raw.get("birth_date")))
    except ValueError as err:
        raise Invalid(N_("{where}.birth_date: 生年月日は YYYY-MM-DD の形で書いてください", where=where),
                      details={"field": f"{where}.birth_date"}) from err
    _coded(member, where)
    for key in BOOL_FACTS:
        if not isinstance(member[key], bool):
            raise Invalid(N_("{where}.{key}: true か false で指定してください", where=where, key=key),
                          details={"field": f"{where}.{key}"})
    return member


def member_context(member: dict[str, Any], *, event: str, on: date) -> dict[str, Any]:
    """The facts of one member as the tables read them (derived ages and flags included)."""
    birth = member["birth_date"]
    grade = school_grade(birth, on)
    school = member["school"]
    return {
        "event": event, "is_subject": _subject_of(member, event), "is_head": member.get("relation") == HEAD,
        "age": legal_age(birth, on), "age_calendar": age_on(birth, on),
        "insurance": member["insurance"], "pension_category": str(member["pension_category"]),
        "mynumber_card": member["mynumber_card"], "seal_registered": member["seal_registered"],
        "disability": member["disability"], "disability_severe": member["disability"] in SEVERE,
        "care_certified": member["care_certified"] != "none",
        "child_allowance_recipient": member["child_allowance_recipient"], "dog_owner": member["dog_owner"],
        "single_parent": member["single_parent"], "resident_type": member["resident_type"],
        "child_allowance_child": allowance_child(birth, on),
        "kodomo_iryo_child": grade <= 9,
        "school_child": school.startswith(("elementary", "junior_high")) or 1 <= grade <= 9,
    }


def household_context(members: list[dict[str, Any]], *, event: str, on: date) -> list[dict[str, Any]]:
    """One context per member, each with the household-level facts added."""
    base = [member_context(m, event=event, on=on) for m in members]
    subjects = [c for c in base if c["is_subject"]]
    head_subject = any(c["is_head"] for c in subjects)
    subject_spouse = any(m.get("relation") in SPOUSES for m, c in zip(members, base, strict=True) if c["is_subject"])
    household = {
        "household_kokuho": any(c["insurance"] == "kokuho" for c in base),
        "household_has_recipient": any(c["child_allowance_recipient"] for c in base),
        "household_has_child": any(c["child_allowance_child"] for c in base),
        "household_single_parent": any(c["single_parent"] for c in base),
        "remaining_adults_15": sum(1 for c in base if not c["is_subject"] and c["age"] >= 15),
        "subject_insurance": subjects[0]["insurance"] if subjects else "none",
    }
    contexts = []
    for member, ctx in zip(members, base, strict=True):
        spouse = (head_subject and member.get("relation") in SPOUSES) or (subject_spouse and ctx["is_head"])
        contexts.append({**ctx, **household, "is_spouse_of_subject": bool(spouse and not ctx["is_subject"])})
    return contexts


def fill_from_answers(members: list[dict[str, Any]], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Interview answers named after a member fact (e.g. ``dog_owner``) fill that fact for the event's subjects
    whose record does not hold it; a fact the resident DB holds always wins (and is not asked, see interview)."""
    given = {k: v for k, v in answers.items() if k in BOOL_FACTS or k in TEXT_FACTS}
    if not given:
        return members
    return [{**{k: v for k, v in given.items() if m.get(k) is None}, **m} if m.get("subject") else m
            for m in members]


def _context_names() -> frozenset[str]:
    """The names a member's evaluation context holds (what a table reads without an answer)."""
    sample = {**TEXT_FACTS, **dict.fromkeys(BOOL_FACTS, False), "birth_date": date(2000, 1, 1)}
    return frozenset(household_context([sample], event="tennyu", on=date(2026, 1, 1))[0])


CONTEXT_NAMES = _context_names()
