"""Test households written straight into the resident tables (with the search keys the importer would compute)."""

from __future__ import annotations

from datetime import date

from core.db import db
from residents import normalize
from residents.models import Household, Resident

ADDRESS = "山口県山口市亀山町2-1"
# (name, kana, relation, birth date, sex) of a family of four with two school children.
FAMILY = [("山田 太郎", "ヤマダ タロウ", "世帯主", date(1985, 6, 1), "1"),
          ("山田 花子", "ヤマダ ハナコ", "妻", date(1987, 9, 12), "2"),
          ("山田 一郎", "ヤマダ イチロウ", "子", date(2015, 4, 20), "1"),
          ("山田 桜", "ヤマダ サクラ", "子", date(2018, 11, 3), "2")]


def make_household(members: list[tuple[str, str, str, date, str]] = FAMILY, *, setai_no: str = "1000001",
                   first_code: int = 10000000001, address: str = ADDRESS,
                   support_measure: bool = False) -> list[Resident]:
    """Create a household and its members; returns the residents (head first) after a commit."""
    household = Household(setai_no=setai_no, head_name=members[0][0], postal_code="7530000", address=address,
                          source="test")
    db.session.add(household)
    db.session.flush()
    residents = []
    for i, (name, kana, relation, born, sex) in enumerate(members):
        resident = Resident(
            jumin_code=str(first_code + i), setai_no=setai_no, household_id=household.id, name=name, name_kana=kana,
            birth_date=born, birth_date_text=born.isoformat(), sex=sex, relation=relation, postal_code="7530000",
            address=address, kana_key=normalize.kana_key(kana), given_kana_key=normalize.kana_key(kana.split()[1]),
            name_key=normalize.name_key(name), given_name_key=normalize.name_key(name.split()[1]),
            address_key=normalize.address_key(address), row_hash=f"{first_code + i:032d}", source="test",
            support_measure=support_measure and i == 0, school="elementary" if relation == "子" else None,
            mynumber_card=i == 0)
        db.session.add(resident)
        residents.append(resident)
    db.session.commit()
    return residents


# A family moving in as the determination reads it (facts, not resident rows): two kokuho parents and two school
# children, so several procedures land in the same section. Used by bench/engine.py and the engine tests.
TENNYU_HOUSEHOLD = [
    {"name": "山口 太郎", "relation": "世帯主", "birth_date": "1980-05-01", "insurance": "kokuho",
     "pension_category": "1", "mynumber_card": True, "seal_registered": False, "subject": True},
    {"name": "山口 花子", "relation": "妻", "birth_date": "1982-07-07", "insurance": "kokuho",
     "pension_category": "1", "subject": True, "child_allowance_recipient": True},
    {"name": "山口 一郎", "relation": "子", "birth_date": "2016-06-01", "insurance": "kokuho", "subject": True},
    {"name": "山口 次郎", "relation": "子", "birth_date": "2020-02-10", "insurance": "kokuho", "subject": True},
]
TENNYU_INTERVIEW = {"event_date": "2026-11-20", "previous_prefecture_other": False}  # 印鑑登録 is asked per person


def make_residents(members: list[dict[str, object]], *, setai_no: str, first_code: int, address: str = ADDRESS,
                   postal_code: str = "7530000", address_extra: str | None = None) -> list[Resident]:
    """A household whose members carry any resident columns (facts, 通称, 国籍 …); each member is a dict with at
    least ``name``, ``kana``, ``relation``, ``birth`` (a date) and ``sex``; the rest are Resident columns. The head
    comes first; returns the residents after a commit."""
    household = Household(setai_no=setai_no, head_name=str(members[0]["name"]), postal_code=postal_code,
                          address=address, address_extra=address_extra, source="test")
    db.session.add(household)
    db.session.flush()
    residents = []
    for i, spec in enumerate(members):
        spec = dict(spec)
        name, kana, born = str(spec.pop("name")), str(spec.pop("kana")), spec.pop("birth")
        assert isinstance(born, date)
        resident = Resident(
            jumin_code=str(first_code + i), setai_no=setai_no, household_id=household.id, name=name,
            name_kana=kana, birth_date=born, birth_date_text=born.isoformat(), relation=str(spec.pop("relation")),
            sex=str(spec.pop("sex")), postal_code=postal_code, address=address, address_extra=address_extra,
            kana_key=normalize.kana_key(kana), given_kana_key=normalize.kana_key(kana.split()[-1]),
            name_key=normalize.name_key(name), given_name_key=normalize.name_key(name.split()[-1]),
            address_key=normalize.address_key(address), row_hash=f"{first_code + i:032d}", source="test", **spec)
        db.session.add(resident)
        residents.append(resident)
    db.session.commit()
    return residents


FACT_KEYS = ("insurance", "pension_category", "mynumber_card", "seal_registered", "disability", "care_certified",
             "child_allowance_recipient", "single_parent", "school", "dog_owner", "support_measure")


def from_facts(household: list[dict[str, object]], *, setai_no: str | None = None,
               first_code: int | None = None) -> list[Resident]:
    """Residents of one household from determination facts (``birth_date`` ISO, ``relation``, the fact keys,
    ``resident_type`` japanese/foreign); a member without a name is 「試験 一郎1」 … (numbers: the next free)."""
    taken = db.session.scalar(db.select(db.func.count(Household.id))) or 0
    setai_no = setai_no or str(3000001 + taken)
    first_code = first_code or 30000000001 + 100 * taken
    specs = []
    for i, member in enumerate(household, start=1):
        spec: dict[str, object] = {"name": str(member.get("name") or f"試験 一郎{i}"),
                                   "kana": str(member.get("kana") or "シケン イチロウ"),
                                   "relation": str(member.get("relation") or "世帯主"),
                                   "birth": date.fromisoformat(str(member["birth_date"])),
                                   "sex": str(member.get("sex") or "1"),
                                   "resident_type": "2" if member.get("resident_type") == "foreign" else "1"}
        spec.update({k: member[k] for k in FACT_KEYS if member.get(k) is not None})
        specs.append(spec)
    return make_residents(specs, setai_no=setai_no, first_code=first_code)
