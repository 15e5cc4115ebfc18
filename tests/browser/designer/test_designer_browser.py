"""The designer in a real browser: change a decision rule (dmn-js) and a task's lane (bpmn-js), deploy; new cases
follow the new versions while a case started before keeps its own; an invalid diagram is refused with the
message on the element."""

from __future__ import annotations

import json
import re

import pytest

from core.db import db
from tests.browser.conftest import browser_login
from tests.conftest import DATA_DIR, actor, deploy_library
from workflows import registry, runtime

pytestmark = pytest.mark.browser


def _start(members: int) -> int:
    case = runtime.start_case(process_key="fee_flow", actor=actor("counter"), data={"members": members})
    db.session.commit()
    return case.id


def _complete_reception(case_id: int) -> dict:
    db.session.expire_all()
    task = next(t for t in runtime.get_case(case_id).tasks if t.spec_name == "reception")
    runtime.complete_task(task_id=task.id, data={"outcome": "accepted"}, actor=actor("counter"))
    db.session.commit()
    case = runtime.get_case(case_id)
    review = next(t for t in case.tasks if t.spec_name == "review")
    return {"fee": runtime.case_data(case)["fee"], "section": review.section_code,
            "version": json.loads(case.snapshot.library)["fee_flow"]}


def _open_editor(page, key: str) -> None:
    page.goto(f"/designer/models/{key}/edit")
    page.wait_for_selector("body[data-editor-ready='1']")


def _change_rule(page, shot) -> None:
    _open_editor(page, "fee_by_household")
    cell = page.locator("td[data-row-id='rule_small'][data-col-id='out_fee']")
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("500")
    page.locator("h2#try-title").click()  # leave the cell
    page.fill("#sample", '{"members": 2}')
    page.click("#evaluate")
    page.wait_for_selector("#result:has-text('判定結果')")  # no wait_for_function: the CSP forbids eval
    assert json.loads(page.inner_text("#result").split("判定結果:")[1]) == {"fee": 500}
    page.click("#deploy")
    page.wait_for_selector("#status.ok")
    assert "fee_by_household v2" in page.inner_text("#status")
    shot(page, "dmn-deployed")


def _move_review_to_hoken(page, shot) -> None:
    _open_editor(page, "fee_flow")
    page.click("[data-element-id='review']", position={"x": 50, "y": 60})
    page.select_option("#bio-properties-panel-lane", "lane_hoken")
    page.click("#deploy")
    page.wait_for_selector("#status.ok")
    assert "fee_flow v2" in page.inner_text("#status")
    shot(page, "bpmn-deployed")


def test_designer_changes_rule_and_lane_and_old_cases_keep_their_version(page, shot) -> None:
    deploy_library(DATA_DIR / "designer")
    old_case = _start(members=2)
    browser_login(page, "designer")
    _change_rule(page, shot)
    _move_review_to_hoken(page, shot)

    new_case = _start(members=2)
    assert _complete_reception(new_case) == {"fee": 500, "section": "hoken", "version": 2}
    assert _complete_reception(old_case) == {"fee": 300, "section": "shimin", "version": 1}

    page.goto("/designer/models/fee_flow?old=1&new=2")
    page.wait_for_selector("#diff-properties[data-ready='1']")
    row = page.locator("#diff-properties tr[data-element='review']", has_text="レーン（担当課）")
    assert row.locator("td.old").inner_text() == "市民課" and row.locator("td.new").inner_text() == "保険年金課"
    shot(page, "diff")
    page.goto("/designer/models/fee_by_household?old=1&new=2")
    cell = page.locator("#diff-cells tr[data-rule='rule_small']")
    assert cell.locator("td.old").inner_text() == "300" and cell.locator("td.new").inner_text() == "500"
    assert re.search(r"v1.*処理中 1", page.inner_text("#versions"), re.S)


def test_invalid_diagram_is_refused_with_the_message_on_the_element(page, shot) -> None:
    deploy_library(DATA_DIR / "designer")
    browser_login(page, "designer")
    _open_editor(page, "fee_flow")
    page.click("[data-element-id='reception']", position={"x": 50, "y": 60})
    page.fill("#bio-properties-panel-due", "明日")
    page.keyboard.press("Tab")
    page.wait_for_timeout(600)  # the panel writes a text field after its debounce
    page.click("#deploy")
    badge = page.locator(".problem-badge[data-element='reception']")
    badge.wait_for()
    assert "期限 '明日' は ISO 8601 の期間ではありません" in badge.inner_text()
    assert "1 件" in page.inner_text("#status.error")
    assert page.locator("[data-element-id='reception'].has-problem").count() == 1
    shot(page, "refused")
    db.session.expire_all()
    assert [v.version for v in registry.list_versions("fee_flow")] == [1]
