"""Where the work happens: the numbered counters (窓口) on the floor and the terminals (端末) staff log in from.

A terminal's name is what staff pick at login and what the operation log records. Every change is logged with
the acting administrator; functions only flush.
"""

from __future__ import annotations

from core import audit
from core.actor import Actor
from core.db import db
from core.errors import Forbidden, Invalid
from core.i18n import N_
from core.models import Counter, Section, Terminal


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden(N_("窓口・端末を変更できるのはシステム管理者だけです"))


def _required(value: str | None, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text or len(text) > max_length:
        raise Invalid(N_("{field} は1〜{max}文字で入力してください", field=field, max=max_length),
                      details={"fields": {field: [f"1〜{max_length}文字"]}})
    return text


def list_counters() -> list[Counter]:
    return list(db.session.scalars(db.select(Counter).order_by(Counter.number)))


def save_counter(*, actor: Actor, number: str, name: str, section_code: str | None, active: bool = True) -> Counter:
    """Create or update the counter with this number."""
    _require_admin(actor)
    number = _required(number, "number", 16)
    if section_code and db.session.get(Section, section_code) is None:
        raise Invalid(N_("課 {section} はありません", section=section_code),
                      details={"fields": {"section_code": [section_code]}})
    counter = db.session.scalar(db.select(Counter).where(Counter.number == number)) or Counter(number=number)
    counter.name, counter.section_code, counter.active = _required(name, "name", 100), section_code or None, active
    db.session.add(counter)
    db.session.flush()
    audit.record(actor=actor, action="admin.counter.save", target_type="counter", target_id=number,
                 details={"name": counter.name, "section": section_code, "active": active})
    return counter


def list_terminals(*, active_only: bool = False) -> list[Terminal]:
    query = db.select(Terminal).order_by(Terminal.name)
    return list(db.session.scalars(query.where(Terminal.active.is_(True)) if active_only else query))


def save_terminal(*, actor: Actor, name: str, location: str, active: bool = True) -> Terminal:
    """Register a terminal or change its location/activity (the name is its identity in the log)."""
    _require_admin(actor)
    name = _required(name, "name", 100)
    terminal = db.session.scalar(db.select(Terminal).where(Terminal.name == name)) or Terminal(name=name)
    terminal.location, terminal.active = (location or "").strip()[:200], active
    db.session.add(terminal)
    db.session.flush()
    audit.record(actor=actor, action="admin.terminal.save", target_type="terminal", target_id=name,
                 details={"location": terminal.location, "active": active})
    return terminal
