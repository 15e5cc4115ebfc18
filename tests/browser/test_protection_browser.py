"""支援措置 in a real browser: search marks the protected household, the resident page alerts and hides the
address, a section user reveals it with a reason, the case page of a held certificate request alerts, and the
manager sees the reveal in the protection log."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import expect

from residents.models import Resident
from tests.browser.conftest import browser_login, browser_logout
from tests.conftest import deploy_library
from tests.protection.test_protection import _certificate_case, family  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_protected_resident_in_the_browser(page: Any, live_server: Any, client: FlaskClient,
                                           family: dict[str, Resident], shot: Any) -> None:  # noqa: F811
    deploy_library()
    head, member = family["head"], family["member"]
    case_id, _tasks = _certificate_case(client, head, "third")
    page.goto(live_server("/login"))
    browser_login(page, "shimin")
    page.goto(live_server(f"/residents?q={head.jumin_code}"))
    row = page.locator("table tbody tr", has_text=head.name)
    expect(row.locator(".badge.alert")).to_contain_text("支援措置")
    expect(row).to_contain_text("支援措置のため非表示")
    assert head.address not in page.content()
    shot(page, "search")
    row.get_by_role("link", name=head.name).click()
    expect(page.locator(".protection-alert")).to_contain_text("⚠ 支援措置対象者")
    expect(page.locator("#address")).to_have_text("（支援措置のため非表示）")
    shot(page, "resident")
    page.get_by_label("目的").select_option("official")
    page.get_by_label("理由").fill("国保資格の職権確認")
    page.get_by_role("button", name="理由を記録して表示").click()
    expect(page.locator("#revealed-address")).to_contain_text(head.address)
    page.goto(live_server(f"/residents/{member.id}"))
    expect(page.locator(".protection-alert")).to_contain_text("同一世帯員")
    assert member.address not in page.content()
    browser_logout(page)
    browser_login(page, "shien")  # the supervisor's section sees the held request
    page.goto(live_server(f"/cases/{case_id}"))
    expect(page.locator(".protection-alert")).to_be_visible()
    expect(page.locator("table.list.tasks")).to_contain_text("支援措置確認（上長）")
    assert head.address not in page.content()
    shot(page, "case")
    browser_logout(page)
    browser_login(page, "manager")
    page.goto(live_server("/manager/protection"))
    expect(page.locator("#protection-log")).to_contain_text("protection.reveal")
    expect(page.locator("#protection-log")).to_contain_text("国保資格の職権確認")
    expect(page.locator("#protection-log")).to_contain_text("protection.hold")
    assert head.address not in page.content()
    shot(page, "manager-log")
