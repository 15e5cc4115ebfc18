"""Case batches in a real browser: the manager migrates 20 cases from v1 to v2 in one batch (dry run first),
then cancels the 5 waiting at 市民課 with a reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from core.db import db
from core.models import AuditEntry
from tests.browser.conftest import browser_login
from tests.conftest import TENNYU_FIXTURE, deploy_library
from tests.workflows.test_batches import _v2
from tests.workflows.test_runtime import RECEPTION, complete, ready, start_tennyu
from workflows.models import Case

pytestmark = pytest.mark.browser


def test_migrate_twenty_then_cancel_five(page: Any, shot: Any) -> None:
    deploy_library(TENNYU_FIXTURE)
    cases = [start_tennyu() for _ in range(20)]
    for case in cases[:5]:
        complete(ready(case)["reception"].id, "counter", RECEPTION)  # these 5 now wait at 市民課
    _v2()
    browser_login(page, "manager")
    page.goto("/manager/batches/")
    page.select_option("#action", "migrate")
    page.select_option("#process_key", "tennyu")
    page.fill("#version", "1")
    page.fill("#to_version", "2")
    page.get_by_role("button", name="試行（変更しない）").click()
    rows = page.locator("table.batch-result tbody tr")
    expect(rows).to_have_count(20)
    expect(page.locator('tr[data-outcome="would_migrate"]')).to_have_count(20)
    shot(page, "dry-run")
    db.session.expire_all()
    assert {db.session.get(Case, c.id).snapshot.model_version.version for c in cases} == {1}
    page.get_by_role("button", name="実行").click()
    expect(page.locator('tr[data-outcome="migrated"]')).to_have_count(20)
    expect(page.locator(".batch-counts")).to_contain_text("移行しました：20件")
    db.session.expire_all()
    assert {db.session.get(Case, c.id).snapshot.model_version.version for c in cases} == {2}
    page.select_option("#action", "cancel")
    page.fill("#version", "")
    page.fill("#to_version", "")
    page.fill("#section", "shimin")
    page.fill("#reason", "重複受付のため取消")
    page.get_by_role("button", name="試行（変更しない）").click()
    expect(page.locator('tr[data-outcome="would_cancel"]')).to_have_count(5)
    page.get_by_role("button", name="実行").click()
    expect(page.locator('tr[data-outcome="cancelled"]')).to_have_count(5)
    shot(page, "cancelled")
    db.session.expire_all()
    states = {c.id: db.session.get(Case, c.id).state for c in cases}
    assert {states[c.id] for c in cases[:5]} == {"cancelled"} and {states[c.id] for c in cases[5:]} == {"running"}
    entries = list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "case.batch")))
    assert [json.loads(e.details)["dry_run"] for e in entries] == [True, False, True, False]
