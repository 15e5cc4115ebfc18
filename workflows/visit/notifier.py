"""The 届出人 (notifier): the person at the counter, chosen from the household or entered, and how they stand to
each person a form is about (対象者との関係, DOMAIN.md "Who is who in a visit").

The notifier is stored with the visit's start data as the clerk gave it — a member (``resident_id``, with an
optional phone) or an entered person (name, kana, address, relation, phone) — and printed as given on every
form. The relation printed on a form is per subject: 本人 on the notifier's own forms; for a member, derived
from both people's 続柄 to the 世帯主 (and the notifier's sex for 父/母, 夫/妻); for an entered person, the
relation the clerk entered. A notifier who is neither a member of the household nor the 親権者 of every subject
(an entered 父 or 母 of minors) needs a 委任状, which the guide says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core.errors import Invalid
from core.i18n import N_

HEAD = "世帯主"
PARENTS = {"父", "母"}
# What the clerk may enter as an outside notifier's relation to the subjects.
# Stored as they are (Japanese); N_ only marks them for the catalogue, which gives the English a page shows.
ENTERED_RELATIONS = (N_("父"), N_("母"), N_("子"), N_("妻"), N_("夫"), N_("祖父"), N_("祖母"), N_("孫"), N_("兄弟姉妹"),
                     N_("その他の親族"), N_("同居人"), N_("代理人"))
ADULT_AGE = 18
NOTIFIER_AGE = 15  # a younger member does not file: their 親権者 (or the 世帯主) does
FIELDS = ("name", "kana", "address", "relation", "phone")
LIMITS = {"name": 200, "kana": 200, "address": 300, "relation": 20, "phone": 20}


@dataclass(frozen=True)
class Member:
    """What the relation needs of a household member."""

    id: int
    relation: str
    sex: str
    birth_date: date | None


def _as_member(person: Any) -> Member:
    get = person.get if isinstance(person, dict) else lambda k, d=None: getattr(person, k, d)
    born = get("birth_date")
    if isinstance(born, str):
        try:
            born = date.fromisoformat(born)
        except ValueError:  # a partial date (不詳日): no age
            born = None
    return Member(id=int(get("id")), relation=get("relation") or "", sex=str(get("sex") or ""),
                  birth_date=born if isinstance(born, date) else None)


def default_member(*, resident_id: int, members: dict[int, Any], head_id: int | None, on: date) -> int:
    """Who files when the clerk names nobody: the resident, unless younger than 15 — then the 世帯主."""
    age = _age(_as_member({"id": resident_id, **_facts(members.get(resident_id))}).birth_date, on)
    return head_id if head_id is not None and age is not None and age < NOTIFIER_AGE else resident_id


def _facts(person: Any) -> dict[str, Any]:
    if person is None or isinstance(person, dict):
        return dict(person or {})
    return {"relation": person.relation, "sex": person.sex, "birth_date": person.birth_date}


def from_input(given: dict[str, Any] | None, *, resident_id: int, members: dict[int, Any], on: date,
               head_id: int | None = None) -> dict[str, Any]:
    """The notifier to store: ``{"resident_id", "phone"}`` for a member (15 or over), the entered fields
    otherwise; Invalid names the field. Nothing given: :func:`default_member`. ``members``: id → Resident."""
    given = {k: v for k, v in (given or {}).items() if v not in (None, "")}
    if not given or given.get("resident_id") is not None:
        chosen = int(given.get("resident_id") or default_member(resident_id=resident_id, members=members,
                                                                 head_id=head_id, on=on))
        return _member(chosen, given, members=members, on=on)
    return _entered(given)


def _member(chosen: int, given: dict[str, Any], *, members: dict[int, Any], on: date) -> dict[str, Any]:
    if chosen not in members:
        raise Invalid(N_("届出人は世帯の中から選ぶか、氏名等を入力してください"),
                      details={"fields": {"notifier.resident_id": ["世帯の方ではありません"]}})
    age = _age(_as_member({"id": chosen, **_facts(members[chosen])}).birth_date, on)
    if age is not None and age < NOTIFIER_AGE:
        raise Invalid(N_("15歳未満の方は届出人になれません（親権者または世帯主が届け出ます）"),
                      details={"fields": {"notifier.resident_id": ["15歳未満の方です"]}})
    return {"resident_id": chosen, "phone": str(given.get("phone", ""))[:LIMITS["phone"]]}


def _entered(given: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for name in ("name", "relation"):
        if not str(given.get(name, "")).strip():
            errors[f"notifier.{name}"] = ["入力してください"]
    for name, limit in LIMITS.items():
        if len(str(given.get(name, ""))) > limit:
            errors[f"notifier.{name}"] = [f"{limit}文字以内で入力してください"]
    if given.get("relation") and given["relation"] not in ENTERED_RELATIONS:
        errors["notifier.relation"] = [f"次から選んでください：{'・'.join(ENTERED_RELATIONS)}"]
    errors.update({f"notifier.{k}": ["不明な項目です"] for k in sorted(set(given) - set(FIELDS))})
    if errors:
        raise Invalid(N_("届出人の入力に誤りがあります"), details={"fields": errors})
    return {name: str(given.get(name, "")).strip() for name in FIELDS}


def relation_to(notifier: dict[str, Any], subject: Any, *, members: list[Any]) -> str:
    """対象者との関係: how the notifier stands to ``subject`` (a person dict or Resident of the household)."""
    if notifier.get("resident_id") is None:
        return str(notifier.get("relation") or "")
    target = _as_member(subject)
    if target.id == notifier["resident_id"]:
        return "本人"
    me = next((_as_member(m) for m in members if _as_member(m).id == notifier["resident_id"]), None)
    return _between(me, target) if me else "同居人"


def _by_sex(sex: str, male: str, female: str) -> str:
    return male if sex == "1" else female if sex == "2" else f"{male}・{female}"


def _between(me: Member, them: Member) -> str:
    """My relation to them, from both 続柄 to the 世帯主 (the register's relations)."""
    spouse, parent = _by_sex(me.sex, "夫", "妻"), _by_sex(me.sex, "父", "母")
    pairs = {
        (HEAD, "妻"): spouse, (HEAD, "夫"): spouse, (HEAD, "子"): parent, (HEAD, "父"): "子", (HEAD, "母"): "子",
        (HEAD, "孫"): _by_sex(me.sex, "祖父", "祖母"),
        ("妻", "子"): parent, ("夫", "子"): parent, ("子", "妻"): "子", ("子", "夫"): "子", ("子", "子"): "兄弟姉妹",
        ("妻", "父"): "子の配偶者", ("妻", "母"): "子の配偶者", ("夫", "父"): "子の配偶者", ("夫", "母"): "子の配偶者",
        ("父", "子"): _by_sex(me.sex, "祖父", "祖母"), ("母", "子"): _by_sex(me.sex, "祖父", "祖母"),
        ("子", "父"): "孫", ("子", "母"): "孫", ("子", "孫"): _by_sex(me.sex, "父", "母"),
    }
    if them.relation == HEAD and me.relation in {"妻", "夫", "子", "父", "母", "孫"}:
        return me.relation
    return pairs.get((me.relation, them.relation), "同居人")


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def needs_proxy_letter(notifier: dict[str, Any], subjects: list[Any], *, on: date) -> bool:
    """A 委任状 is needed: the notifier is not of the household, and not an entered 父/母 of only minors."""
    if notifier.get("resident_id") is not None:
        return False
    if notifier.get("relation") in PARENTS and subjects:
        ages = [_age(_as_member(s).birth_date, on) for s in subjects]
        return not all(a is not None and a < ADULT_AGE for a in ages)
    return True
