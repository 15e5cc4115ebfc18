"""The guide and the forms printed from the browser: each PDF the server makes, opened in the browser as staff
open it (Firefox's pdf.js viewer) and printed at A4 (WebDriver:Print), has as many pages as the PDF itself (counted
with pypdf), and every printed page is A4.

Firefox ESR only: headless Chromium cannot print a PDF through its viewer (Page.printToPDF of a PDF document
gives one blank page whatever the document, so the check would only measure that). Chromium's printing of the
guide page itself (the staff chrome hidden by the print stylesheet) is checked in test_staff_journey.py."""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader

from core.db import db
from tests.browser.drivers import Driver
from tests.browser.test_journeys import _family, login, pages_of
from tests.forms.support import start_visit

pytestmark = pytest.mark.browser
A4_PT = (595.3, 841.9)


def _printed(d: Driver, path: str, expected: int) -> PdfReader:
    """Open ``path`` in the browser, wait for its viewer to lay out ``expected`` pages, print it."""
    d.goto(path)
    deadline = time.monotonic() + 15
    while True:
        printout = PdfReader(io.BytesIO(d.pdf()))
        if len(printout.pages) == expected or time.monotonic() > deadline:
            return printout
        time.sleep(0.5)


@pytest.mark.parametrize("drive", ["firefox"], indirect=True)
def test_guide_and_forms_print_at_a4_with_the_pdfs_page_count(drive: Driver) -> None:
    # Many procedures: the guide runs over more than one page.
    procedures = [("juki.tennyu", "転入届", ["juki_tennyu"], "done")] + [
        (f"test.p{i}", f"手続{i}（窓口で案内）", [], "open") for i in range(1, 61)]
    case_id = start_visit(_family(), procedures=procedures)
    db.session.commit()
    login(drive, "counter")
    drive.goto(f"/cases/{case_id}/documents")
    drive.click("main form button[type=submit]")
    drive.wait("a[href^='/api/v1/documents/']")
    paths = [f"/counter/cases/{case_id}/guide.pdf", *drive.js(
        "return [...document.querySelectorAll(arguments[0])].map(a => a.getAttribute('href'));",
        "a[href^='/api/v1/documents/']")]
    expected = {}
    for path in paths:  # read from our own page (a PDF viewer's page is not of our origin)
        status, kind, body = drive.fetch(path)
        assert status == 200 and kind == "application/pdf", (path, status, kind)
        expected[path] = pages_of(body)
    counts = {}
    for path in paths:
        printout = _printed(drive, path, expected[path])
        counts[path] = (expected[path], len(printout.pages))
        for page in printout.pages:
            size = (float(page.mediabox.width), float(page.mediabox.height))
            assert abs(size[0] - A4_PT[0]) < 3 and abs(size[1] - A4_PT[1]) < 3, (drive.name, path, size)
    assert all(e == p for e, p in counts.values()), (drive.name, counts)
    assert any(e > 1 for e, _ in counts.values()), counts  # a multi-page document is among them
