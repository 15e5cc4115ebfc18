"""A subset of the scenario corpus (tests/scenarios/households.py) through the counter pages in Chromium: the
household page (who is ticked, the 届出人, the events), the interview (the date as typed, per-person questions),
the visit page (people and reasons), the forms' questions, the tablet signature, the hand-over and the guide page
that shows the guide PDF. The documents the pages made are then read back exactly as the API corpus reads its own.
Screenshots go to test-artifacts/<test>/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from core.db import db
from tests.browser.conftest import browser_login, draw_signature
from tests.conftest import deploy_library
from tests.scenarios.client import Visit
from tests.scenarios.households import SCENARIOS, Scenario
from tests.scenarios.pages import fill
from tests.scenarios.test_corpus import _check_form, _check_guide, _people
from workflows.visit import guide as visit_guide
from workflows.visit.models import CaseDocument

pytestmark = pytest.mark.browser
# The family of five (an unticked grandmother, the wife notifies, one seal), an agent from outside (委任状), and
# 転入 with a certificate (the combined interview).
SUBSET = [0, 6, 7]


def _household(page: Any, scenario: Scenario, people: dict[str, Any], shot: Any) -> None:
    head = people[scenario.at_counter or scenario.members[0]["key"]]
    page.goto(f"/counter/residents/{head.id}")
    for key, resident in people.items():
        box = page.locator(f"#subject-{resident.id}")
        box.check() if key in scenario.ticked else box.uncheck()
    for code in ("tennyu", "tenshutsu", "tenkyo", "setai_henko", "shussei", "shibo", "konin", "rikon", "shomei"):
        boxes = page.locator(f"input[name=events][value={code}]")
        if boxes.count():
            boxes.check() if code in scenario.events else boxes.uncheck()
    if isinstance(scenario.notifier, str):
        page.check(f"input[name=notifier][value='{people[scenario.notifier].id}']")
    else:
        page.check("#notifier-other")
        for name in ("name", "kana", "address", "phone"):
            page.fill(f"#notifier_{name}", scenario.notifier[name])
        page.select_option("#notifier_relation", scenario.notifier["relation"])
    shot(page, "household")
    page.get_by_role("button", name="この世帯で受付を開始").click()
    expect(page).to_have_url(re.compile(r".*/tasks/\d+$"))


def _interview(page: Any, scenario: Scenario, people: dict[str, Any], shot: Any) -> int:
    page.locator("#f-event_date").fill(scenario.typed_date)
    for name, value in scenario.interview.items():
        control = page.locator(f"[name='{name}']")
        if control.get_attribute("type") == "checkbox":
            control.check() if value else control.uncheck()
        else:
            control.select_option(str(value))
    for key, answers in scenario.per_member.items():
        for name, value in answers.items():
            box = page.locator(f"[name='members.{people[key].id}.{name}']")
            box.check() if value else box.uncheck()
    shot(page, "interview")
    page.get_by_role("button", name="完了する").click()
    expect(page).to_have_url(re.compile(r".*/counter/cases/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _documents(page: Any, case_id: int, shot: Any) -> None:
    page.get_by_role("link", name="申請書の記入事項とプレビュー").click()
    for name, value in fill(page.content()).items():
        control = page.locator(f"form.task-form [name='{name}']")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        elif not control.input_value():
            control.fill(str(value))
    shot(page, "documents")
    page.get_by_role("button", name="保存して書類を作成").click()
    expect(page.locator(".flash.info")).to_contain_text("件の書類を作成しました")


def _sign_and_hand_over(page: Any, case_id: int, shot: Any) -> None:
    page.get_by_role("link", name="署名（タブレット）へ").click()
    draw_signature(page)
    page.click("#signature-save")
    expect(page.locator(".flash.info")).to_have_text("署名を保存しました。")
    page.get_by_role("button", name="署名入りの書類を確定して各課へ送付").click()
    expect(page.locator("h1")).to_have_text("手続案内書")
    expect(page.locator("iframe#guide-pdf")).to_have_attribute("src", f"/counter/cases/{case_id}/guide.pdf")
    page.wait_for_timeout(3000)  # Chromium's PDF viewer lays the framed guide out
    shot(page, "guide")


@pytest.mark.parametrize("index", SUBSET, ids=[SCENARIOS[i].label for i in SUBSET])
def test_a_corpus_visit_through_the_counter_pages(app, page, shot, index: int) -> None:
    deploy_library()
    scenario = SCENARIOS[index]
    people = _people(scenario, index)
    browser_login(page, "counter")
    _household(page, scenario, people, shot)
    case_id = _interview(page, scenario, people, shot)
    db.session.expire_all()
    procedures = visit_guide.views(case_id)
    for proc in procedures:
        row = page.locator(f"tr[data-code='{proc.code}']")
        assert proc.people in row.inner_text() and proc.reason in row.inner_text()
    shot(page, "visit")
    _documents(page, case_id, shot)
    _sign_and_hand_over(page, case_id, shot)
    pdf = page.request.get(f"/counter/cases/{case_id}/guide.pdf")
    assert pdf.status == 200
    db.session.expire_all()
    docs = list(db.session.scalars(db.select(CaseDocument).where(CaseDocument.case_id == case_id)))
    visit = Visit(case_id=case_id, guide=pdf.body(), pdfs={d.id: d.pdf for d in docs},
                  procedures=[{"name": p.name, "due_date": p.due_date and p.due_date.isoformat(),
                               "subjects": list(p.subjects)} for p in procedures],
                  documents=[{"id": d.id, "doc_key": d.doc_key, "form_key": d.form_key, "kind": d.kind,
                              "subject_resident_ids": d.subject_ids} for d in docs])
    for doc in (d for d in visit.documents if d["kind"] == "form"):
        _check_form(scenario, people, doc, visit.pdfs[doc["id"]])
    _check_guide(scenario, people, visit)
    found = {d["form_key"] for d in visit.documents}
    assert set(scenario.forms) <= found and not set(scenario.absent) & found
