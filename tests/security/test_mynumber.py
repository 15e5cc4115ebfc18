"""My Number: encrypted at rest, masked by default, unmasking only for permitted roles and always logged."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from core import audit, audit_chain
from core.db import db
from core.errors import Invalid
from residents import mynumber
from residents.models import Resident
from tests.conftest import actor, api_headers
from tests.integrations.residents_support import load, person

NUMBER = "123456789018"  # a valid check digit


def _resident() -> int:
    load([person(1, "山田 太郎", "ヤマダ タロウ")])
    return db.session.scalar(db.select(Resident.id))


def test_check_digit() -> None:
    assert mynumber.check_digit_ok(NUMBER)
    assert not mynumber.check_digit_ok("123456789012")
    assert not mynumber.check_digit_ok("12345678901")


def test_stored_encrypted_masked_by_default_and_revealed_with_a_log(client: FlaskClient) -> None:
    rid = _resident()
    counter = api_headers("counter")
    assert client.put(f"/api/v1/residents/{rid}/mynumber", json={"number": "1234-5678-9018"},
                      headers=counter).status_code == 200
    stored = db.session.execute(text("SELECT ciphertext FROM res_mynumbers")).scalar_one()
    assert NUMBER not in stored and "9018" not in stored
    shown = client.get(f"/api/v1/residents/{rid}/mynumber", headers=api_headers("hoken")).json
    assert shown["masked"] and NUMBER not in str(shown) and shown["registered"]
    revealed = client.post(f"/api/v1/residents/{rid}/mynumber/reveal", json={"reason": "本人確認"}, headers=counter)
    assert revealed.json["mynumber"] == NUMBER
    [entry] = audit.list_(action="mynumber.reveal")
    assert (entry.username, entry.target_id, entry.outcome) == ("counter", str(rid), "ok")
    assert "本人確認" in entry.details


def test_a_section_user_cannot_unmask_and_the_attempt_is_logged(client: FlaskClient) -> None:
    rid = _resident()
    client.put(f"/api/v1/residents/{rid}/mynumber", json={"number": NUMBER}, headers=api_headers("counter"))
    response = client.post(f"/api/v1/residents/{rid}/mynumber/reveal", json={"reason": "見たい"},
                           headers=api_headers("hoken"))
    assert response.status_code == 403 and NUMBER not in response.get_data(as_text=True)
    [entry] = audit.list_(action="mynumber.reveal")
    assert (entry.username, entry.outcome) == ("hoken", "denied")
    assert audit_chain.verify().ok


def test_an_invalid_number_is_refused_saying_which_field(client: FlaskClient) -> None:
    rid = _resident()
    response = client.put(f"/api/v1/residents/{rid}/mynumber", json={"number": "123456789012"},
                          headers=api_headers("counter"))
    assert response.status_code == 422 and "mynumber" in response.json["error"]["details"]
    assert db.session.execute(text("SELECT count(*) FROM res_mynumbers")).scalar_one() == 0


def test_a_number_for_a_resident_who_does_not_exist_is_404_and_stores_nothing(client: FlaskClient) -> None:
    """Found by fuzzing with 50 examples per operation: a valid number for an unknown id was a 500 (foreign key)."""
    missing = _resident() + 100_000
    response = client.put(f"/api/v1/residents/{missing}/mynumber", json={"number": NUMBER},
                          headers=api_headers("counter"))
    assert response.status_code == 404 and response.json["error"]["details"] == {"resident_id": missing}
    assert db.session.execute(text("SELECT count(*) FROM res_mynumbers")).scalar_one() == 0


def test_key_rotation_re_encrypts_and_the_old_key_can_then_go(app: Flask) -> None:
    rid = _resident()
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    base = app.config["MADOGUCHI"]
    old = replace(base, mynumber_keys=old_key)
    mynumber.store(actor=actor("counter"), settings=old, resident_id=rid, number=NUMBER)
    db.session.commit()
    both = replace(base, mynumber_keys=f"{new_key},{old_key}")
    assert mynumber.rotate(actor=actor("admin"), settings=both) == 1
    db.session.commit()
    only_new = replace(base, mynumber_keys=new_key)
    assert mynumber.reveal(actor=actor("manager"), settings=only_new, resident_id=rid, reason="監査") == NUMBER
    with pytest.raises(InvalidToken):
        mynumber.reveal(actor=actor("manager"), settings=old, resident_id=rid, reason="監査")


def test_production_without_a_key_refuses(app: Flask) -> None:
    settings = replace(app.config["MADOGUCHI"], demo=False, mynumber_keys=None)
    with pytest.raises(Invalid, match="MADOGUCHI_MYNUMBER_KEYS"):
        mynumber.store(actor=actor("counter"), settings=settings, resident_id=_resident(), number=NUMBER)
