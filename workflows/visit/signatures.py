"""The resident's signature for a visit: a PNG drawn on the counter tablet, checked and stored with the case."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, UnidentifiedImageError

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Forbidden, Invalid, TooLarge
from core.i18n import N_
from workflows import runtime
from workflows.visit.models import CaseSignature

MAX_BYTES = 512_000
MAX_SIDE = 2000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_png(png: bytes) -> None:
    if len(png) > MAX_BYTES:
        raise TooLarge(N_("署名画像が大きすぎます（{max} バイトまで）", max=MAX_BYTES), details={"signature": len(png)})
    if not png.startswith(PNG_MAGIC):
        raise Invalid(N_("署名は PNG 画像で送ってください"), details={"signature": "not a PNG"})
    try:
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise Invalid(N_("署名画像を読み取れません"), details={"signature": str(err)}) from err
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise Invalid(N_("署名画像の大きさが不正です"), details={"signature": f"{width}x{height}"})


def save(*, case_id: int, png: bytes, actor: Actor) -> CaseSignature:
    """Store (or replace) the visit's signature; forms generated afterwards carry it."""
    if not actor.has_role("counter"):
        raise Forbidden(N_("署名は総合窓口で受け付けます"))
    case = runtime.get_case(case_id)
    _check_png(png)
    signature = get(case_id) or CaseSignature(case_id=case.id)
    signature.png, signature.sha256 = png, hashlib.sha256(png).hexdigest()
    signature.taken_by, signature.taken_at = actor.username, utcnow()
    db.session.add(signature)
    db.session.flush()
    audit.record(actor=actor, action="signature.save", target_type="case", target_id=case.id,
                 details={"sha256": signature.sha256, "resident_id": case.resident_id})
    return signature


def get(case_id: int) -> CaseSignature | None:
    """The visit's signature, if the resident has signed."""
    return db.session.scalar(db.select(CaseSignature).where(CaseSignature.case_id == case_id))
