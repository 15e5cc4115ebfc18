"""支援措置 in a real browser, second round: the waiting-area board (no login) shows the unprotected ticket and
refreshes itself with htmx, never a protected household's ticket; the inbox marks the protected cases' rows."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import expect

from residents.models import Resident
from tests.browser.conftest import browser_login
from tests.protection.test_board import identifying
from tests.protection.test_protection import family  # noqa: F401 - the fixture
from tests.protection.test_protection_gaps import cases, start  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_board_and_inbox_in_the_browser(  # the page's base URL is the live server
        page: Any, client: FlaskClient, shot: Any, cases: dict[str, int], family: dict[str, Resident]) -> None:  # noqa: F811
    page.goto("/board")
    board = page.locator("#board")
    expect(board.locator("[data-ticket]")).to_have_count(1)
    expect(board).to_contain_text("A-803")
    start(client, family["other"], "A-805")
    start(client, family["head"], "A-806")
    expect(board.locator('[data-ticket="A-805"]')).to_be_visible(timeout=15_000)  # htmx refresh, no reload
    html = page.content()
    for text in ("A-801", "A-802", "A-806", *(t for r in family.values() for t in identifying(r))):
        assert text not in html, text
    shot(page, "board")
    browser_login(page, "counter")
    page.goto("/inbox")
    head_row = page.locator("#inbox-rows tr", has=page.locator(f'a[href="/cases/{cases["head"]}"]'))
    expect(head_row.locator(".case-protection")).to_have_text("⚠ 支援措置")
    member_row = page.locator("#inbox-rows tr", has=page.locator(f'a[href="/cases/{cases["member"]}"]'))
    expect(member_row.locator(".case-protection")).to_have_text("⚠ 支援措置世帯")
    other_row = page.locator("#inbox-rows tr", has=page.locator(f'a[href="/cases/{cases["other"]}"]'))
    expect(other_row.locator(".case-protection")).to_have_count(0)
    shot(page, "inbox")
