"""The counter visit done with the keyboard only, on both browsers: Tab reaches every control in a sensible order,
each focused control shows a focus ring that stands out from the page (3:1, WCAG 1.4.11) and has a name a screen
reader reads (its label, aria-label or text), and Enter/Space/arrows complete the visit. The one exception is the
signature: the resident draws it with a finger on the tablet (a pointer, as in the real counter)."""

from __future__ import annotations

from typing import Any

import pytest

from core.db import db
from tests.browser.axe import COLOUR_JS
from tests.browser.drivers import Driver
from tests.browser.test_journeys import EVENT_DATE, PEN, _family
from tests.conftest import PASSWORD, deploy_library
from tests.web.test_counter_path import _answer
from workflows.visit import answers as visit_answers

pytestmark = pytest.mark.browser
MAX_TABS = 120
MIN_RING_CONTRAST = 3.0
_FOCUS = COLOUR_JS + """
const el = document.activeElement;
if (!el || el === document.body) return null;
const s = getComputedStyle(el);
const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? rgb(s.outlineColor) : null;
const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
  .map(id => (document.getElementById(id) || {}).innerText || '').join(' ');
const labels = el.labels ? [...el.labels].map(l => l.innerText).join(' ') : '';
const text = ['A', 'BUTTON', 'SUMMARY'].includes(el.tagName) ? el.innerText : '';
const name = (el.getAttribute('aria-label') || byIds || labels || text || el.title || '').trim();
return {matches: el.matches(arguments[0]), id: el.id, tag: el.tagName.toLowerCase(), name: name.slice(0, 60),
        ring: !!ring, outline: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor,
        contrast: ring ? contrast(ring, background(el.parentElement)) : 0};
"""


def tab_to(d: Driver, selector: str, answer: Any = None) -> dict[str, Any]:
    """Press Tab until ``selector`` has the focus, checking every control on the way; ``answer(d, focused)`` may
    type into a control passed on the way. Returns the focused control."""
    for tabs in range(MAX_TABS):
        focused = d.js(_FOCUS, selector)
        if focused and focused["matches"] and not tabs:
            return focused  # already there (autofocus)
        if focused and tabs:  # reached by Tab: named, with its ring drawn
            where = f"{d.name} {d.path()}: {focused['tag']}#{focused['id']}"
            assert focused["name"], f"{where} has no name a screen reader can read"
            assert focused["ring"] and focused["contrast"] >= MIN_RING_CONTRAST, f"{where}: focus ring {focused}"
            if focused["matches"]:
                return focused
            if answer:
                answer(d, focused)
        d.press("Tab")
    raise AssertionError(f"{d.name}: {MAX_TABS} Tabs on {d.path()} never reached {selector!r}")


def activate(d: Driver, selector: str) -> None:
    tab_to(d, selector)
    d.press("Enter")


def _answer_questions(case_id: int) -> Any:
    db.session.expire_all()
    questions = {"q-" + q.name.replace(".", "-"): q for q in visit_answers.questions(case_id=case_id)}
    answered: set[str] = set()

    def answer(d: Driver, focused: dict[str, Any]) -> None:
        q = questions.get(focused["id"])
        if q is None or focused["id"] in answered or q.key == "moved_in_on":
            return
        answered.add(focused["id"])
        wanted = _answer(q)
        if q.field.type == "choice":
            for _ in range(40):  # a closed list moves one option per arrow key
                if d.value("#" + focused["id"]) == wanted:
                    break
                d.press("ArrowDown")
            assert d.value("#" + focused["id"]) == wanted, (focused, wanted)
        elif q.field.type == "boolean":
            d.press("Space")
        else:
            d.type(wanted)

    answer.answered = answered  # type: ignore[attr-defined]
    answer.expected = {k for k, q in questions.items() if q.key != "moved_in_on"}  # type: ignore[attr-defined]
    return answer


def test_counter_visit_with_the_keyboard_only(drive: Driver) -> None:
    deploy_library()
    d, head = drive, _family()
    d.goto("/login")
    tab_to(d, "#username")
    d.type("counter")
    tab_to(d, "#password")
    d.type(PASSWORD)
    tab_to(d, "#terminal")
    d.type("1F-窓口01")
    d.press("Enter")
    d.wait_path(r"/counter/")
    tab_to(d, "#q")
    d.type(head.name)
    d.press("Enter")
    d.wait("table.list")
    activate(d, f"a[href='/counter/residents/{head.id}']")
    d.wait("table.household")
    activate(d, "main form.card button[type=submit]")
    d.wait_path(r"/tasks/\d+")
    tab_to(d, "#f-event_date")
    d.type(EVENT_DATE)
    activate(d, "form.task-form button[type=submit]")
    d.wait_path(r"/counter/cases/\d+")
    case_id = int(d.path().rsplit("/", 1)[1])
    activate(d, f"a[href='/counter/cases/{case_id}/documents']")
    d.wait("form.task-form")
    answer = _answer_questions(case_id)
    activate_with = tab_to(d, "form.task-form button[type=submit]", answer)
    assert activate_with and answer.answered == answer.expected, answer.expected - answer.answered
    d.press("Enter")
    d.wait_text(".flash.info", "件の書類を作成しました")
    activate(d, f"a[href='/counter/cases/{case_id}/signature']")
    d.wait("#signature-pad[data-ready='1']")
    d.draw("#signature-pad", PEN)  # the resident's finger
    activate(d, "#signature-save")
    d.wait_text(".flash.info", "署名を保存しました。")
    activate(d, f"form[action='/counter/cases/{case_id}/hand-over'] button")
    d.wait_text("h1", "手続案内書")
    assert tab_to(d, "#print-guide")["name"] == "印刷する"
