"""The staff screens in a real browser, on the real 転入 journey (journey_tennyu): the counter takes a family of four
with children from the generated resident data through search → household → interview → the determined procedures
(one removed and one added, each with a reason) → the forms' missing answers and a PDF preview → the signature on
the tablet → hand-over → the printed guide; every section completes its tasks in its inbox; the manager watches
the case move and finish (table, diagram, chart). Screenshots go to test-artifacts/test_tennyu_family_.../."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.db import db, utcnow
from residents.models import Resident
from tests.browser.conftest import browser_login, draw_signature
from tests.conftest import deploy_library
from tests.forms.support import load_residents
from tests.web.test_counter_path import _answer
from workflows import runtime
from workflows.determination.models import list_for_case
from workflows.models import Case
from workflows.visit import intake

pytestmark = pytest.mark.browser
EVENT_DATE = "2026-11-20"
SECTION_NAMES = {"shimin": "市民課", "hoken": "保険年金課", "kodomo": "こども家庭課", "gakko": "学校教育課",
                 "kourei": "高齢障がい福祉課", "kankyo": "環境衛生課", "zeimu": "税務課"}


def _family_with_children() -> Resident:
    """A generated household of four with children, none of them under 支援措置."""
    today = utcnow().date()
    for r in load_residents(400):
        members = r.household.members if r.household else []
        if (r.relation == "世帯主" and len(members) == 4 and r.resident_type == "1"
                and not any(m.support_measure for m in members)
                and any(intake.is_child(m, today) for m in members)):
            return r
    raise AssertionError("no family of four with children in the generated residents")


def _procedure_rows(page) -> dict[str, str]:
    return {row.get_attribute("data-code"): row.get_attribute("class")
            for row in page.locator("table.procedures tbody tr[data-code]").all()}


def _review(page, shot) -> int:
    """Remove one determined procedure and add one, each with a reason; returns the clicks spent."""
    rows = _procedure_rows(page)
    victim = next(code for code in rows if code != "juki.tennyu")
    row = page.locator(f"tr[data-code='{victim}']")
    row.locator("input[name=reason]").fill("本人が後日あらためて来庁")
    row.get_by_role("button").click()
    expect(page.locator(f"tr[data-code='{victim}']")).to_have_class("proc-removed")
    options = [o for o in page.locator("#add-code option").all() if o.get_attribute("value")]
    extra = next(o.get_attribute("value") for o in options if o.get_attribute("value") not in rows)
    page.select_option("#add-code", extra)
    page.fill("#add-reason", "本人の申出により追加")
    page.get_by_role("button", name="手続を追加").click()
    expect(page.locator(f"tr[data-code='{extra}']")).to_have_class("proc-open")
    shot(page, "counter-procedures-reviewed")
    return 5  # (not part of the common path: this family's procedures needed no change)


def _documents(page, case_id: int, shot) -> int:
    """Answer what the forms still need (once), generate, preview one PDF; returns the clicks spent."""
    from workflows.visit import answers as visit

    page.get_by_role("link", name="申請書の記入事項とプレビュー").click()
    db.session.expire_all()  # the browser changed the procedures through the live server
    questions = visit.questions(case_id=case_id)
    assert "previous_address" in {q.key for q in questions}  # the DB cannot know where they came from
    assert page.locator("#q-moved_in_on").input_value() == "令和8年11月20日"  # confirmed (in 和暦), not retyped
    for q in questions:
        selector = "#q-" + q.name.replace(".", "-")
        if q.field.type == "choice":
            page.select_option(selector, _answer(q))
        elif q.field.type == "boolean":
            page.check(selector)
        elif q.key != "moved_in_on":
            page.fill(selector, _answer(q))
    page.fill("#q-previous_address", "広島県広島市中区基町10-52")
    page.get_by_role("button", name="保存して書類を作成").click()
    expect(page.locator(".flash.info")).to_contain_text("件の書類を作成しました")
    link = page.get_by_role("link", name="住民異動届（転入）")
    pdf = page.request.get(link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    shot(page, "counter-documents")
    return 3  # open, save and generate, preview (the answers only the resident knows are typed once, not counted)


def _sign(page, shot) -> int:
    page.get_by_role("link", name="署名（タブレット）へ").click()
    draw_signature(page)
    shot(page, "counter-signature")
    page.click("#signature-save")
    expect(page.locator(".flash.info")).to_have_text("署名を保存しました。")
    return 2


def _counter_path(page, head: Resident, shot) -> tuple[int, int]:
    """The counter path; returns the case id and the screens/clicks it took (typing an answer counts as one)."""
    clicks = 0
    expect(page).to_have_url(re.compile(r".*/counter/$"))  # home sends counter staff to the search
    page.get_by_label("氏名・カナ・コード").fill(head.name)
    page.keyboard.press("Enter")
    page.locator(f"a[href='/counter/residents/{head.id}']").first.click()
    clicks += 2
    expect(page.locator("table.household tbody tr")).to_have_count(4)
    assert page.locator("input[name=subjects]:checked").count() == 4  # the family moves in together
    assert page.get_by_label("転入").is_checked()
    shot(page, "counter-household")
    page.get_by_role("button", name="この世帯で受付を開始").click()
    clicks += 1
    expect(page).to_have_url(re.compile(r".*/tasks/\d+$"))
    page.get_by_label(re.compile("^転入した日")).fill(EVENT_DATE)
    shot(page, "counter-interview")
    page.get_by_role("button", name="完了する").click()
    clicks += 2
    expect(page).to_have_url(re.compile(r".*/counter/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    determined = list_for_case(case_id)
    assert page.locator("table.procedures tbody tr[data-code]").count() == len(determined) >= 3
    for p in determined:
        row = page.locator(f"tr[data-code='{p.code}']")
        assert SECTION_NAMES[p.section_code] in row.inner_text() and p.rule in row.inner_text()
    shot(page, "counter-procedures")
    _review(page, shot)
    clicks += _documents(page, case_id, shot)
    clicks += _sign(page, shot)
    page.get_by_role("button", name="署名入りの書類を確定して各課へ送付").click()
    clicks += 1
    expect(page.locator("h1")).to_have_text("手続案内書")
    db.session.expire_all()
    assert page.locator("iframe#guide-pdf").get_attribute("src") == f"/counter/cases/{case_id}/guide.pdf"
    pdf = page.request.get(f"/counter/cases/{case_id}/guide.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"  # the page shows that document
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.get_by_role("button", name="印刷する").is_hidden()
    shot(page, "counter-guide-print")
    page.emulate_media(media="screen")
    return case_id, clicks


def _manager_sees(page, case_id: int, *, state: str, shot, name: str) -> None:
    db.session.expire_all()
    page.goto("/manager/")
    row = page.locator(f"tr[data-case='{case_id}']")
    assert row.locator("td").nth(2).inner_text() == state
    waiting = {SECTION_NAMES[t.section_code] for t in runtime.list_tasks(case_id=case_id)}
    where = row.locator("td").nth(3).inner_text()
    assert all(section in where for section in waiting), where
    page.wait_for_function("document.body.dataset.chartReady === '1'")
    shot(page, f"manager-{name}")
    row.get_by_role("link", name="経過図").click()
    page.wait_for_url(re.compile(r".*/manager/cases/\d+$"))
    page.wait_for_selector("#diagram[data-ready='1']")
    active = {t.spec_name.split(" [")[0] for t in runtime.list_tasks(case_id=case_id)}  # instances mark their element
    assert page.locator("#diagram .djs-element.task-active").count() == len(active)
    shot(page, f"manager-diagram-{name}")


def _section_completes(page, username: str, case_id: int, shot) -> int:
    """The section works through every task of the case in its inbox; returns how many it completed."""
    browser_login(page, username)
    done = 0
    while (row := page.locator("#inbox-rows tr", has=page.locator(f"a[href='/cases/{case_id}']"))).count():
        row.first.get_by_role("button", name="担当する").click()
        expect(page.locator(".flash.info")).to_have_text("担当しました。")
        page.get_by_label(re.compile("^処理結果")).select_option("done")
        if not done:
            shot(page, f"{username}-task")
        page.get_by_role("button", name="完了する").click()
        page.wait_for_url(re.compile(r".*/inbox$"))
        assert "を完了しました" in page.locator(".flash.info").inner_text()
        done += 1
        page.goto("/inbox")
    return done


def test_tennyu_family_from_counter_to_sections_watched_by_manager(app, page, new_page, shot) -> None:
    deploy_library()
    head = _family_with_children()
    browser_login(page, "counter", terminal="1F-窓口01")
    case_id, clicks = _counter_path(page, head, shot)
    assert clicks <= 15, clicks  # the common path; nothing the DB knows is typed

    manager = new_page()
    browser_login(manager, "manager")
    _manager_sees(manager, case_id, state="処理中", shot=shot, name="started")

    sections = sorted({t.section_code for t in runtime.list_tasks(case_id=case_id)})
    completed = sum(_section_completes(new_page(), username, case_id, shot) for username in sections)
    db.session.expire_all()
    assert completed == len([p for p in list_for_case(case_id) if p.state == "done"])
    _manager_sees(manager, case_id, state="完了", shot=shot, name="finished")
    assert manager.locator("#diagram .djs-element.task-done").count() >= 2
    db.session.expire_all()
    assert db.session.get(Case, case_id).state == "completed"
