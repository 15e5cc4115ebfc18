"""The signature tablet page in Chromium (under the app's CSP): draw, save, and the form carries the image."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from core.db import db
from tests.browser.conftest import browser_login, draw_signature
from tests.forms.support import family_of_four, load_residents, start_visit
from workflows.visit import signatures

pytestmark = pytest.mark.browser


def test_resident_signs_on_the_tablet_and_the_signature_is_stored(app, page: Any) -> None:
    head = family_of_four(load_residents(400))
    case_id = start_visit(head, procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "done")])
    browser_login(page, "counter")
    page.goto(f"/counter/cases/{case_id}/signature")
    page.click("#signature-save")
    assert page.locator("#signature-error").is_visible()  # empty pad: refused in the page
    draw_signature(page)
    page.click("#signature-save")
    page.wait_for_url(f"**/counter/cases/{case_id}")
    page.goto(f"/cases/{case_id}/documents")
    db.session.expire_all()
    stored = signatures.get(case_id)
    assert stored is not None and stored.taken_by == "counter"
    image = Image.open(io.BytesIO(stored.png))
    assert image.format == "PNG" and image.getbbox() is not None
    page.click("text=書類を作成・更新する")
    page.wait_for_load_state("load")
    assert page.locator("text=住民異動届（転入）").count() == 1
