"""axe-core on every HTML page of the staff and public screens (Chromium): 0 serious or critical violations.

Each page is opened as the role that uses it, on real objects (a 転入 visit with open tasks, a resident, the
designer's models and forms). ``PAGES`` must name every GET route that renders a page: a new page that is not
added here fails ``test_every_page_is_checked``. Every page is checked in both locales (``?lang=``, which the
session keeps), and each says which language it is in (``<html lang>``), as a screen reader needs."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core.db import db
from tests.browser.axe import assert_accessible
from tests.browser.drivers import PlaywrightDriver
from tests.browser.test_journeys import _family, login, logout
from tests.conftest import deploy_library
from tests.forms.support import start_visit
from workflows import runtime
from workflows.models import Incident
from workflows.visit.status import token_for

pytestmark = pytest.mark.browser
# GET routes that answer with no page of their own: files, fragments, redirects, machine endpoints.
NOT_PAGES = {"auth.home", "public.board_rows", "public.asset", "counter.guide_pdf", "manager.diagram_xml",
             "manager.stats_csv", "monitoring.metrics", "designer.new_form", "static",
             "preentry.address", "tickets.slip_pdf", "help.manual_pdf"}
# role -> [(endpoint, path, what to wait for)]; {case}, {task}, {resident}, {token}, {name} are filled in.
PAGES: dict[str, list[tuple[str, str, str]]] = {
    "": [("auth.login", "/login", "#username"), ("public.board", "/board", "#board"),
         ("public.status", "/status/{token}", "main"), ("preentry.form", "/pre-entry", "main")],
    "counter": [
        ("counter.search", "/counter/?q={name}", "table.list"),
        ("counter.household", "/counter/residents/{resident}", "table.household"),
        ("counter.summary", "/counter/cases/{case}", "table.procedures"),
        ("counter.visit_documents", "/counter/cases/{case}/documents", "main"),
        ("counter.signature", "/counter/cases/{case}/signature", "#signature-pad"),
        ("counter.guide_page", "/counter/cases/{case}/guide", "h1"),
        ("cases.cases", "/cases", "main"), ("cases.case", "/cases/{case}", "main"),
        ("documents.case_documents", "/cases/{case}/documents", "main"),
        ("residents.search_page", "/residents?q={name}", "main"),
        ("residents.resident_page", "/residents/{resident}", "main"),
        ("inbox.inbox", "/inbox", "#inbox-rows"), ("inbox.task", "/tasks/{task}", "main"),
        ("tickets.kiosk", "/tickets", "main"), ("tickets.self_service", "/tickets/kiosk", "main"),
        ("counter.pre_entry", "/counter/pre-entry", "main"),
    ],
    "manager": [("manager.overview", "/manager/", "body[data-chart-ready='1']"),
                ("manager.case_diagram", "/manager/cases/{case}", "#diagram[data-ready='1']"),
                ("manager.protection_log", "/manager/protection", "main"),
                ("manager.rpa_exports", "/manager/rpa", "main"),
                ("manager.batch_page", "/manager/batches", "form.batch-form")],
    "designer": [("designer.index", "/designer/", "main"),
                 ("designer.model", "/designer/models/journey_tennyu", "main"),
                 ("designer.edit", "/designer/models/journey_tennyu/edit", "body[data-editor-ready='1']"),
                 ("designer.edit", "/designer/models/proc_kouki/edit", "body[data-editor-ready='1']"),
                 ("designer.new_decision", "/designer/decisions/new", "main"),
                 ("designer.edit_form", "/designer/forms/procedure_task/edit", "body[data-editor-ready='1']")],
    "admin": [("admin.index", "/admin/", "main"), ("admin.imports", "/admin/imports", "main"),
              ("admin.jobs", "/admin/jobs", "main"), ("admin.section_list", "/admin/sections", "main"),
              ("admin.settings", "/admin/settings", "main"), ("admin.terminal_list", "/admin/terminals", "main"),
              ("admin.user_list", "/admin/users", "main"), ("cases.start", "/cases/new", "main"),
              ("help.manual_page", "/help", "main")],
}


def test_every_page_is_checked(app: Flask) -> None:
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.rule.startswith("/api/")} - NOT_PAGES
    checked = {endpoint for entries in PAGES.values() for endpoint, _, _ in entries}
    assert pages - checked == set(), "pages axe-core does not check yet"


def _objects() -> dict[str, Any]:
    head = _family()
    case_id = start_visit(head, procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "open")])
    db.session.commit()
    deploy_library()  # after the visit's own fixture: the designer's pages open the library's models
    task = runtime.list_tasks(case_id=case_id)[0]  # the reception, in the counter's inbox
    # A stopped step, so the incident panels (the case page, the manager's view, with their actions) are checked too
    db.session.add(Incident(case_id=case_id, task_uuid="00000000-0000-0000-0000-000000000000", element_id="fee",
                            element_name="手数料の計算", kind="ScriptTask", message="axe の確認用の障害", error="axe",
                            skippable=True))
    objects = {"case": case_id, "task": task.id, "resident": head.id,
               "token": token_for(case_id), "name": head.name}
    db.session.commit()  # no read transaction left open: SQLite would lock the live server out
    return objects


def _in(language: str, path: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_has_no_serious_violation(page: Any, language: str) -> None:
    objects = _objects()
    d = PlaywrightDriver(page)
    seen = []
    for role, entries in PAGES.items():
        if role:
            login(d, role)
        for _, path, ready in entries:
            d.goto(_in(language, path.format(**objects)))
            d.wait(ready, timeout=20)
            assert page.evaluate("document.documentElement.lang") == language, path
            assert_accessible(d, f"{path} ({language})")
            seen.append(path)
        if role:
            logout(d)
    assert len(seen) == sum(len(e) for e in PAGES.values())
