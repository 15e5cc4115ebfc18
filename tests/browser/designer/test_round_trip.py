"""Every journey and every decision table of bpmn/ survives the browser editor: opened unmodified, 検証 finds no
problem, デプロイ makes no new version (the saved file says what the stored one says), and the spiffworkflow:
extensions (multi-instance loop data, properties, lanes, operations, decisions) are all still there."""

from __future__ import annotations

import pytest
from lxml import etree

from core.db import db
from core.settings import REPO_ROOT
from tests.browser.conftest import browser_login
from tests.conftest import deploy_library
from workflows import canonical, registry

pytestmark = pytest.mark.browser
JOURNEYS = sorted(p.stem for p in (REPO_ROOT / "bpmn" / "journeys").glob("*.bpmn"))
DECISIONS = sorted(p.stem for p in (REPO_ROOT / "bpmn" / "decisions").glob("*.dmn"))
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _extensions(xml: str) -> list[tuple[str, str, str]]:
    """What the registry reads from a journey: every spiffworkflow element and loop reference, with its owner."""
    root = etree.fromstring(xml.encode())
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        owner = next((a.get("id") for a in element.iterancestors() if a.get("id")), "")
        if element.tag.startswith(SPIFF) or element.tag in (f"{BPMN}loopDataInputRef", f"{BPMN}inputDataItem"):
            found.append((owner, etree.QName(element).localname,
                          repr(sorted(element.attrib.items())) + (element.text or "").strip()))
    return sorted(found)


def _open_check_deploy(page, key: str) -> str:
    page.goto(f"/designer/models/{key}/edit")
    page.wait_for_selector("body[data-editor-ready='1']")
    page.click("#check")
    page.wait_for_selector("#status.ok, #status.error")
    assert page.inner_text("#status") == "問題はありません。", (key, page.inner_text("#problems"))
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('デプロイしました'), #status:has-text('変更はありません'), #status.error")
    return page.inner_text("#status")


def test_every_journey_and_decision_round_trips_unchanged(page, shot) -> None:
    deploy_library()
    before = {v.key: (v.version, v.xml) for v in registry.latest_versions()}
    assert set(JOURNEYS) | set(DECISIONS) <= set(before) and len(JOURNEYS) == 9
    saved: dict[str, str] = {}

    def capture(request) -> None:
        if request.url.endswith("/api/v1/designer/deploy"):
            body = request.post_data_json
            saved[body["file_name"].rsplit(".", 1)[0]] = body["xml"]

    page.on("request", capture)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text
            and "404" not in m.text else None)
    browser_login(page, "designer")
    for key in [*JOURNEYS, *DECISIONS]:
        text = _open_check_deploy(page, key)
        if key == JOURNEYS[0]:  # the properties panel shows Madoguchi's groups for a multi-instance user task
            page.locator("[data-element-id='shimin_procedures'] .djs-hit").click()
            assert page.input_value("#bio-properties-panel-loopDataInputRef") == "proc_shimin"
            assert page.input_value("#bio-properties-panel-form") == "procedure_task"
            shot(page, "properties")
        assert text == f"変更はありません（{key} v1 のまま）", (key, text)
        if key in ("journey_tennyu", "proc_kouki"):
            shot(page, key)

    assert errors == []  # no script error in any editor
    db.session.expire_all()
    assert {v.key: (v.version, v.xml) for v in registry.latest_versions()} == before
    for key in JOURNEYS:  # the browser's own XML: formatted differently, saying the same
        assert saved[key] != before[key][1]
        assert _extensions(saved[key]) == _extensions(before[key][1]), key
        assert canonical.canonical(etree.fromstring(saved[key].encode())) == canonical.canonical(
            etree.fromstring(before[key][1].encode()))
    for key in DECISIONS:
        assert canonical.canonical(etree.fromstring(saved[key].encode())) == canonical.canonical(
            etree.fromstring(before[key][1].encode())), key
