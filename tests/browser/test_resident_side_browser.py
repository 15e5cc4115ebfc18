"""待たない in a real browser: pre-entry on a phone → its QR code → the counter opens the visit pre-filled; a ticket
issued at reception → called from the counter page → the full-screen board shows the call (1920×1080 and
1366×768); the status page at 390 px changes as the sections complete their tasks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core import places
from core.db import db
from residents.models import Resident
from tests.browser.axe import MIN_TICKET_PX
from tests.browser.conftest import browser_login
from tests.conftest import actor, deploy_library
from tests.forms.support import load_residents, pdf_text, squeeze
from tests.security import scenario
from workflows import runtime
from workflows.visit import form_answers, status
from workflows.visit.queue_models import PreEntry, Ticket

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _phone(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo",
                                  viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    return context.new_page()


def _counters() -> None:
    for number, section in (("1", "madoguchi"), ("2", "madoguchi"), ("3", "shimin")):
        places.save_counter(actor=actor("admin"), number=number, name=f"{number}番窓口", section_code=section)
    db.session.commit()


def _resident() -> Resident:
    return next(r for r in load_residents(200) if r.relation == "世帯主" and r.resident_type == "1"
                and r.birth_date and not any(m.support_measure for m in r.household.members))


def _fits(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_pre_entry_on_a_phone_opens_the_visit_pre_filled(page: Any, browser: Any, live_server: Any,
                                                         shot: Any) -> None:
    deploy_library()
    resident = _resident()
    phone = _phone(browser, live_server)
    phone.goto("/pre-entry")
    phone.get_by_label("転入").check()
    shot(phone, "phone-events")
    phone.get_by_role("button", name="次へ").click()
    phone.get_by_label("異動日・届出の日（分かれば）").fill("2026-11-20")
    phone.locator("fieldset", has_text="犬を飼っている").get_by_label("はい").check()
    phone.get_by_label("氏名").fill(resident.name)
    phone.get_by_label("生年月日").fill(resident.birth_date.isoformat())
    phone.get_by_label("電話番号").fill("090-1234-5678")
    phone.get_by_label("郵便番号（7桁）").fill("7530001")
    phone.get_by_role("button", name="住所を検索").click()
    expect(phone.locator("#postal-address")).to_have_text("山口県山口市宮野上")
    phone.get_by_label("番地・建物名・部屋番号").fill("1-2-3")
    phone.get_by_label("前の住所（転入の方）").fill("広島県広島市中区基町10-52")
    assert _fits(phone), "the pre-entry form is wider than a 390 px phone"
    shot(phone, "phone-form")
    phone.get_by_role("button", name="入力を終えてQRコードを表示").click()
    expect(phone.locator("#pre-entry-qr")).to_be_visible()
    reference = phone.locator("#pre-entry-reference").inner_text()
    assert re.fullmatch(r"PE-[2-9A-Z]{10}", reference) and _fits(phone)
    shot(phone, "phone-qr")
    assert resident.address not in phone.content()  # the page shows only what was typed, never the DB's data

    browser_login(page, "counter")
    page.goto("/counter/")
    page.get_by_label("氏名・カナ・コード").fill(reference)  # what a QR scanner types
    page.keyboard.press("Enter")
    expect(page.locator("#pre-entry")).to_contain_text(resident.name)
    expect(page.locator("#pre-entry")).to_contain_text("山口県山口市宮野上1-2-3")
    shot(page, "counter-pre-entry")
    page.locator(f"a[href*='/counter/residents/{resident.id}?']").click()
    expect(page.locator("#pre-entry-note")).to_contain_text(reference)
    assert page.get_by_label("転入").is_checked()
    assert page.locator("#event_date").input_value() == "令和8年11月20日"  # staff read 和暦
    assert page.locator("#notifier_phone").input_value() == "090-1234-5678"
    shot(page, "counter-household-pre-filled")
    page.get_by_role("button", name="この世帯で受付を開始").click()
    expect(page).to_have_url(re.compile(r".*/tasks/\d+$"))
    expect(page.get_by_label(re.compile("^転入した日"))).to_have_value(re.compile("2026-11-20|令和8年11月20日"))
    shot(page, "counter-interview-pre-filled")
    db.session.expire_all()
    case = runtime.get_case(runtime.get_task(int(page.url.rsplit("/", 1)[1])).case_id)
    data = runtime.case_data(case)
    assert data["event_date"] == "2026-11-20" and data["dog_owner"] is True  # the interview starts from it
    assert form_answers.stored(case.id)["visit"]["previous_address"] == "広島県広島市中区基町10-52"
    assert db.session.scalar(select(PreEntry).where(PreEntry.reference == reference)) is None  # deleted once used


def test_a_ticket_is_issued_called_and_shown_on_the_board(page: Any, new_page: Any, shot: Any) -> None:
    _counters()
    browser_login(page, "counter")
    page.goto("/tickets")
    page.get_by_role("button", name=re.compile("^転入・転出・転居")).click()
    expect(page.locator("[data-issued]")).to_have_text("A-001")
    slip = page.request.get(page.get_by_role("link", name="整理券を印刷（PDF）").get_attribute("href"))
    assert slip.status == 200 and "A-001" in squeeze(pdf_text(slip.body()))
    shot(page, "reception-issued")

    board = new_page()
    board.set_viewport_size({"width": 1920, "height": 1080})
    board.goto("/board")
    expect(board.locator('tr[data-purpose="ido"] [data-waiting="A-001"]')).to_be_visible()
    expect(board.locator('tr[data-purpose="ido"] .minutes')).to_have_text("まもなく")  # two counters free
    shot(board, "board-waiting-1920")
    board.get_by_role("button", name="チャイム：切").click()  # staff turn the chime on once
    expect(board.locator("#chime-toggle")).to_have_attribute("aria-pressed", "true")

    page.goto("/counter/")
    page.select_option("#call-counter", "2")
    page.get_by_role("button", name="次の番号を呼ぶ").click()
    expect(page.locator(".flash.info")).to_contain_text("A-001 をお呼びしました")
    expect(page.locator("#serving-ticket")).to_have_text("A-001")
    shot(page, "counter-called")
    latest = board.locator('.call.latest[data-call="A-001"]')
    expect(latest).to_contain_text("2番窓口", timeout=15_000)  # the board polls: no reload
    expect(board.locator("body")).to_have_attribute("data-chimed", re.compile("^A-001@"))  # the chime rang
    # The board's one size rule (tests/browser/axe.py board_legibility, docs/resident-side.md): a ticket number's
    # computed font-size is at least MIN_TICKET_PX on either screen.
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    assert latest.locator(".number").evaluate(size) >= MIN_TICKET_PX, "the called number on a 1080p screen"
    assert board.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    shot(board, "board-called-1920")
    board.set_viewport_size({"width": 1366, "height": 768})
    assert board.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    assert latest.locator(".number").evaluate(size) >= MIN_TICKET_PX, "the called number on a 768p screen"
    shot(board, "board-called-1366")

    page.get_by_role("button", name="再呼出").click()
    expect(board.locator('.call.latest[data-call="A-001"] .again')).to_be_visible(timeout=15_000)
    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket).where(Ticket.label == "A-001"))
    assert ticket.state == "called" and ticket.counter == "2" and ticket.call_count == 2
    phone = new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"/status/{ticket.token}")
    expect(phone.locator(".status-ticket")).to_contain_text("2番窓口へお越しください")
    shot(phone, "status-called-390")


def test_the_status_page_changes_as_sections_complete_their_tasks(new_page: Any, shot: Any) -> None:
    _counters()
    deploy_library()
    _head, _member, other = scenario.residents()
    case_id = scenario.routed_visit(other)
    token = status.token_for(case_id)
    db.session.commit()
    phone = new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"/status/{token}")
    items = phone.locator("ul.procedures li")
    total = items.count()
    assert total >= 3 and phone.locator("li[data-state=done]").count() == 0
    expect(phone.locator("#status-next")).to_contain_text("市民課")
    expect(phone.locator("#status-next")).to_contain_text("3番窓口")
    assert _fits(phone) and other.name not in phone.content() and other.address not in phone.content()
    shot(phone, "status-open-390")
    done = 0
    while ready := [t for t in runtime.get_case(case_id).tasks if t.state == "ready"]:
        section = ready[0].section_code
        for task in (t for t in ready if t.section_code == section):
            runtime.complete_task(task_id=task.id, data={"outcome": "done"}, actor=actor(section))
            db.session.commit()
        phone.reload()
        assert phone.locator("li[data-state=done]").count() > done, section  # the page follows the sections
        done = phone.locator("li[data-state=done]").count()
        shot(phone, f"status-after-{section}-390")
    expect(phone.locator("li[data-state=done]")).to_have_count(total)
    expect(phone.locator("#status-next")).to_contain_text("すべての手続が終わりました")


def test_a_busy_board_fits_both_screens(new_page: Any, shot: Any) -> None:
    from workflows.visit import tickets

    _counters()
    clerk = actor("counter")
    for purpose in ["ido", "shomei", "hoken", "kodomo", "shussei_shibo"] * 6:
        tickets.issue(purpose=purpose, actor=clerk)
    for counter in ("1", "2", "3"):
        tickets.call_next(counter=counter, actor=clerk)
    db.session.commit()
    board = new_page()
    for width, height in ((1920, 1080), (1366, 768)):
        board.set_viewport_size({"width": width, "height": height})
        board.goto("/board")
        expect(board.locator("li.call[data-call]")).to_have_count(3)
        expect(board.locator('tr[data-purpose="ido"] .count')).to_contain_text("5")  # A-001 is called
        assert board.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1"), (width, height)
        assert board.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (width, height)
        shot(board, f"board-busy-{width}")
