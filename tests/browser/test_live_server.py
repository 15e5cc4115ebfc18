"""The browser fixtures themselves: the live server answers, login works, screenshots are written."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login, browser_logout

pytestmark = pytest.mark.browser


def test_login_page_and_logout(page, shot) -> None:
    page.goto("/")
    assert "/login" in page.url
    assert page.locator("h1").inner_text() == "ログイン"
    browser_login(page, "shimin")
    assert page.locator("h1").inner_text().startswith("受付一覧")
    path = shot(page, "inbox")
    assert path.exists() and path.stat().st_size > 1000
    browser_logout(page)
    page.goto("/cases")
    assert "/login" in page.url
