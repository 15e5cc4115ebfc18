"""The scenario corpus through the API, every PDF read back with pdftotext.

Per visit (``households.SCENARIOS``): the generic client (``client.VisitClient``, which knows no form) starts it
from the ticked members with the 届出人, answers the interview (the date as the clerk typed it, per person where
asked), answers the printed forms' questions, makes the documents, signs, hands over and fetches the guide. Then,
read from the PDFs: which forms exist for whom (and none for a member not ticked), each form's person by name and
birth date (和暦, 西暦 for a foreign resident), the 届出人 by name on every form with 対象者との関係 per person, the
address (masked for 支援措置 — the real one nowhere), the event date in 和暦, household forms listing exactly the
ticked members, and the guide with every procedure, its people and due dates in 和暦 (and the 委任状 when needed).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.db import db
from forms import printforms, wareki
from residents import protection
from residents.models import Resident
from tests.conftest import deploy_library
from tests.forms.support import pdf_text, squeeze
from tests.scenarios.client import Visit, VisitClient
from tests.scenarios.households import SCENARIOS, Scenario
from tests.support.families import make_residents

EVENT_DATE_PATHS = {"answers.event_date", "answers.moved_in_on"}


def _people(scenario: Scenario, index: int) -> dict[str, Resident]:
    specs = [{k: v for k, v in m.items() if k != "key"} for m in scenario.members]
    rows = make_residents(specs, setai_no=f"{5000001 + index}", first_code=50000000001 + 100 * index,
                          address=f"山口県山口市中央{index + 1}-2-3", postal_code="7530088",
                          address_extra=scenario.address_extra)
    return {m["key"]: r for m, r in zip(scenario.members, rows, strict=True)}


def _notifier(scenario: Scenario, people: dict[str, Resident]) -> dict[str, Any]:
    if isinstance(scenario.notifier, str):
        return {"resident_id": people[scenario.notifier].id, "phone": "083-900-0001"}
    return dict(scenario.notifier)


def _walk(client: FlaskClient, scenario: Scenario, people: dict[str, Resident]) -> Visit:
    api = VisitClient(client)
    ids = {k: r.id for k, r in people.items()}
    return api.visit(resident_id=people[scenario.at_counter or scenario.members[0]["key"]].id,
                     members=[ids[k] for k in scenario.ticked], events=scenario.events, on=scenario.on,
                     notifier=_notifier(scenario, people),
                     interview={**scenario.interview, "event_date": scenario.typed_date},
                     interview_members={ids[k]: a for k, a in scenario.per_member.items()})


def _name(people: dict[str, Resident], key: str) -> str:
    return squeeze(people[key].name)


def _after(text: str, label: str) -> list[str]:
    """What a form prints after each ``label`` (squeezed), up to the next 12 characters."""
    return [text[m.end():m.end() + 12] for m in re.finditer(re.escape(label), text)]


def _check_form(scenario: Scenario, people: dict[str, Resident], doc: dict[str, Any], pdf: bytes) -> None:
    text = squeeze(pdf_text(pdf))
    by_id = {r.id: k for k, r in people.items()}
    whose = [by_id[i] for i in doc["subject_resident_ids"]]
    assert set(whose) <= set(scenario.ticked), (doc["doc_key"], whose)  # never a form for someone not ticked
    form = printforms.get(doc["form_key"])
    notifier = (people[scenario.notifier].name if isinstance(scenario.notifier, str) else scenario.notifier["name"])
    assert any(a.startswith(squeeze(notifier)) for a in _after(text, "届出人氏名") + _after(text, "届出人")), doc
    if form.per == "member":
        [key] = whose
        person = people[key]
        assert _name(people, key) in text
        assert wareki.to_wareki(person.birth_date_text, foreign=key in scenario.foreign) in text
        if key in scenario.relations:
            assert any(a.startswith(scenario.relations[key]) for a in _after(text, "対象者との関係")), (doc, text)
    else:  # a visit's form: the ticked members its procedure concerns (all of them on the 住民異動届)
        assert whose and (set(whose) == set(scenario.ticked) or not doc["form_key"].startswith("juki_")), whose
        # everyone it concerns is named on it: one child of 児童手当 as much as a family (DOMAIN.md "Who is who")
        assert all(_name(people, key) in text for key in whose), (doc["doc_key"], whose, text)
        named = scenario.at_counter or scenario.members[0]["key"]
        if "subject.name" in form.mapping.values() and named in scenario.relations:  # it names one person
            assert any(a.startswith(scenario.relations[named]) for a in _after(text, "対象者との関係")), (
                doc["doc_key"], text)
        if "異動した人" in text or "氏名（フリガナ）" in text:  # a household form's table of members
            for key in people:
                assert (_name(people, key) in text) == (key in whose) or people[key].relation == "世帯主" \
                    or key == scenario.notifier, (doc["doc_key"], key)
    _check_derived(scenario, people, text, doc)
    address = squeeze(people[scenario.members[0]["key"]].address)
    if scenario.protected:
        assert address not in text and squeeze(protection.MASKED) in text, doc["doc_key"]
        assert not scenario.address_extra or squeeze(scenario.address_extra) not in text, doc["doc_key"]
    elif "住所" in text:
        assert address in text or squeeze(scenario.notifier["address"] if isinstance(scenario.notifier, dict)
                                          else "") in text, doc["doc_key"]
    foreign = bool(set(whose) & set(scenario.foreign))
    if EVENT_DATE_PATHS & set(form.mapping.values()):
        assert wareki.to_wareki(scenario.on, foreign=foreign) in text, doc["doc_key"]
    if foreign:  # a foreign resident's form: every date in 西暦
        assert not re.search(r"(令和|平成|昭和)(\d+|元)年", text), doc["doc_key"]


def _check_derived(scenario: Scenario, people: dict[str, Resident], text: str, doc: dict[str, Any]) -> None:
    """What the visit already knows, printed as it is (the clerk answered nothing): 異動する人 from the ticks, a
    seal's 廃止の理由 and a 手帳's 届出の内容 from the event, the pension's 届出者 from the 届出人, the 障がいの区分
    from the register; a 転居届's 旧住所 is the register's."""
    if "異動する人" in text:
        everyone = set(scenario.ticked) == {m["key"] for m in scenario.members}
        assert ("■世帯全員" if everyone else "■世帯の一部") in text, (doc["doc_key"], text)
    if "廃止の理由" in text:
        assert {"tenshutsu": "■転出", "shibo": "■死亡"}[scenario.events[0]] in text, (doc["doc_key"], text)
    if "届出者氏名" in text:
        notifier = people[scenario.notifier].name if isinstance(scenario.notifier, str) else scenario.notifier["name"]
        assert any(a.startswith(squeeze(notifier)) for a in _after(text, "届出者氏名")), (doc["doc_key"], text)
    if doc["form_key"] == "fukushi_judo":  # the register's grade, as the form's box of it
        [key] = [k for k, r in people.items() if r.id in doc["subject_resident_ids"]]
        [kind] = [f for f in printforms.get("fukushi_judo").definition.fields if f.name == "disability_kind"]
        labels = dict(kind.choices)
        assert "■" + labels[people[key].disability] in text, (doc["doc_key"], text)
    if doc["form_key"] == "shogai_address":  # a move changes the 居住地, a death returns the 手帳
        assert ("■返還" if scenario.events[0] == "shibo" else "■居住地変更") in text, (doc["doc_key"], text)
    if doc["form_key"] == "juki_tenkyo":
        moved_from = squeeze(people[scenario.members[0]["key"]].address)
        assert any(a.startswith(moved_from[:12]) for a in _after(text, "旧住所")), (doc["doc_key"], text)
        if scenario.address_extra:  # the home moved from: the building and room, not only the lot
            assert squeeze(scenario.address_extra) in squeeze(text.split("旧住所", 1)[1])[:80], (doc["doc_key"], text)
        assert "新住所" in text, doc["doc_key"]


def _check_guide(scenario: Scenario, people: dict[str, Resident], visit: Visit) -> None:
    text = squeeze(pdf_text(visit.guide))
    assert f"受付番号{visit.case_id}" in text
    for proc in visit.procedures:
        assert squeeze(proc["name"])[:12] in text
        if proc["due_date"]:
            assert wareki.to_wareki(proc["due_date"]) in text
        for subject in proc["subjects"]:
            assert subject["resident_id"] in {people[k].id for k in scenario.ticked}
    assert ("委任状" in text) == scenario.proxy_letter
    assert all(squeeze(people[k].address) not in text for k in people)  # the guide gives out no address


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=[s.label for s in SCENARIOS])
def test_a_visit_of_the_corpus_prints_what_is_right_for_each_person(app, client: FlaskClient, index: int) -> None:
    deploy_library()
    scenario = SCENARIOS[index]
    people = _people(scenario, index)
    visit = _walk(client, scenario, people)
    forms = [d for d in visit.documents if d["kind"] == "form"]
    by_id = {r.id: k for k, r in people.items()}
    found: dict[str, list[str]] = {}
    for doc in forms:
        found.setdefault(doc["form_key"], []).extend(by_id[i] for i in doc["subject_resident_ids"]
                                                     if printforms.get(doc["form_key"]).per == "member")
    for key, whose in scenario.forms.items():
        assert key in found, (key, sorted(found))
        if whose is not None:
            assert sorted(found[key]) == sorted(whose), (key, found[key])
    assert not set(scenario.absent) & set(found), sorted(found)
    for doc in forms:
        _check_form(scenario, people, doc, visit.pdfs[doc["id"]])
    _check_guide(scenario, people, visit)
    for proc in visit.procedures:
        assert proc["reason"] and proc["rule"].startswith("proc_") and proc["subjects"], proc
    db.session.expire_all()


def test_the_corpus_is_broad_enough() -> None:
    assert len(SCENARIOS) >= 20
    events = {e for s in SCENARIOS for e in s.events}
    assert events == {"tennyu", "tenshutsu", "tenkyo", "setai_henko", "shussei", "shibo", "konin", "rikon", "shomei"}
    assert any(s.protected for s in SCENARIOS) and any(s.foreign for s in SCENARIOS)
    assert any(isinstance(s.notifier, dict) for s in SCENARIOS) and any(len(s.events) > 1 for s in SCENARIOS)
    assert any(len(s.ticked) < len(s.members) for s in SCENARIOS)
