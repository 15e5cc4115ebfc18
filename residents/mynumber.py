"""My Number (個人番号): stored encrypted (Fernet, keys from settings), shown masked, every unmasking logged.

Only the ciphertext is kept, in its own table beside the resident. ``masked`` never decrypts; ``reveal`` checks
the role, logs the unmasking (or the refusal) and returns the digits. Keys rotate with MultiFernet: the first
key in ``MADOGUCHI_MYNUMBER_KEYS`` encrypts, every listed key decrypts, :func:`rotate` re-encrypts all rows.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.i18n import N_
from core.settings import Settings
from residents.models import Resident

# Roles that may see the digits (the counter verifies identity documents; admins administer).
REVEAL_ROLES = ("counter", "manager")
MASK = "●●●●●●●●●●●●"


class ResidentMyNumber(db.Model):
    """The encrypted My Number of one resident."""

    __tablename__ = "res_mynumbers"

    resident_id: Mapped[int] = mapped_column(ForeignKey("res_residents.id", ondelete="CASCADE"), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))


def _fernet(settings: Settings) -> MultiFernet:
    keys = [k.strip() for k in (settings.mynumber_keys or "").split(",") if k.strip()]
    if not keys:
        if not (settings.demo and settings.secret_key):
            raise Invalid(N_("MADOGUCHI_MYNUMBER_KEYS が設定されていません (no My Number key configured)"),
                          details={"setting": "MADOGUCHI_MYNUMBER_KEYS"})
        keys = [base64.urlsafe_b64encode(hashlib.sha256(f"mynumber:{settings.secret_key}".encode()).digest())]
    return MultiFernet([Fernet(k) for k in keys])


def check_digit_ok(number: str) -> bool:
    """The 12th digit is the check digit of 個人番号 (総務省令 rule: weights 2..7 from the right, mod 11)."""
    if len(number) != 12 or not number.isdigit():
        return False
    digits = [int(c) for c in number[:11]][::-1]
    total = sum(d * ((n + 1) + 1 if n + 1 <= 6 else (n + 1) - 5) for n, d in enumerate(digits))
    remainder = total % 11
    return int(number[11]) == (0 if remainder <= 1 else 11 - remainder)


def store(*, actor: Actor, settings: Settings, resident_id: int, number: str) -> None:
    """Encrypt and keep a resident's My Number; Invalid unless it is 12 digits with a right check digit."""
    number = number.strip().replace("-", "").replace(" ", "")
    if not check_digit_ok(number):
        raise Invalid(N_("個人番号は12桁で、検査用数字が正しくなければなりません"), details={"mynumber": "invalid"})
    if db.session.get(Resident, resident_id) is None:
        raise NotFound(N_("住民 {resident} は見つかりません", resident=resident_id),
                       details={"resident_id": resident_id})
    row = db.session.get(ResidentMyNumber, resident_id) or ResidentMyNumber(resident_id=resident_id)
    row.ciphertext = _fernet(settings).encrypt(number.encode()).decode()
    row.updated_at, row.updated_by = utcnow(), actor.username
    db.session.add(row)
    db.session.flush()
    audit.record(actor=actor, action="mynumber.store", target_type="resident", target_id=resident_id)


def masked(*, resident_id: int) -> str | None:
    """What any screen may show: a mask when a number is on file, else None. Never decrypts."""
    return MASK if db.session.get(ResidentMyNumber, resident_id) is not None else None


def reveal(*, actor: Actor, settings: Settings, resident_id: int, reason: str) -> str:
    """The digits, for a permitted role with a stated reason; every unmasking and refusal is logged."""
    if not actor.has_role(*REVEAL_ROLES):
        audit.record_independently(actor=actor, action="mynumber.reveal", target_type="resident",
                                   target_id=resident_id, outcome="denied")
        raise Forbidden(N_("個人番号を表示する権限がありません"))
    if not reason.strip():
        raise Invalid(N_("表示の理由を入力してください"), details={"reason": "required"})
    row = db.session.get(ResidentMyNumber, resident_id)
    if row is None:
        raise NotFound(N_("個人番号は登録されていません"), details={"resident_id": resident_id})
    number = _fernet(settings).decrypt(row.ciphertext.encode()).decode()
    audit.record(actor=actor, action="mynumber.reveal", target_type="resident", target_id=resident_id,
                 details={"reason": reason.strip()[:200]})
    return number


def rotate(*, actor: Actor, settings: Settings) -> int:
    """Re-encrypt every stored number with the first (newest) key; returns how many rows were rewritten."""
    fernet, count = _fernet(settings), 0
    for row in db.session.scalars(select(ResidentMyNumber).execution_options(yield_per=1000)):
        try:
            row.ciphertext = fernet.rotate(row.ciphertext.encode()).decode()
        except InvalidToken as err:
            raise Invalid(N_("どの鍵でも復号できない行があります"), details={"resident_id": row.resident_id}) from err
        count += 1
    db.session.flush()
    audit.record(actor=actor, action="mynumber.rotate", details={"rows": count})
    return count
