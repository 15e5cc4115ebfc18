"""The administrator's pages in the browser, photographed for the operations manual (web/help/manual.yaml names
these screenshots); each page is checked to be the one the manual describes before it is taken."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser
PAGES = [("/admin/", "admin-index", "システム管理"), ("/admin/users", "admin-users", "ユーザーの追加"),
         ("/admin/imports", "admin-imports", "住民データ取込"), ("/admin/jobs", "admin-jobs", "定期ジョブ"),
         ("/admin/settings", "admin-settings", "自治体名")]


def test_admin_pages_for_the_manual(page, shot) -> None:
    browser_login(page, "admin")
    for path, name, heading in PAGES:
        page.goto(path)
        expect(page.locator("main")).to_contain_text(heading)
        help_link = page.locator("header a.help")
        assert help_link.get_attribute("href").startswith("/help#admin.")
        shot(page, name)
    page.locator("header a.help").click()
    expect(page.locator("section#admin\\.settings h3")).to_have_text("システム設定")
