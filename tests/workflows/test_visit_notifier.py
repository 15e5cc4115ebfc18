"""対象者との関係: how the 届出人 stands to each person a form is about, and when a 委任状 is needed."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import Invalid
from workflows.visit import notifier

HEAD = {"id": 1, "relation": "世帯主", "sex": "1", "birth_date": "1980-01-01"}
WIFE = {"id": 2, "relation": "妻", "sex": "2", "birth_date": "1982-01-01"}
CHILD = {"id": 3, "relation": "子", "sex": "2", "birth_date": "2018-01-01"}
MOTHER = {"id": 4, "relation": "母", "sex": "2", "birth_date": "1950-01-01"}
SON = {"id": 5, "relation": "子", "sex": "1", "birth_date": "2010-01-01"}
MEMBERS = [HEAD, WIFE, CHILD, MOTHER, SON]
BY_ID = {m["id"]: m for m in MEMBERS}
ON = date(2026, 11, 20)


@pytest.mark.parametrize(("me", "them", "relation"), [
    (HEAD, HEAD, "本人"), (HEAD, WIFE, "夫"), (HEAD, CHILD, "父"), (HEAD, MOTHER, "子"),
    (WIFE, HEAD, "妻"), (WIFE, CHILD, "母"), (WIFE, MOTHER, "子の配偶者"), (CHILD, HEAD, "子"), (CHILD, WIFE, "子"),
    (CHILD, SON, "兄弟姉妹"), (MOTHER, HEAD, "母"), (MOTHER, CHILD, "祖母"), (SON, MOTHER, "孫"),
])
def test_a_member_notifier_stands_to_each_subject_by_their_relations(me: dict, them: dict, relation: str) -> None:
    assert notifier.relation_to({"resident_id": me["id"]}, them, members=MEMBERS) == relation


def test_an_entered_notifier_is_printed_as_entered_and_may_need_a_letter() -> None:
    agent = notifier.from_input({"name": "代理 人", "relation": "代理人", "address": "広島市", "kana": "", "phone": ""},
                                resident_id=1, members=BY_ID, on=ON)
    assert notifier.relation_to(agent, CHILD, members=MEMBERS) == "代理人"
    on = ON
    assert notifier.needs_proxy_letter(agent, [CHILD], on=on)
    mother = {**agent, "relation": "母"}
    assert not notifier.needs_proxy_letter(mother, [CHILD, SON], on=on)  # the 親権者 of minors
    assert notifier.needs_proxy_letter(mother, [HEAD], on=on)  # an adult's mother is not their 親権者
    assert not notifier.needs_proxy_letter({"resident_id": 1}, [HEAD], on=on)


@pytest.mark.parametrize(("given", "field"), [({"resident_id": 9}, "notifier.resident_id"),
                                              ({"name": "", "relation": "代理人"}, "notifier.name"),
                                              ({"name": "代理 人", "relation": "上司"}, "notifier.relation"),
                                              ({"name": "代理 人", "relation": "代理人", "requester": "self"},
                                               "notifier.requester")])
def test_a_bad_notifier_is_refused_naming_the_field(given: dict, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        notifier.from_input(given, resident_id=1, members=BY_ID, on=ON)
    assert field in refused.value.details["fields"]


def test_a_child_does_not_file_and_is_not_proposed() -> None:
    with pytest.raises(Invalid) as refused:
        notifier.from_input({"resident_id": CHILD["id"]}, resident_id=1, members=BY_ID, on=ON)
    assert "15歳未満" in refused.value.message
    assert notifier.from_input({}, resident_id=CHILD["id"], members=BY_ID, on=ON, head_id=1) == {
        "resident_id": 1, "phone": ""}  # the 8-year-old came with her father: he files
    assert notifier.from_input({}, resident_id=WIFE["id"], members=BY_ID, on=ON, head_id=1)["resident_id"] == 2
