"""The staff journeys, written once (tests/browser/drivers.py) and run on both of the city's terminals: Chromium
(Playwright; Edge is Chromium) and Firefox ESR (Marionette). Each journey is a whole piece of real work through the
pages: the counter visit from the search to the guide with the tablet signature; the section's inbox; the
manager's diagram of the case; the designer's BPMN and DMN editors; the waiting board. Every page a journey
reaches is checked by axe-core (0 serious or critical violations, tests/browser/axe.py). Printing: test_printing.py.

Set MADOGUCHI_JOURNEY_BROWSERS=chromium (or firefox) to run one browser only; by default both run, and a missing
Firefox fails (scripts/setup installs Debian's firefox-esr)."""

from __future__ import annotations

import io
import json
import re

import pytest
from pypdf import PdfReader

from core.db import db
from tests.browser.axe import assert_accessible
from tests.browser.drivers import Driver
from tests.conftest import DATA_DIR, PASSWORD, actor, deploy_library
from tests.forms.support import load_residents
from tests.web.test_counter_path import _answer
from workflows import registry, runtime
from workflows.visit import answers as visit_answers

pytestmark = pytest.mark.browser
EVENT_DATE = "2026-11-20"
PEN = [(40 + step * 15, 100 + (step % 5) * 12) for step in range(30)]


def login(d: Driver, username: str, terminal: str | None = None) -> None:
    """Log in through the form (the counter's terminal name is what its staff type at the start of a day)."""
    d.goto("/login")
    d.fill("#username", username)
    d.fill("#password", PASSWORD)
    if terminal:
        d.fill("#terminal", terminal)
    d.click("form.card button[type=submit]")
    d.wait_path(r"(?!/login).*")
    d.wait("form.logout")


def logout(d: Driver) -> None:
    d.goto("/")
    d.click("form.logout button[type=submit]")
    d.wait("#username")


def pages_of(pdf: bytes) -> int:
    assert pdf[:5] == b"%PDF-", pdf[:40]
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _family() -> object:
    for r in load_residents(400):
        members = r.household.members if r.household else []
        if (r.relation == "世帯主" and len(members) == 4 and r.resident_type == "1"
                and not any(m.support_measure for m in members)):
            return r
    raise AssertionError("no family of four in the generated residents")


def counter_visit(d: Driver) -> int:
    """Search → household → interview → procedures → forms' answers → signature → hand-over → guide (printed)."""
    head = _family()
    login(d, "counter", terminal="1F-窓口01")
    d.wait_path(r"/counter/")
    assert_accessible(d, "counter search")
    d.fill("#q", head.name)
    d.click("form.search-form button[type=submit]")
    d.click(f"a[href='/counter/residents/{head.id}']")
    d.wait("table.household")
    assert d.count("input[name=subjects]:checked") == 4
    assert_accessible(d, "household")
    d.click("main form.card button[type=submit]")
    d.wait_path(r"/tasks/\d+")
    d.fill("#f-event_date", EVENT_DATE)
    assert_accessible(d, "interview")
    d.click("form.task-form button[type=submit]")
    d.wait_path(r"/counter/cases/\d+")
    case_id = int(d.path().rsplit("/", 1)[1])
    assert d.count("table.procedures tbody tr[data-code='juki.tennyu']") == 1
    assert_accessible(d, "visit")
    _forms(d, case_id)
    d.click(f"a[href='/counter/cases/{case_id}/signature']")
    d.wait("#signature-pad[data-ready='1']")
    assert_accessible(d, "signature")
    d.click("#signature-save")
    d.wait("#signature-error")  # an empty pad is refused in the page
    d.draw("#signature-pad", PEN)
    d.click("#signature-save")
    d.wait_text(".flash.info", "署名を保存しました。")
    d.click(f"form[action='/counter/cases/{case_id}/hand-over'] button")
    d.wait_text("h1", "手続案内書")
    assert d.attr("iframe#guide-pdf", "src") == f"/counter/cases/{case_id}/guide.pdf"
    assert_accessible(d, "guide")
    status, kind, guide = d.fetch(f"/counter/cases/{case_id}/guide.pdf")
    assert status == 200 and kind == "application/pdf" and pages_of(guide) >= 1
    return case_id  # printing the guide and the forms: test_printing.py


def _forms(d: Driver, case_id: int) -> None:
    """The forms' missing answers typed once, the documents made, one of them previewed."""
    d.click(f"a[href='/counter/cases/{case_id}/documents']")
    d.wait("form.task-form")
    db.session.expire_all()
    for q in visit_answers.questions(case_id=case_id):
        selector = "#q-" + q.name.replace(".", "-")
        if q.field.type == "choice":
            d.select(selector, _answer(q))
        elif q.field.type == "boolean":
            d.check(selector)
        elif q.key != "moved_in_on":
            d.fill(selector, _answer(q))
    assert_accessible(d, "forms' questions")
    d.click("form.task-form button[type=submit]")
    d.wait_text(".flash.info", "件の書類を作成しました")
    href = d.js("return [...document.querySelectorAll(arguments[0])].map(a => a.getAttribute('href'));",
                "a[href^='/api/v1/documents/']")
    assert href, "no document links"
    status, kind, body = d.fetch(href[0])
    assert status == 200 and kind == "application/pdf" and body[:5] == b"%PDF-"


def section_inbox(d: Driver, case_id: int) -> None:
    """A section takes each of the case's tasks from its inbox and completes it."""
    db.session.expire_all()
    section = sorted({t.section_code for t in runtime.list_tasks(case_id=case_id)})[0]
    logout(d)
    login(d, section)
    d.goto("/inbox")
    d.wait("#inbox-rows")
    assert_accessible(d, "inbox")
    done = 0
    while d.count(f"#inbox-rows tr:has(a[href='/cases/{case_id}'])"):
        d.click(f"#inbox-rows tr:has(a[href='/cases/{case_id}']) form button")
        d.wait_text(".flash.info", "担当しました。")
        if not done:
            assert_accessible(d, "task")
        d.select("select[id$=outcome]", "done")
        d.click("form.task-form button[type=submit]")
        d.wait_path(r"/inbox")
        d.wait_text(".flash.info", "を完了しました")
        done += 1
        d.goto("/inbox")
        d.wait("#inbox-rows")
    assert done >= 1


def manager_diagram(d: Driver, case_id: int) -> None:
    """The manager's table shows the case; its diagram marks the tasks still open."""
    logout(d)
    login(d, "manager")
    d.goto("/manager/")
    d.wait(f"tr[data-case='{case_id}']")
    assert_accessible(d, "manager overview")
    d.goto(f"/manager/cases/{case_id}")
    d.wait("#diagram[data-ready='1']")
    db.session.expire_all()
    active = {t.spec_name.split(" [")[0] for t in runtime.list_tasks(case_id=case_id)}
    assert d.count("#diagram .djs-element.task-active") == len(active)
    assert d.count("#diagram .djs-element.task-done") >= 1
    assert_accessible(d, "manager diagram")


def test_counter_section_manager_journey(drive: Driver) -> None:
    deploy_library()
    case_id = counter_visit(drive)
    section_inbox(drive, case_id)
    manager_diagram(drive, case_id)


def test_designer_bpmn_and_dmn_editors(drive: Driver) -> None:
    """The designer tries a decision table (dmn-js) and moves a task to another lane (bpmn-js) and deploys it."""
    deploy_library(DATA_DIR / "designer")
    d = drive
    login(d, "designer")
    d.goto("/designer/models/fee_by_household/edit")
    d.wait("body[data-editor-ready='1']")
    assert d.count("td[data-row-id='rule_small'][data-col-id='out_fee']") == 1
    d.fill("#sample", '{"members": 2}')
    d.click("#evaluate")
    assert json.loads(d.wait_text("#result", "判定結果").split("判定結果:")[1]) == {"fee": 300}
    assert_accessible(d, "DMN editor")
    d.goto("/designer/models/fee_flow/edit")
    d.wait("body[data-editor-ready='1']")
    d.click_at("[data-element-id='review']", 50, 60)
    d.wait("#bio-properties-panel-lane")
    d.select("#bio-properties-panel-lane", "lane_hoken")
    d.click("#deploy")
    assert "fee_flow v2" in d.wait_text("#status.ok", "fee_flow v2")
    assert_accessible(d, "BPMN editor")
    db.session.expire_all()
    assert [v.version for v in registry.list_versions("fee_flow")] == [1, 2]


def test_waiting_board_readable_from_five_metres(drive: Driver) -> None:
    """The board of the waiting hall read from 5 m on both screens (1920×1080 and 1366×768): every text's computed
    font-size ≥ 40 px, every ticket number's ≥ 60 px, contrast ≥ 7:1, nothing cut off (tests/browser/axe.py
    board_legibility; docs/resident-side.md)."""
    from tests.browser.axe import board_legibility
    from tests.forms.support import start_visit
    from workflows.visit import tickets

    case_id = start_visit(_family(), procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "open")])
    clerk = actor("counter")
    for purpose in ["ido", "shomei", "hoken", "kodomo", "shussei_shibo"] * 2:
        tickets.issue(purpose=purpose, actor=clerk)
    db.session.commit()
    d = drive
    assert case_id
    for width, height in ((1920, 1080), (1366, 768)):
        d.resize(width, height)
        d.goto("/board")
        d.wait("#board .ticket")
        assert_accessible(d, f"board {width}×{height}")
        problems = board_legibility(d)
        assert problems == [], (width, height, problems)
        assert re.search(r"お待ちの番号", d.text("#board"))
        assert d.js("return document.documentElement.scrollWidth <= innerWidth"), (width, height)
