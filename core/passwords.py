"""How passwords are stored: argon2id with OWASP's first parameter set (19 MiB, 2 passes, 1 lane).

Chosen for fifty staff logging in at 8:30 on a 2-core server (docs/security.md, "Password hashing cost"): one check
takes about 17 ms here, where werkzeug's scrypt default (N=2¹⁵, r=8, p=1, the first round's) took 70–83 ms and put
the login's p95 over 200 ms under load (bench/load.py) — and OWASP's Password Storage Cheat Sheet ranks argon2id
first, scrypt at these parameters below its own scrypt minimum. The hash records its parameters; a stored scrypt or
PBKDF2 hash (werkzeug's format) still verifies and is replaced at the next successful login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_ARGON2 = "$argon2"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (argon2id, or werkzeug's older scrypt/PBKDF2 format)."""
    if not stored.startswith(_ARGON2):
        return check_password_hash(stored, password)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """An older scheme or other parameters: store a new hash while the password is at hand (a login)."""
    return not stored.startswith(_ARGON2) or _hasher.check_needs_rehash(stored)
