"""The waiting-area display board: public, ticket numbers and sections only; a 支援措置 household not at all."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db
from residents.models import Resident
from tests.conftest import actor, api_headers
from tests.protection.test_protection import family  # noqa: F401 - the fixture
from tests.protection.test_protection_gaps import cases, start  # noqa: F401 - the fixture

TICKET = re.compile(r'data-ticket="([^"]+)"')


def identifying(resident: Resident) -> list[str]:
    """Every text of a resident that must never reach a public page."""
    parts = [resident.name, resident.name_kana, resident.address, resident.address_extra, resident.jumin_code,
             resident.postal_code, resident.birth_date and resident.birth_date.isoformat()]
    return [p for p in parts if p and len(p) >= 3]


def assert_nothing_identifying(html: str) -> None:
    db.session.expire_all()
    for resident in db.session.scalars(select(Resident)):
        for text in identifying(resident):
            assert text not in html, f"resident {resident.id}: {text!r} on the board"
        assert "様 証明書請求" not in html and "証明書" not in html  # no case title, no procedure


def test_board_needs_no_login_and_shows_only_unprotected_tickets(client: FlaskClient,
                                                                 cases: dict[str, int]) -> None:  # noqa: F811
    for path in ("/board", "/board/rows", "/board?section=madoguchi"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert TICKET.findall(html) == ["A-803"], path  # the head's and the member's tickets are left off
        assert "A-801" not in html and "A-802" not in html and "総合窓口" in html
        assert_nothing_identifying(html)


def test_a_claimed_task_is_called_and_protected_cases_stay_off(
        client: FlaskClient, cases: dict[str, int], family: dict[str, Resident]) -> None:  # noqa: F811
    for who in ("other", "head"):
        [task] = client.get(f"/api/v1/cases/{cases[who]}", headers=api_headers("counter")).get_json()["tasks"]
        assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=api_headers("counter")).status_code == 200
    later = start(client, family["other"], "A-804")
    html = client.get("/board").get_data(as_text=True)
    called, waiting = html.split("お待ちの番号", 1)
    assert TICKET.findall(called) == ["A-803"] and TICKET.findall(waiting) == ["A-804"]
    assert "A-801" not in html and "A-802" not in html and later
    assert_nothing_identifying(html)


def test_the_supervisor_lane_and_other_sections_filter(client: FlaskClient, cases: dict[str, int]) -> None:  # noqa: F811
    assert client.get("/board?section=shimin").status_code == 200
    assert TICKET.findall(client.get("/board?section=shimin").get_data(as_text=True)) == []
    wrong = client.get("/board?section=nowhere")
    assert wrong.status_code == 422 and "窓口の指定" in wrong.get_data(as_text=True)
    assert "支援措置" not in client.get("/board").get_data(as_text=True)


def test_the_board_shows_the_administrators_message(client: FlaskClient) -> None:
    from core import city
    from core.tx import atomic

    assert "board-message" not in client.get("/board").get_data(as_text=True)
    atomic(lambda: city.update(actor=actor("admin"), changes={"display_board_message": "本日は混み合っています"}))
    assert "本日は混み合っています" in client.get("/board").get_data(as_text=True)
