"""The staff screens in a real browser: a 転入 of a family of four from the counter to the last section, watched by
the manager (table, diagram, chart). Screenshots go to test-artifacts/test_tennyu_family_.../."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_login
from tests.conftest import deploy_library
from tests.support.families import make_household

pytestmark = pytest.mark.browser
SECTIONS = {"shimin": "転入届の審査・入力", "hoken": "国民健康保険・国民年金の手続",
            "kodomo": "児童手当・子ども医療費の手続"}


def _counter_reception(page, shot) -> int:
    """The counter path: search → household → 転入 → interview (pre-filled) → send → guide; returns the case id."""
    clicks = 0
    page.get_by_role("link", name="窓口受付（本人確認）").click()
    clicks += 1
    page.get_by_label("氏名・カナ・コード").fill("やまだ")  # hiragana finds the katakana record
    page.keyboard.press("Enter")
    clicks += 1
    expect(page.locator("h2")).to_have_text("検索結果（4件）")
    shot(page, "counter-search")
    page.get_by_role("link", name="山田 太郎").click()
    clicks += 1
    expect(page.locator("table.household tbody tr")).to_have_count(4)
    assert page.locator("table.household .badge", has_text="児童").count() == 2
    assert page.get_by_label("転入").is_checked()
    shot(page, "counter-household")
    page.get_by_role("button", name="この世帯で受付を開始").click()
    clicks += 1
    # The interview: what the DB knows is already there.
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    assert page.get_by_label("届出人氏名（必須）").input_value() == "山田 太郎"
    assert page.get_by_label("届出人氏名（フリガナ）（必須）").input_value() == "ヤマダ タロウ"
    assert page.get_by_label("異動する人数（必須）").input_value() == "4"
    assert page.get_by_label("うち18歳以下の子の人数（必須）").input_value() == "2"
    assert page.get_by_label("新住所（必須）").input_value().endswith("亀山町2-1")
    page.get_by_label("転入した日（必須）").fill("2026-11-20")
    page.get_by_label("本人確認書類（必須）").select_option("mynumber_card")
    page.get_by_role("button", name="完了する").click()  # 前住所 still empty
    clicks += 3
    error = page.locator("#e-previous_address")
    expect(error).to_be_visible()
    assert error.get_attribute("role") == "alert"
    assert page.get_by_label("前住所（必須）").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("転入した日（必須）").input_value() == "2026-11-20"  # nothing typed is lost
    shot(page, "counter-interview-error")
    page.get_by_label("前住所（必須）").fill("広島県広島市中区基町1-1")
    page.get_by_role("button", name="完了する").click()
    clicks += 2
    page.wait_for_url(re.compile(r".*/counter/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("table.list tbody tr")).to_have_count(4)  # reception + three sections
    for title in SECTIONS.values():
        assert page.locator("tr", has_text=title).locator("td").nth(2).inner_text() == "処理待ち"
    shot(page, "counter-summary")
    page.get_by_role("link", name="手続案内書を表示・印刷").click()
    clicks += 1
    expect(page.locator("h1")).to_have_text("手続案内書")
    assert page.locator(".guide tbody tr").count() == 3
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.get_by_role("button", name="印刷する").is_hidden()
    shot(page, "counter-guide-print")
    page.emulate_media(media="screen")
    assert clicks <= 15, clicks
    return case_id


def _manager_sees(page, case_id: int, *, state: str, waiting: list[str], shot, name: str) -> None:
    page.goto("/manager/")
    row = page.locator(f"tr[data-case='{case_id}']")
    assert row.locator("td").nth(2).inner_text() == state
    where = row.locator("td").nth(3).inner_text()
    assert all(section in where for section in waiting), where
    page.wait_for_function("document.body.dataset.chartReady === '1'")
    shot(page, f"manager-{name}")
    row.get_by_role("link", name="経過図").click()
    page.wait_for_url(re.compile(r".*/manager/cases/\d+$"))
    page.wait_for_selector("#diagram[data-ready='1']")
    assert page.locator("#diagram .djs-element.task-active").count() == len(waiting)
    shot(page, f"manager-diagram-{name}")


def _section_completes(page, username: str, case_id: int, shot) -> None:
    browser_login(page, username)
    row = page.locator("#inbox-rows tr", has=page.locator(f"a[href='/cases/{case_id}']"))
    expect(row).to_have_count(1)
    assert SECTIONS[username] in row.inner_text()
    row.get_by_role("button", name="担当する").click()
    expect(page.locator(".flash.info")).to_have_text("担当しました。")
    page.get_by_label("処理結果（必須）").select_option("accepted")
    shot(page, f"{username}-task")
    page.get_by_role("button", name="完了する").click()
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert "を完了しました" in page.locator(".flash.info").inner_text()
    assert page.locator(f"#inbox-rows a[href='/cases/{case_id}']").count() == 0


def test_tennyu_family_from_counter_to_sections_watched_by_manager(app, page, new_page, shot) -> None:
    deploy_library()
    make_household()
    browser_login(page, "counter", terminal="1F-窓口01")
    case_id = _counter_reception(page, shot)

    manager = new_page()
    browser_login(manager, "manager")
    _manager_sees(manager, case_id, state="処理中", waiting=["市民課", "保険年金課", "こども家庭課"], shot=shot,
                  name="started")

    for username in SECTIONS:
        section_page = new_page()
        _section_completes(section_page, username, case_id, shot)
    _manager_sees(manager, case_id, state="完了", waiting=[], shot=shot, name="finished")
    assert manager.locator("#diagram .djs-element.task-done").count() == 4
