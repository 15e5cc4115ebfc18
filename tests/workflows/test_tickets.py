"""Tickets through the API on the real database: numbering per purpose and day, calls per counter and section,
re-call, skip, transfer, who may do what, the measured services, the slip PDF, and the ticket's status page."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from core import places
from core.calendar import JST
from core.db import db
from tests.conftest import actor, api_headers
from tests.forms.support import pdf_text, squeeze
from workflows.visit import tickets, waits
from workflows.visit.queue_models import TicketService

MORNING = datetime(2026, 12, 3, 9, 0, tzinfo=JST)


@pytest.fixture
def counters() -> None:
    for number, section in (("1", "madoguchi"), ("2", "madoguchi"), ("3", "shimin")):
        places.save_counter(actor=actor("admin"), number=number, name=f"{number}番窓口", section_code=section)
    db.session.commit()


def _issue(client: FlaskClient, purpose: str) -> dict:
    response = client.post("/api/v1/tickets", json={"purpose": purpose}, headers=api_headers("counter"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_numbers_run_per_purpose_and_calls_go_to_the_counters_section(client: FlaskClient, counters: None) -> None:
    first, second, cert = _issue(client, "ido"), _issue(client, "shussei_shibo"), _issue(client, "shomei")
    assert [first["label"], second["label"], cert["label"]] == ["A-001", "B-001", "C-001"]
    assert _issue(client, "ido")["label"] == "A-002"
    assert first["status_url"].startswith("http") and "/status/" in first["status_url"]
    assert first["estimated_minutes"] is not None and first["section"] == "madoguchi"
    called = client.post("/api/v1/tickets/call-next", json={"counter": "3"}, headers=api_headers("shimin"))
    assert called.status_code == 200 and called.get_json()["ticket"]["label"] == "C-001"  # 市民課's own queue
    again = client.post("/api/v1/tickets/call-next", json={"counter": "3"}, headers=api_headers("shimin"))
    assert again.get_json() == {"ticket": None, "message": "お待ちの方はいません"}
    db.session.expire_all()
    [service] = db.session.scalars(db.select(TicketService)).all()  # C-001's service ended with the next call
    assert service.counter == "3" and service.section_code == "shimin"
    head = client.post("/api/v1/tickets/call-next", json={"counter": "1"}, headers=api_headers("counter"))
    assert head.get_json()["ticket"]["label"] == "A-001"  # the oldest of 総合窓口's queue, whatever its letter


def test_who_may_issue_and_call(client: FlaskClient, counters: None) -> None:
    assert client.post("/api/v1/tickets", json={"purpose": "ido"}, headers=api_headers("shimin")).status_code == 403
    bad = client.post("/api/v1/tickets", json={"purpose": "nothing"}, headers=api_headers("counter"))
    assert bad.status_code == 422 and "purpose" in str(bad.get_json()["error"]["details"])
    other = client.post("/api/v1/tickets/call-next", json={"counter": "1"}, headers=api_headers("hoken"))
    assert other.status_code == 403 and "1番窓口" in other.get_json()["error"]["message"]
    unknown = client.post("/api/v1/tickets/call-next", json={"counter": "99"}, headers=api_headers("counter"))
    assert unknown.status_code == 422 and "窓口の番号" in unknown.get_json()["error"]["message"]
    ticket = _issue(client, "shomei")
    assert client.post(f"/api/v1/tickets/{ticket['id']}/skip", headers=api_headers("hoken")).status_code == 403


def test_recall_skip_and_transfer(client: FlaskClient, counters: None) -> None:
    ticket = _issue(client, "ido")
    headers = api_headers("counter")
    early = client.post(f"/api/v1/tickets/{ticket['id']}/recall", headers=headers)
    assert early.status_code == 409 and "呼び出し中" in early.get_json()["error"]["message"]
    client.post("/api/v1/tickets/call-next", json={"counter": "2"}, headers=headers)
    recalled = client.post(f"/api/v1/tickets/{ticket['id']}/recall", headers=headers).get_json()
    assert recalled["state"] == "called" and recalled["call_count"] == 2 and recalled["counter"] == "2"
    refused = client.post(f"/api/v1/tickets/{ticket['id']}/transfer", json={"section": "shien"}, headers=headers)
    assert refused.status_code == 422  # 支援措置確認 works no queue
    moved = client.post(f"/api/v1/tickets/{ticket['id']}/transfer", json={"section": "shimin"}, headers=headers)
    assert moved.get_json()["state"] == "waiting" and moved.get_json()["section"] == "shimin"
    assert moved.get_json()["label"] == "A-001"  # the resident keeps their number
    called = client.post("/api/v1/tickets/call-next", json={"counter": "3"}, headers=api_headers("shimin"))
    assert called.get_json()["ticket"]["label"] == "A-001"
    skipped = client.post(f"/api/v1/tickets/{ticket['id']}/skip", headers=api_headers("shimin")).get_json()
    assert skipped["state"] == "skipped"
    assert client.post(f"/api/v1/tickets/{ticket['id']}/skip", headers=headers).status_code == 409
    db.session.expire_all()
    assert [s.section_code for s in db.session.scalars(db.select(TicketService).order_by(TicketService.id))] == [
        "madoguchi"]  # the counter's service was measured at the transfer; a skipped call is not a service


def test_estimates_learn_todays_handling_times(app, counters: None) -> None:  # noqa: ANN001 - the app fixture
    clerk = actor("counter")
    assert waits.means(now=MORNING).seconds("madoguchi", "ido") == 15 * 60  # nothing measured yet: assumed
    for minute in range(0, 40, 8):  # five services of 8 minutes at counter 1
        tickets.issue(purpose="ido", actor=clerk, now=MORNING + timedelta(minutes=minute))
        tickets.call_next(counter="1", actor=clerk, now=MORNING + timedelta(minutes=minute))
    tickets.call_next(counter="1", actor=clerk, now=MORNING + timedelta(minutes=40))
    assert waits.means(now=MORNING).seconds("madoguchi", "ido") == 8 * 60
    later = MORNING + timedelta(minutes=41)
    queued = [tickets.issue(purpose="ido", actor=clerk, now=later) for _ in range(4)]
    estimate = waits.estimate(now=later)
    # two counters of 総合窓口, both free: the first two go at once, the next two after one 8-minute service
    assert [round(estimate.ticket[t.id] / 60) for t in queued] == [0, 0, 8, 8]
    assert round(estimate.new_ticket["ido"] / 60) == 16 and estimate.waiting["ido"] == 4


def test_the_slip_is_receipt_width_and_carries_the_number(client: FlaskClient, counters: None) -> None:
    from tests.conftest import login

    ticket = _issue(client, "kodomo")
    login(client, "counter")
    pdf = client.get(f"/tickets/{ticket['id']}/slip.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = squeeze(pdf_text(pdf.data))
    assert "E-001" in text and "子育て・手当" in text
    info = subprocess.run(["pdfinfo", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 80 / 25.4 * 72) < 1 and height < 400  # 80 mm: a receipt printer's roll
    assert "Pages:           1" in info


def test_the_tickets_status_page_shows_the_wait_then_the_counter(client: FlaskClient, counters: None) -> None:
    ahead, ticket = _issue(client, "shomei"), _issue(client, "shomei")
    token = ticket["status_url"].rsplit("/", 1)[1]
    page = client.get(f"/status/{token}").get_data(as_text=True)
    assert "C-002" in page and "前に1人" in page and "待ち時間の目安" in page
    client.post("/api/v1/tickets/call-next", json={"counter": "3"}, headers=api_headers("shimin"))
    client.post("/api/v1/tickets/call-next", json={"counter": "3"}, headers=api_headers("shimin"))
    assert "3番窓口へお越しください" in client.get(f"/status/{token}").get_data(as_text=True)
    assert client.get("/status/" + "x" * 43).status_code == 404 and ahead


def test_the_inbox_and_the_managers_view_show_the_tickets(client: FlaskClient, counters: None) -> None:
    from tests.conftest import login

    _issue(client, "shomei")
    login(client, "shimin")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "整理券の呼出" in inbox and "3番窓口" in inbox and "1番窓口" not in inbox  # their section's counters
    login(client, "manager")
    overview = client.get("/manager/").get_data(as_text=True)
    line = re.search(r'<tr data-purpose="shomei">(.*?)</tr>', overview, re.S).group(1)
    assert "市民課" in line and "1人" in line and "未計測" in line


def test_starting_the_visit_links_the_served_ticket(app, counters: None) -> None:  # noqa: ANN001 - the app fixture
    from datetime import date

    from tests.conftest import deploy_library
    from tests.security import scenario
    from workflows import runtime
    from workflows.visit import board, reception

    deploy_library()
    head, _member, other = scenario.residents()
    clerk = actor("counter")
    mine, theirs = (tickets.issue(purpose="ido", actor=clerk) for _ in range(2))
    for ticket, resident, counter in ((mine, other, "1"), (theirs, head, "2")):
        assert tickets.call_next(counter=counter, actor=clerk).id == ticket.id
        case = reception.start_at_counter(process_key="journey_tenkyo", resident_id=resident.id, events=["tenkyo"],
                                          actor=clerk, today=date(2026, 12, 3), subjects=None, notifier=None,
                                          event_date=None)
        assert ticket.case_id == case.id and runtime.case_data(case)["ticket_no"] == ticket.label
    db.session.commit()
    shown = board.board()
    assert [c.ticket for c in shown.calls] == [mine.label]  # the 支援措置 household's ticket is never on the board


def test_the_halls_touch_screen_issues_and_shows_the_number(client: FlaskClient, counters: None) -> None:
    from tests.conftest import csrf_token, login

    login(client, "counter")
    screen = client.get("/tickets/kiosk").get_data(as_text=True)
    assert "子育て・手当" in screen and "お待ち 0人" in screen
    issued = client.post("/tickets", data={"purpose": "hoken", "kiosk": "1",
                                           "csrf_token": csrf_token(client, "/tickets/kiosk")})
    assert issued.status_code == 302 and "/tickets/kiosk?issued=" in issued.headers["Location"]
    shown = client.get(issued.headers["Location"]).get_data(as_text=True)
    assert 'data-issued="D-001"' in shown and "slip.pdf" in shown
    login(client, "shimin")
    assert client.get("/tickets/kiosk").status_code == 403  # a section's staff do not issue


def test_counters_calling_at_the_same_moment_never_get_the_same_ticket(app, counters: None) -> None:  # noqa: ANN001
    import threading

    from core.tx import atomic

    for _ in range(4):
        tickets.issue(purpose="ido", actor=actor("counter"))
    extra = [("4", "madoguchi"), ("5", "madoguchi")]
    for number, section in extra:
        places.save_counter(actor=actor("admin"), number=number, name=f"{number}番窓口", section_code=section)
    db.session.commit()
    barrier, lock, called = threading.Barrier(4), threading.Lock(), []

    def clerk(counter: str) -> None:
        with app.app_context():
            who = actor("counter")
            db.session.rollback()
            barrier.wait()
            try:
                ticket = atomic(lambda: tickets.call_next(counter=counter, actor=who), retries=tickets.CALL_RETRIES)
                result = ticket.label if ticket else "none"
            except Exception as err:  # noqa: BLE001 - any other outcome is a failure we want to see
                result = f"error: {type(err).__name__}: {err}"
            finally:
                db.session.remove()
            with lock:
                called.append(result)

    threads = [threading.Thread(target=clerk, args=(c,)) for c in ("1", "2", "4", "5")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(called) == ["A-001", "A-002", "A-003", "A-004"], called


def test_receptions_issuing_at_the_same_moment_get_consecutive_numbers(app) -> None:  # noqa: ANN001
    import threading

    from core.tx import atomic

    barrier, lock, labels = threading.Barrier(4), threading.Lock(), []

    def reception() -> None:
        with app.app_context():
            who = actor("counter")
            db.session.rollback()
            barrier.wait()
            try:
                result = atomic(lambda: tickets.issue(purpose="shomei", actor=who).label)
            except Exception as err:  # noqa: BLE001 - any other outcome is a failure we want to see
                result = f"error: {type(err).__name__}: {err}"
            finally:
                db.session.remove()
            with lock:
                labels.append(result)

    threads = [threading.Thread(target=reception) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(labels) == ["C-001", "C-002", "C-003", "C-004"], labels
