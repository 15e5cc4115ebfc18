"""Pre-entry (事前入力) without a browser: the public form refuses bad input in Japanese and keeps what was typed,
is CSRF-checked and rate-limited, gives out a reference only; the counter reads it; the scheduler deletes it when
it expires."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from core.actor import SYSTEM
from core.db import db, utcnow
from integrations.scheduler import runner
from tests.conftest import csrf_token, login
from workflows.visit import preentry
from workflows.visit.queue_models import PreEntry

FORM = {"events": ["tennyu"], "name": "事前　花子", "birth_date": "1990-04-01", "event_date": "2026-11-20",
        "postal_code": "753-0001", "address_detail": "1-2-3", "previous_address": "広島県広島市中区基町10-52",
        "answer_dog_owner": "yes"}


def _send(client: FlaskClient, **changes: object) -> tuple[int, str]:
    token = csrf_token(client, "/pre-entry?events=tennyu")
    response = client.post("/pre-entry", data={**FORM, **changes, "csrf_token": token})
    return response.status_code, response.get_data(as_text=True)


def test_a_pre_entry_gives_a_reference_and_keeps_the_answers(client: FlaskClient) -> None:
    status, html = _send(client)
    assert status == 200, html[:500]
    [reference] = re.findall(r'id="pre-entry-reference">([^<]+)<', html)
    assert preentry.is_reference(reference) and "事前　花子" not in html  # the page gives the reference back only
    entry = db.session.scalar(db.select(PreEntry).where(PreEntry.reference == reference))
    assert entry.data["address"] == "山口県山口市宮野上" and entry.data["postal_code"] == "7530001"
    assert entry.data["answers"] == {"dog_owner": True, "previous_prefecture_other": False}
    assert entry.expires_at - entry.created_at == timedelta(days=7)
    assert preentry.normalise_reference(reference.lower().replace("-", " ")) == reference  # as typed by hand


def test_bad_input_is_refused_in_japanese_and_nothing_is_lost(client: FlaskClient) -> None:
    status, html = _send(client, postal_code="123", name="")
    assert status == 422 and "氏名を入力してください" in html
    assert 'value="広島県広島市中区基町10-52"' in html  # what was typed stays in the form
    status, html = _send(client, postal_code="0000000")
    assert status == 422 and "この郵便番号の住所が見つかりません" in html
    status, html = _send(client, birth_date="昭和99年13月1日")
    assert status == 422 and "生年月日" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(PreEntry)) == 0


def test_the_form_is_csrf_checked_and_rate_limited(app: Flask, client: FlaskClient) -> None:
    assert client.post("/pre-entry", data=FORM).status_code == 400  # no CSRF token
    limit = app.config["MADOGUCHI"].pre_entry_per_hour
    for _ in range(limit):
        assert _send(client)[0] == 200
    status, html = _send(client)
    assert status == 429 and "しばらくしてから" in html


def test_the_counter_reads_it_and_the_job_deletes_it_when_it_expires(app: Flask, client: FlaskClient) -> None:
    _, html = _send(client)
    [reference] = re.findall(r'id="pre-entry-reference">([^<]+)<', html)
    login(client, "counter")
    page = client.get(f"/counter/?q={reference}")
    assert page.status_code == 302 and "/counter/pre-entry" in page.headers["Location"]
    found = client.get(f"/counter/pre-entry?ref={reference}").get_data(as_text=True)
    assert "事前　花子" in found and "山口県山口市宮野上1-2-3" in found
    db.session.execute(db.update(PreEntry).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    gone = client.get(f"/counter/pre-entry?ref={reference}")
    assert gone.status_code == 404 and "期限切れ" in gone.get_data(as_text=True)
    run = runner.execute("visit.pre_entry_purge", trigger="manual", actor=SYSTEM, settings=app.config["MADOGUCHI"])
    assert run.status == "ok" and "1 件" in run.message
    assert db.session.scalar(db.select(db.func.count()).select_from(PreEntry)) == 0


def test_the_postal_lookup_is_public_data_only(client: FlaskClient) -> None:
    assert client.get("/pre-entry/address?postal=7530001").get_json() == {"address": "山口県山口市宮野上",
                                                                          "found": True}
    assert client.get("/pre-entry/address?postal=12").get_json()["found"] is False
