"""Case batches in a real browser: the administrator migrates 20 running 転入 cases from v1 to v2 in one batch
(dry run first: nothing moves until 「実行」), then the manager cancels the 5 waiting at 市民課 with a reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from core.db import db
from core.models import AuditEntry
from tests.browser.conftest import browser_login
from tests.conftest import TENNYU_FIXTURE, actor, deploy_library
from tests.workflows.test_runtime import RECEPTION, complete, ready, start_tennyu
from web.model_rules import deploy_files
from workflows import batches
from workflows.models import Case

pytestmark = pytest.mark.browser


def _deploy_v2() -> None:
    changed = TENNYU_FIXTURE.read_text().replace("転入届の審査・入力", "転入届の審査")
    deploy_files(files=[("tennyu.bpmn", changed.encode())], actor=actor("designer"))
    db.session.commit()


def _versions(cases: list[Case]) -> set[int | None]:
    db.session.expire_all()
    return {batches.case_version(db.session.get(Case, c.id)) for c in cases}


def _migrate_as_admin(page: Any, cases: list[Case], shot: Any) -> None:
    browser_login(page, "admin")
    page.goto("/manager/batches")
    page.select_option("#action", "migrate")
    page.select_option("#process_key", "tennyu")
    page.fill("#version", "1")
    page.select_option("#state", "running")
    page.fill("#to_version", "2")
    page.fill("#reason", "転入届の審査の名称変更（第2版）")
    page.get_by_role("button", name="試行（変更しない）").click()
    expect(page.locator("table.batch-result tbody tr")).to_have_count(20)
    expect(page.locator('tr[data-outcome="would"]')).to_have_count(20)
    expect(page.locator(".batch-counts")).to_have_text("移行できます：20件")
    shot(page, "dry-run")
    assert _versions(cases) == {1}  # the dry run moved nothing
    assert not db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "case.migrate")).all()

    page.get_by_role("button", name="実行").click()
    expect(page.locator('tr[data-outcome="done"]')).to_have_count(20)
    expect(page.locator(".batch-counts")).to_have_text("移行しました：20件")
    assert _versions(cases) == {2}
    page.get_by_role("button", name="試行（変更しない）").click()  # the same filter now finds no v1 case
    expect(page.locator(".batch-counts")).to_have_text("対象の案件はありません。")


def _cancel_as_manager(manager: Any, cases: list[Case], shot: Any) -> None:
    browser_login(manager, "manager")
    manager.goto("/manager/batches")
    expect(manager.locator('#action option[value="migrate"]')).to_have_count(0)  # administrators migrate
    manager.select_option("#action", "cancel")
    manager.select_option("#process_key", "tennyu")
    manager.select_option("#state", "running")
    manager.select_option("#section", "shimin")
    manager.get_by_role("button", name="試行（変更しない）").click()
    expect(manager.locator("p.flash.error")).to_contain_text("理由")  # a cancel needs a reason
    expect(manager.locator("table.batch-result")).to_have_count(0)
    manager.fill("#reason", "重複受付のため取消")
    manager.get_by_role("button", name="試行（変更しない）").click()
    expect(manager.locator('tr[data-outcome="would"]')).to_have_count(5)
    assert {int(r) for r in manager.locator("table.batch-result tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.case)")} == {c.id for c in cases[:5]}
    manager.get_by_role("button", name="実行").click()
    expect(manager.locator('tr[data-outcome="done"]')).to_have_count(5)
    expect(manager.locator(".batch-counts")).to_have_text("取り消しました：5件")
    shot(manager, "cancelled")


def test_migrate_twenty_after_a_dry_run_then_cancel_five(page: Any, new_page: Any, shot: Any) -> None:
    deploy_library(TENNYU_FIXTURE)
    cases = [start_tennyu() for _ in range(20)]
    for case in cases[:5]:
        complete(ready(case)["reception"].id, "counter", RECEPTION)  # these 5 now wait at 市民課
    _deploy_v2()
    _migrate_as_admin(page, cases, shot)
    _cancel_as_manager(new_page(), cases, shot)

    db.session.expire_all()
    states = {c.id: db.session.get(Case, c.id).state for c in cases}
    assert {states[c.id] for c in cases[:5]} == {"cancelled"} and {states[c.id] for c in cases[5:]} == {"running"}
    logged = [json.loads(e.details) for e in db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "case.batch").order_by(AuditEntry.id))]
    assert [(d["action"], len(d["items"])) for d in logged] == [("migrate", 20), ("cancel", 5)]  # dry runs: none
    assert logged[1]["reason"] == "重複受付のため取消"
    cancels = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "case.cancel")).all()
    assert len(cancels) == 5
