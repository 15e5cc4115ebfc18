"""Page weight and time to interactive of the staff pages (fresh browser cache, local server).

Figures are written to test-artifacts/page-weight.json and printed with ``-s``; budgets keep pages light for
4 GB terminals: every page under 600 KB transferred and interactive (DOMContentLoaded, scripts run) within 3 s.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import ARTIFACTS, browser_login
from tests.conftest import actor, deploy_library
from tests.support.families import make_household
from workflows import runtime
from workflows.visit import intake

pytestmark = pytest.mark.browser
BUDGET_BYTES = 600_000
BUDGET_MS = 3_000
MEASURE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const bytes = [nav, ...res].reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0);
  return {bytes, requests: res.length + 1, interactive_ms: Math.round(nav.domContentLoadedEventEnd),
          load_ms: Math.round(nav.loadEventEnd)};
}"""


def test_staff_pages_are_light(app, browser, live_server) -> None:
    deploy_library()
    residents = make_household()
    from core.db import utcnow
    from core.tx import atomic

    case = atomic(lambda: intake.start_visit(process_key="journey_tennyu", resident_id=residents[0].id,
                                                    events=["tennyu"], actor=actor("counter"), today=utcnow().date(),
                                                    subjects=[r.id for r in residents]))
    interview = runtime.list_tasks(case_id=case.id)[0]
    atomic(lambda: runtime.complete_task(task_id=interview.id, data={"event_date": "2026-11-20"},
                                         actor=actor("counter")))
    pages = {"counter": ["/counter/?q=ヤマダ", f"/counter/residents/{residents[0].id}", f"/counter/cases/{case.id}",
                         f"/counter/cases/{case.id}/documents"],
             "shimin": ["/inbox"],
             "manager": ["/manager/", f"/manager/cases/{case.id}"]}
    figures = {}
    for username, paths in pages.items():
        for path in paths:
            ctx = browser.new_context(base_url=live_server.url, locale="ja-JP")  # empty cache for every page
            page = ctx.new_page()
            browser_login(page, username)
            page.goto(path, wait_until="load")
            if path.startswith("/manager/cases/"):
                page.wait_for_selector("#diagram[data-ready='1']")
                figures[path + " (diagram drawn)"] = {"drawn_ms": round(page.evaluate("performance.now()"))}
            figures[path] = page.evaluate(MEASURE)
            ctx.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page-weight.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    for path, f in figures.items():
        if "bytes" in f:
            assert f["bytes"] < BUDGET_BYTES, (path, f)
            assert f["interactive_ms"] < BUDGET_MS, (path, f)
