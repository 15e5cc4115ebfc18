"""Staff screens without a browser: who may see what, inbox filters, conflicts, barcode scans, 支援措置, CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from core import audit, calendar
from core.db import db, utcnow
from core.tx import atomic
from residents import protection
from tests.conftest import TENNYU_FIXTURE, actor, csrf_token, deploy_library, login
from tests.support.families import FAMILY, make_household
from workflows import runtime
from workflows.models import CaseTask
from workflows.visit import intake

RECEPTION = {"applicant_name": "山田 太郎", "applicant_kana": "ヤマダ タロウ", "moved_in_on": "2026-11-20",
             "previous_address": "広島市", "new_address": "山口市", "household_size": "4", "children_count": "2",
             "identity_document": "passport"}


def _post(client: FlaskClient, path: str, data: dict, page: str = "/inbox") -> object:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def _case_at_sections() -> dict[str, CaseTask]:
    """A case of the small 転入 fixture whose reception is done: one ready task per section (shimin, hoken, kodomo)."""
    deploy_library(TENNYU_FIXTURE)
    residents = make_household()
    case = atomic(lambda: intake.start_visit(process_key="tennyu", resident_id=residents[0].id,
                                                    events=["tennyu"], actor=actor("counter"),
                                                    today=utcnow().date()))
    reception = next(t for t in runtime.list_tasks(case_id=case.id))
    atomic(lambda: runtime.complete_task(task_id=reception.id, data=RECEPTION, actor=actor("counter")))
    return {t.section_code: t for t in runtime.list_tasks(case_id=case.id)}


def test_a_section_user_cannot_see_or_act_on_another_sections_tasks(app, client: FlaskClient) -> None:
    tasks = _case_at_sections()
    assert set(tasks) == {"shimin", "hoken", "kodomo"}
    login(client, "shimin")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f'/tasks/{tasks["shimin"].id}"' in inbox and f'/tasks/{tasks["hoken"].id}"' not in inbox
    assert client.get("/inbox?section=hoken").status_code == 403
    other = tasks["hoken"].id
    assert client.get(f"/tasks/{other}").status_code == 403
    assert _post(client, f"/tasks/{other}", {"outcome": "accepted"}).status_code == 403
    assert _post(client, f"/tasks/{other}/claim", {}).status_code in {302, 403}
    db.session.expire_all()
    hoken = db.session.get(CaseTask, other)
    assert hoken.state == "ready" and hoken.assignee is None  # nothing changed
    assert client.get(f"/tasks/{tasks['shimin'].id}").status_code == 200


def test_section_user_sees_only_cases_of_their_sections(app, client: FlaskClient) -> None:
    tasks = _case_at_sections()
    login(client, "zeimu")  # 税務課 has no task in a 転入
    assert client.get(f"/cases/{tasks['shimin'].case_id}").status_code == 403
    login(client, "kodomo")
    assert client.get(f"/cases/{tasks['shimin'].case_id}").status_code == 200


@pytest.mark.parametrize("username", ["counter", "shimin"])
def test_counter_and_section_users_cannot_open_manager_designer_or_admin_pages(app, client, username) -> None:
    tasks = _case_at_sections()
    login(client, username)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/manager", "/designer", "/admin")) or "GET" not in rule.methods:
            continue
        path = re.sub(r"<(?:int:)?[^>]+>", lambda m: str(tasks["shimin"].case_id) if "int" in m.group(0) else "x",
                      rule.rule)
        assert client.get(path).status_code == 403, path
        checked += 1
    assert checked >= 4  # at least the manager pages
    assert client.get("/manager/stats.csv").status_code == 403


def test_counter_pages_are_for_counter_staff(app, client: FlaskClient) -> None:
    residents = make_household()
    login(client, "shimin")
    assert client.get("/counter/?q=ヤマダ").status_code == 403
    assert client.get(f"/counter/residents/{residents[0].id}").status_code == 403


def test_inbox_filters_claim_and_conflict(app, client: FlaskClient) -> None:
    tasks = _case_at_sections()
    task = tasks["shimin"]
    login(client, "shimin")
    assert f"/tasks/{task.id}\"" in client.get("/inbox?assignee=unassigned").get_data(as_text=True)
    assert f"/tasks/{task.id}\"" not in client.get("/inbox?due=overdue").get_data(as_text=True)
    assert f"/tasks/{task.id}\"" not in client.get("/inbox?waiting=30").get_data(as_text=True)
    # "today" is the Japan-time day: the fixture's PT1H due date falls tomorrow after 23:00 JST, so the test
    # sets the due time itself — the day's last minute, then the next day's first.
    end_of_today = calendar.day_bounds(utcnow().astimezone(calendar.JST).date())[1]
    for due_at, listed in ((end_of_today - timedelta(minutes=1), True), (end_of_today + timedelta(minutes=1), False)):
        db.session.execute(update(CaseTask).where(CaseTask.id == task.id).values(due_at=due_at))
        db.session.commit()
        page = client.get("/inbox?journey=tennyu&due=today").get_data(as_text=True)
        assert (f"/tasks/{task.id}\"" in page) is listed, due_at
    assert client.get("/inbox?waiting=abc").status_code == 422
    claimed = _post(client, f"/tasks/{task.id}/claim", {"next": "/inbox"})
    assert claimed.status_code == 302 and claimed.headers["Location"] == "/inbox"
    rows = client.get("/inbox?assignee=me", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in rows and f"/tasks/{task.id}\"" in rows and "担当を外す" in rows
    # Someone else completes it while this page is open: the clerk gets a conflict message, not a crash.
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    atomic(lambda: runtime.complete_task(task_id=task.id, data={"outcome": "accepted"}, actor=actor("shimin")))
    late = _post(client, f"/tasks/{task.id}", {"outcome": "not_applicable", "version": version})
    assert late.status_code == 409
    assert "他の職員が先に処理" in late.get_data(as_text=True)


def test_the_inbox_shows_a_due_moment_in_wareki_and_japan_time(app, client: FlaskClient) -> None:
    """A 期限 is read by people: 和暦 and Japan time on a Japanese page, 西暦 on an English one (found walking the
    sections' inbox, which showed 2026-12-21 17:15)."""
    task = _case_at_sections()["shimin"]
    db.session.execute(update(CaseTask).where(CaseTask.id == task.id)
                       .values(due_at=datetime(2026, 12, 21, 8, 15, tzinfo=UTC)))
    db.session.commit()
    login(client, "shimin")
    assert "令和8年12月21日 17:15" in client.get("/inbox").get_data(as_text=True)
    assert "2026-12-21 17:15" in client.get("/inbox?lang=en").get_data(as_text=True)


def test_overdue_filter_and_manager_csv(app, client: FlaskClient) -> None:
    tasks = _case_at_sections()
    hoken = db.session.get(CaseTask, tasks["hoken"].id)
    hoken.due_at = utcnow() - timedelta(minutes=5)
    hoken.created_at = utcnow() - timedelta(minutes=65)
    db.session.commit()
    login(client, "hoken")
    assert f"/tasks/{hoken.id}\"" in client.get("/inbox?due=overdue&waiting=60").get_data(as_text=True)
    login(client, "manager")
    page = client.get("/manager/").get_data(as_text=True)
    assert 'data-section="hoken"' in page and "期限超過の作業はありません" not in page
    response = client.get("/manager/stats.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_code = {r[0]: r for r in rows[1:]}
    assert rows[0][:3] == ["課コード", "課", "処理待ち"]
    assert by_code["hoken"][2:4] == ["1", "1"] and by_code["madoguchi"][4] == "1"  # reception completed today
    assert client.get("/manager/?from=2026-13-01").status_code == 422


def test_barcode_scan_opens_the_household_and_views_are_logged(app, client: FlaskClient) -> None:
    residents = make_household()
    login(client, "counter")
    scanned = client.get(f"/counter/?q={residents[2].jumin_code}")
    assert scanned.status_code == 302 and scanned.headers["Location"] == f"/counter/residents/{residents[2].id}"
    page = client.get(scanned.headers["Location"]).get_data(as_text=True)
    assert all(name in page for name, *_ in FAMILY)
    actions = [e.action for e in audit.list_(username="counter")]
    assert "resident.search" in actions and "resident.view" in actions


def test_support_measure_hides_the_address_everywhere_on_the_counter(app, client: FlaskClient) -> None:
    residents = make_household(support_measure=True)
    login(client, "counter")
    results = client.get("/counter/?q=ヤマダ").get_data(as_text=True)
    household = client.get(f"/counter/residents/{residents[0].id}").get_data(as_text=True)
    for html in (results, household):
        assert "亀山町" not in html and protection.MASKED in html
    assert "支援措置対象者を含む世帯です" in household
    deploy_library()
    started = _post(client, f"/counter/residents/{residents[0].id}", {"events": "tennyu"}, page="/counter/")
    assert started.status_code == 302  # journey_tennyu starts, without copying the address into the case
    form = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "亀山町" not in form and "転入した日" in form
    case = runtime.list_cases()[0]
    data = runtime.case_data(case)
    assert case.process_key == "journey_tennyu" and data["support_measure"] is True
    assert "new_address" not in data and "亀山町" not in json.dumps(data, ensure_ascii=False)
