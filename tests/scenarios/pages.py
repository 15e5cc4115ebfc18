"""Driving the counter pages like a browser without one: post forms with their CSRF token, fill a form generically.

``fill(html)`` reads the first ``form.task-form`` of a page and answers every control the way a clerk would (a
date as typed at the counter, the first option of a choice, a plausible text), so a test names only the values
it is about and the rest of the form stays whatever the page asks.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from flask.testing import FlaskClient
from lxml import html as lxml_html

from tests.conftest import csrf_token
from tests.web.test_counter_path import _signature_png

TEXT_BY_NAME = (("kana", "コタエ"), ("postal", "753-8650"), ("phone", "083-922-4111"), ("account", "0123456"),
                ("pension_no", "1234567890"), ("pension_code", "1234"), ("registration_no", "12345"),
                ("setai_no", "1000001"), ("jumin_code", "12345678901"), ("birth_date", "1980-01-01"),
                ("address", "広島県広島市中区基町10-52"))


def post(client: FlaskClient, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    """POST ``data`` to ``path`` with the CSRF token of ``page`` (default: the same path)."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)})


def sign_and_hand_over(client: FlaskClient, case_id: int) -> None:
    """The resident signs on the tablet page and the clerk sends the visit to the sections, as the pages do."""
    signed = post(client, f"/counter/cases/{case_id}/signature",
                  {"signature": "data:image/png;base64," + base64.b64encode(_signature_png()).decode()})
    assert signed.status_code == 302
    sent = post(client, f"/counter/cases/{case_id}/hand-over", {}, page=f"/counter/cases/{case_id}")
    assert sent.headers["Location"].endswith(f"/counter/cases/{case_id}/guide")


def _forms(page_html: str, css_class: str) -> list[Any]:
    root = lxml_html.fromstring(page_html)
    return root.xpath(f"//form[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]")


def _text_for(name: str) -> str:
    return next((value for key, value in TEXT_BY_NAME if key in name), "回答")


def fill(page_html: str, *, form_class: str = "task-form", dates: str = "2026-11-18") -> dict[str, Any]:
    """A value for every control of the page's first form of class ``form_class`` (checkboxes left unticked)."""
    forms = _forms(page_html, form_class)
    assert forms, f"no form.{form_class} on the page"
    values: dict[str, Any] = {}
    for control in forms[0].iter("input", "select", "textarea"):
        name = control.get("name")
        if not name or name in {"csrf_token", "version"}:
            continue
        kind = control.get("type", "text") if control.tag == "input" else control.tag
        if kind in {"hidden", "submit"}:
            values[name] = control.get("value", "")
        elif kind == "checkbox":
            continue
        elif control.tag == "select":
            options = [o.get("value") for o in control.iter("option") if o.get("value")]
            values[name] = options[0] if options else ""
        elif kind == "number":
            values[name] = control.get("min") or "1"
        elif kind == "date" or "date" in (control.get("class") or "") or re.search(r"(_on|_date|date)$", name):
            values[name] = control.get("value") or dates
        elif control.tag == "textarea":
            values[name] = control.text or ""
        else:
            values[name] = control.get("value") or _text_for(name)
    return values


def names_in(page_html: str, *, form_class: str = "task-form") -> list[str]:
    """The names of the controls of the page's first form of class ``form_class``."""
    forms = _forms(page_html, form_class)
    return [c.get("name") for c in forms[0].iter("input", "select", "textarea") if c.get("name")] if forms else []
