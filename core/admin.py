"""Administration services: users and their sections, sections, counters, terminals, system settings.

Every change is written to the operation log with the acting administrator; functions only flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.security import generate_password_hash

from core import audit, users
from core.actor import Actor
from core.admin_models import Counter, SystemSetting, Terminal
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.models import ROLES, Section, User

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    type: str  # "str" or "int"
    default: str
    minimum: int | None = None
    help: str = ""


SETTINGS = (
    SettingSpec("city_name", "自治体名", "str", "デモ市", help="帳票と案内書に印字されます"),
    SettingSpec("office_hours", "開庁時間", "str", "08:30-17:15"),
    SettingSpec("display_board_message", "呼出表示板のお知らせ", "str", ""),
    SettingSpec("audit_retention_years", "操作ログの保存年数", "int", "5", minimum=5, help="仕様により5年以上"),
    SettingSpec("session_idle_minutes", "無操作でログアウトするまでの分", "int", "30", minimum=5),
)
_SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only administrators change the system configuration")


def _required(value: str | None, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid(f"{field} is required", details={field: "required"})
    if len(text) > max_length:
        raise Invalid(f"{field} is longer than {max_length} characters", details={field: f"max {max_length}"})
    return text


# -- users --------------------------------------------------------------------------------------------
def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist", details={"user_id": user_id})
    return user


def _sections(codes: list[str]) -> list[Section]:
    found = []
    for code in codes:
        section = db.session.get(Section, code)
        if section is None:
            raise Invalid(f"unknown section {code!r}", details={"sections": code})
        found.append(section)
    return found


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
                      details={"password": f"min {MIN_PASSWORD_LENGTH}"})


def create_user(*, actor: Actor, username: str, display_name: str, role: str, password: str,
                sections: list[str]) -> User:
    """A new active user; Invalid names the field (taken name, unknown role or section, short password)."""
    _require_admin(actor)
    username = _required(username, "username", 64)
    _check_password(password)
    user = users.create_user(username=username, password=password, role=role,
                             display_name=_required(display_name, "display_name", 100), sections=sections)
    audit.record(actor=actor, action="admin.user.create", target_type="user", target_id=username,
                 details={"role": role, "sections": sections})
    return user


def update_user(*, actor: Actor, user_id: int, display_name: str, role: str, sections: list[str]) -> User:
    """Change a user's name, role and section membership."""
    _require_admin(actor)
    user = get_user(user_id)
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}", details={"role": f"one of {', '.join(ROLES)}"})
    if user.id == actor.user_id and role != "admin":
        raise Conflict("you cannot take the administrator role from yourself", details={"role": role})
    before = {"role": user.role, "sections": user.section_codes, "display_name": user.display_name}
    user.display_name = _required(display_name, "display_name", 100)
    user.role = role
    user.sections = _sections(sections)
    db.session.flush()
    audit.record(actor=actor, action="admin.user.update", target_type="user", target_id=user.username,
                 details={"before": before, "after": {"role": role, "sections": sections,
                                                      "display_name": user.display_name}})
    return user


def set_active(*, actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate (no login, tokens stop working) or reactivate a user; never oneself."""
    _require_admin(actor)
    user = get_user(user_id)
    if user.id == actor.user_id and not active:
        raise Conflict("you cannot deactivate yourself", details={"user_id": user_id})
    user.active = active
    db.session.flush()
    audit.record(actor=actor, action="admin.user.activate" if active else "admin.user.deactivate",
                 target_type="user", target_id=user.username)
    return user


def reset_password(*, actor: Actor, user_id: int, password: str) -> User:
    """Set a new password chosen by the administrator (the user changes it at next login where supported)."""
    _require_admin(actor)
    _check_password(password)
    user = get_user(user_id)
    user.password_hash = generate_password_hash(password)
    if hasattr(user, "password_changed_at"):
        user.password_changed_at = None  # the security feature treats this as "must change"
    db.session.flush()
    audit.record(actor=actor, action="admin.user.reset_password", target_type="user", target_id=user.username)
    return user


# -- sections and counters ----------------------------------------------------------------------------
def update_section(*, actor: Actor, code: str, name: str, lane: str) -> Section:
    """Rename a section or its BPMN lane; Conflict when another section already uses the lane name."""
    _require_admin(actor)
    section = db.session.get(Section, code)
    if section is None:
        raise NotFound(f"section {code!r} does not exist", details={"code": code})
    lane = _required(lane, "lane", 100)
    other = users.section_by_lane().get(lane)
    if other is not None and other.code != code:
        raise Conflict(f"lane {lane!r} already routes to {other.name}", details={"lane": lane})
    before = {"name": section.name, "lane": section.lane}
    section.name, section.lane = _required(name, "name", 100), lane
    db.session.flush()
    audit.record(actor=actor, action="admin.section.update", target_type="section", target_id=code,
                 details={"before": before, "after": {"name": section.name, "lane": lane}})
    return section


def list_counters() -> list[Counter]:
    return list(db.session.scalars(db.select(Counter).order_by(Counter.number)))


def save_counter(*, actor: Actor, number: str, name: str, section_code: str | None, active: bool = True) -> Counter:
    """Create or update the counter with this number."""
    _require_admin(actor)
    number = _required(number, "number", 16)
    if section_code and db.session.get(Section, section_code) is None:
        raise Invalid(f"unknown section {section_code!r}", details={"section_code": section_code})
    counter = db.session.scalar(db.select(Counter).where(Counter.number == number)) or Counter(number=number)
    counter.name, counter.section_code, counter.active = _required(name, "name", 100), section_code or None, active
    db.session.add(counter)
    db.session.flush()
    audit.record(actor=actor, action="admin.counter.save", target_type="counter", target_id=number,
                 details={"name": counter.name, "section": section_code, "active": active})
    return counter


# -- terminals ----------------------------------------------------------------------------------------
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


# -- settings -----------------------------------------------------------------------------------------
def settings_values() -> dict[str, str]:
    """Every known setting's current value (stored or default)."""
    stored = {s.key: s.value for s in db.session.scalars(db.select(SystemSetting))}
    return {spec.key: stored.get(spec.key, spec.default) for spec in SETTINGS}


def get_setting(key: str) -> Any:
    spec = _SETTINGS_BY_KEY[key]
    value = settings_values()[key]
    return int(value) if spec.type == "int" else value


def update_settings(*, actor: Actor, values: dict[str, str]) -> dict[str, str]:
    """Check every value first (Invalid lists each bad field), then store the changed ones."""
    _require_admin(actor)
    unknown = sorted(set(values) - set(_SETTINGS_BY_KEY))
    errors = {k: "unknown setting" for k in unknown}
    for key, raw in values.items():
        spec = _SETTINGS_BY_KEY.get(key)
        if spec is not None and (reason := _setting_error(spec, raw)):
            errors[key] = reason
    if errors:
        raise Invalid("some settings are not valid: " + ", ".join(sorted(errors)), details={"fields": errors})
    current = settings_values()
    changed = {k: v.strip() for k, v in values.items() if v.strip() != current[k]}
    for key, value in changed.items():
        row = db.session.get(SystemSetting, key) or SystemSetting(key=key)
        row.value, row.updated_by, row.updated_at = value, actor.username, utcnow()
        db.session.add(row)
    db.session.flush()
    if changed:
        audit.record(actor=actor, action="admin.settings.update", target_type="settings",
                     details={"before": {k: current[k] for k in changed}, "after": changed})
    return settings_values()


def _setting_error(spec: SettingSpec, raw: str) -> str | None:
    value = (raw or "").strip()
    if len(value) > 1000:
        return "at most 1000 characters"
    if spec.type == "int":
        if not value.isdigit():
            return "a whole number is required"
        if spec.minimum is not None and int(value) < spec.minimum:
            return f"at least {spec.minimum}"
    return None
