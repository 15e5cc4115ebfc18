"""Stored passwords: argon2id at the cost docs/security.md chose; a hash of the first round's scheme (werkzeug's
scrypt) still logs in and is replaced by argon2id at that login."""

from __future__ import annotations

from flask import Flask
from werkzeug.security import generate_password_hash

from core import passwords, users
from core.db import db
from tests.conftest import PASSWORD


def test_argon2id_with_the_chosen_cost() -> None:
    stored = passwords.hash_password("窓口-password-1")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify(stored, "窓口-password-1") and not passwords.verify(stored, "窓口-password-2")
    assert not passwords.needs_rehash(stored)
    assert not passwords.verify("$argon2id$broken", "x")  # a damaged hash refuses, it does not raise


def test_an_old_scrypt_hash_logs_in_once_and_is_stored_again_as_argon2id(app: Flask) -> None:
    user = users.get_by_username("counter")
    user.password_hash = generate_password_hash(PASSWORD)  # werkzeug's scrypt, as the first round stored it
    db.session.commit()
    assert users.authenticate(username="counter", password="wrong-1") is None
    assert db.session.get(type(user), user.id).password_hash.startswith("scrypt:")
    assert users.authenticate(username="counter", password=PASSWORD) is not None
    db.session.commit()
    db.session.expire_all()
    again = users.get_by_username("counter")
    assert again.password_hash.startswith("$argon2id$") and passwords.verify(again.password_hash, PASSWORD)
    assert users.authenticate(username="counter", password=PASSWORD) is not None
