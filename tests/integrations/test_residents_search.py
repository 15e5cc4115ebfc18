"""Search across kana forms, widths and spaces; ranking; household; the operation log of every look."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import Invalid
from core.models import AuditEntry
from residents import search
from tests.conftest import actor
from tests.integrations.residents_support import load, person

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def people() -> dict[str, int]:
    load([
        person(1, "山田　太郎", "ヤマダ　タロウ", birth_date="1970-05-01", address="山口県山口市小郡下郷100番地"),
        person(2, "山田　花子", "ヤマダ　ハナコ", setai=1, relation="妻", sex="2", birth_date="1972-03-03",
               address="山口県山口市小郡下郷100番地"),
        person(3, "髙橋　一郎", "タカハシ　イチロウ", birth_date="1950-12-24", address="山口県山口市宮野上5番地"),
        person(4, "山田川　次郎", "ヤマダガワ　ジロウ", address="山口県山口市湯田温泉1丁目1-1"),
        person(5, "佐藤　たろう", "サトウ　タロウ", support_measure="dv", address="山口県山口市大内長野3番地"),
        person(6, "NGUYEN　VAN AN", "グエン　ヴァン　アン", resident_type="2", nationality="ベトナム"),
    ])
    return {r.name: r.id for r in db.session.scalars(select(search.Resident))}


@pytest.mark.parametrize("q", ["やまだ たろう", "やまだたろう", "ヤマダ　タロウ", "ヤマダタロウ", "ﾔﾏﾀﾞ ﾀﾛｳ",
                               "ﾔﾏﾀﾞﾀﾛｳ", "山田太郎", "山田　太郎", "山田 太郎"])
def test_name_in_any_kana_form_width_or_spacing_finds_the_person_first(people: dict[str, int], q: str) -> None:
    hits = search.find(q=q)
    assert hits and hits[0].resident.id == people["山田　太郎"]
    assert hits[0].score == 90


def test_prefix_and_given_name_match_and_rank_below_exact(people: dict[str, int]) -> None:
    names = [h.resident.name for h in search.find(q="やまだ")]
    assert set(names) == {"山田　太郎", "山田　花子", "山田川　次郎"}
    given = {h.resident.name: h.score for h in search.find(q="たろう")}
    assert set(given) == {"山田　太郎", "佐藤　たろう"}
    exact = search.find(q="ヤマダ タロウ")
    assert [h.resident.name for h in exact][:1] == ["山田　太郎"]


def test_variant_characters_match_their_common_form(people: dict[str, int]) -> None:
    assert [h.resident.name for h in search.find(q="高橋")] == ["髙橋　一郎"]
    assert [h.resident.name for h in search.find(q="髙橋一郎")] == ["髙橋　一郎"]


def test_latin_names_match_in_any_case_and_width(people: dict[str, int]) -> None:
    assert [h.resident.name for h in search.find(q="nguyen van")] == ["NGUYEN　VAN AN"]
    assert [h.resident.name for h in search.find(q="ｇｕｅｎ")] == []
    assert [h.resident.name for h in search.find(q="ぐえん")] == ["NGUYEN　VAN AN"]


def test_birth_date_address_and_code(people: dict[str, int]) -> None:
    assert [h.resident.name for h in search.find(birth_date=date(1950, 12, 24))] == ["髙橋　一郎"]
    assert {h.resident.name for h in search.find(address="小郡下郷")} == {"山田　太郎", "山田　花子"}
    assert {h.resident.name for h in search.find(address="山口市小郡")} == {"山田　太郎", "山田　花子"}
    assert [h.resident.name for h in search.find(q="やまだ", address="100番地")] == ["山田　太郎", "山田　花子"] or \
        {h.resident.name for h in search.find(q="やまだ", address="100番地")} == {"山田　太郎", "山田　花子"}
    both = search.find(q="やまだ", birth_date=date(1972, 3, 3))
    assert [h.resident.name for h in both] == ["山田　花子"]
    code = db.session.get(search.Resident, people["髙橋　一郎"]).jumin_code
    hits = search.find(q=code)
    assert [h.resident.name for h in hits] == ["髙橋　一郎"] and hits[0].score == 100


def test_no_criterion_is_invalid() -> None:
    with pytest.raises(Invalid):
        search.find(q="  ")


def test_household_members_head_first(people: dict[str, int]) -> None:
    wife = db.session.get(search.Resident, people["山田　花子"])
    assert [m.name for m in search.members(wife)] == ["山田　太郎", "山田　花子"]
    assert wife.household.head_name == "山田　太郎"


def test_search_and_view_are_in_the_operation_log(people: dict[str, int]) -> None:
    counter = actor("counter", terminal="窓口1")
    hits = search.search(actor=counter, q="さとう")
    resident = search.get(resident_id=hits[0].resident.id, actor=counter, screen="test")
    db.session.commit()
    entries = {e.action: e for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action.in_(["resident.search", "resident.view"])))}
    assert entries["resident.search"].username == "counter"
    assert json.loads(entries["resident.search"].details)["ids"] == [resident.id]
    view = entries["resident.view"]
    assert (view.target_type, view.target_id, view.terminal) == ("resident", str(resident.id), "窓口1")
    assert json.loads(view.details)["support_measure"] is True
