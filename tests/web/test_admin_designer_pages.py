"""Admin and designer pages and API over HTTP: roles, logged changes, errors that say where, diff and migration."""

from __future__ import annotations

import pytest

from core import city
from core.db import db
from core.models import AuditEntry, Terminal, User
from tests.conftest import DATA_DIR, actor, api_headers, csrf_token, deploy_library, login
from workflows import runtime


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.parametrize("path", ["/admin/", "/admin/users", "/admin/sections", "/admin/terminals",
                                  "/admin/settings", "/admin/jobs"])
def test_admin_pages_need_the_admin_role(client, path: str) -> None:
    login(client, "designer")
    assert client.get(path).status_code == 403
    login(client, "admin")
    response = client.get(path)
    assert response.status_code == 200 and "システム管理" in response.get_data(as_text=True)


def test_admin_creates_updates_and_deactivates_a_user(client) -> None:
    login(client, "admin")
    token = csrf_token(client, "/admin/users")
    client.post("/admin/users", data={"csrf_token": token, "username": "tanaka", "display_name": "田中",
                                      "role": "section", "password": "long-enough-1", "sections": ["zeimu"]})
    user = db.session.scalar(db.select(User).where(User.username == "tanaka"))
    try:
        assert user.section_codes == ["zeimu"] and _audit("admin.user.create")[0].username == "admin"
        client.post(f"/admin/users/{user.id}", data={"csrf_token": token, "display_name": "田中一郎",
                                                     "role": "section", "sections": ["zeimu", "shimin"]})
        client.post(f"/admin/users/{user.id}/active", data={"csrf_token": token, "active": "0"})
        db.session.expire_all()
        assert sorted(user.section_codes) == ["shimin", "zeimu"] and not user.active
        assert _audit("admin.user.deactivate")[0].target_id == "tanaka"
        short = client.post(f"/admin/users/{user.id}/password", data={"csrf_token": token, "password": "x"},
                            follow_redirects=True)
        assert "password" in short.get_data(as_text=True) and not _audit("admin.user.reset_password")
    finally:
        db.session.delete(user)
        db.session.commit()


def test_settings_are_checked_field_by_field_and_logged(client) -> None:
    login(client, "admin")
    token = csrf_token(client, "/admin/settings")
    values = city.values()
    bad = client.post("/admin/settings", data={**values, "csrf_token": token, "city_name": "長" * 41,
                                               "office_hours": "9:00-17:00"}, follow_redirects=True)
    assert "city_name" in bad.get_data(as_text=True)
    assert city.values() == values  # nothing stored: the good field waits for the bad one
    client.post("/admin/settings", data={**values, "csrf_token": token, "city_name": "窓口市"})
    assert city.get("city_name") == "窓口市"
    assert _audit("admin.settings.update")[0].details.count("窓口市") == 1


def test_terminals_and_sections(client) -> None:
    login(client, "admin")
    token = csrf_token(client, "/admin/terminals")
    client.post("/admin/terminals", data={"csrf_token": token, "name": "窓口端末01", "location": "1階 総合窓口"})
    assert db.session.scalar(db.select(Terminal.location).where(Terminal.name == "窓口端末01")) == "1階 総合窓口"
    clash = client.post("/admin/sections/zeimu", data={"csrf_token": token, "name": "税務課", "lane": "市民課"},
                        follow_redirects=True)
    assert "市民課" in clash.get_data(as_text=True) and not _audit("admin.section.update")


def test_designer_api_check_deploy_diff_and_migrate(client) -> None:
    deploy_library(DATA_DIR / "designer")
    headers = api_headers("designer")
    flow = (DATA_DIR / "designer" / "fee_flow.bpmn").read_text(encoding="utf-8")
    bad = flow.replace('name="総合窓口"', 'name="存在しない課"')
    checked = client.post("/api/v1/designer/check", json={"file_name": "fee_flow.bpmn", "xml": bad}, headers=headers)
    assert checked.status_code == 200
    assert {p["element"] for p in checked.get_json()["problems"]} >= {"reception", "decide_fee"}
    refused = client.post("/api/v1/designer/deploy", json={"file_name": "fee_flow.bpmn", "xml": bad}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["error"]["details"]["problems"]
    name_error = client.post("/api/v1/designer/deploy", json={"file_name": "../x.txt", "xml": flow}, headers=headers)
    assert name_error.status_code == 422 and "file_name" in str(name_error.get_json())

    case = runtime.start_case(process_key="fee_flow", actor=actor("counter"), data={"members": 1})
    db.session.commit()
    moved = flow.replace("<bpmn:flowNodeRef>reception</bpmn:flowNodeRef>", "").replace(
        '<bpmn:lane id="lane_hoken" name="保険年金課" />',
        '<bpmn:lane id="lane_hoken" name="保険年金課"><bpmn:flowNodeRef>reception</bpmn:flowNodeRef></bpmn:lane>')
    deployed = client.post("/api/v1/designer/deploy", json={"file_name": "fee_flow.bpmn", "xml": moved},
                           headers=headers)
    assert deployed.status_code == 201 and deployed.get_json()["versions"][0]["version"] == 2
    assert deployed.get_json()["versions"][0]["new"] is True
    diff = client.get("/api/v1/designer/models/fee_flow/diff?old=1&new=2", headers=headers).get_json()
    assert {e["element"] for e in diff["elements"]} == {"lane_madoguchi", "lane_hoken"}
    xml = client.get("/api/v1/designer/models/fee_flow/versions/2/xml", headers=headers)
    assert xml.get_data(as_text=True) == moved
    assert client.get("/api/v1/designer/models/fee_flow/cases", headers=headers).get_json()["versions"] == {
        "1": {"running": 1}}

    assert client.post(f"/api/v1/designer/cases/{case.id}/migrate", headers=headers).status_code == 403
    migrated = client.post(f"/api/v1/designer/cases/{case.id}/migrate", headers=api_headers("admin"))
    assert migrated.status_code == 200 and migrated.get_json()["to_version"] == 2
    db.session.expire_all()
    ready = [t for t in runtime.get_case(case.id).tasks if t.state == "ready"]
    assert [(t.spec_name, t.section_code) for t in ready] == [("reception", "hoken")]


def test_designer_pages_render(client) -> None:
    deploy_library(DATA_DIR / "designer")
    login(client, "designer")
    assert "fee_by_household" in client.get("/designer/").get_data(as_text=True)
    assert "designer/dist/bpmn-editor.js" in client.get("/designer/models/fee_flow/edit").get_data(as_text=True)
    dmn_page = client.get("/designer/models/fee_by_household/edit").get_data(as_text=True)
    assert "designer/dist/dmn-editor.js" in dmn_page and '"members"' in dmn_page
    for asset in ("bpmn-font.css", "dmn-font.css", "dmn-js-decision-table.css", "properties-panel.css",
                  "bpmn-js-bpmnlint.css"):
        with client.get(f"/vendor/{asset}") as response:
            assert response.status_code == 200, asset
    for bundle in ("bpmn-editor.js", "dmn-editor.js"):  # built by scripts/setup
        with client.get(f"/static/designer/dist/{bundle}") as response:
            assert response.status_code == 200, bundle
    login(client, "counter")
    assert client.get("/designer/").status_code == 403
