"""Users and sections: the one module that creates, changes and authenticates users, with one password policy.

Every change an administrator makes is written to the operation log with the acting administrator; functions
only flush. A failed login is the exception: its counter and log entry are committed on their own, so they stay
whatever the caller does next.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.i18n import N_
from core.models import ROLES, ApiToken, Section, User
from core.passwords import hash_password, needs_rehash, verify

# The shortest password the policy accepts unless the deployment asks for more (MADOGUCHI_PASSWORD_MIN_LENGTH).
PASSWORD_MIN_LENGTH = 10


def actor_for(user: User, *, terminal: str | None = None, ip: str | None = None) -> Actor:
    return Actor(username=user.username, role=user.role, sections=tuple(user.section_codes),
                 user_id=user.id, terminal=terminal, ip=ip)


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden(N_("ユーザーと課を変更できるのはシステム管理者だけです"))


def _required(value: str | None, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid(N_("{field} を入力してください", field=field), details={"fields": {field: ["必須です"]}})
    if len(text) > max_length:
        raise Invalid(N_("{field} は {max} 文字以内です", field=field, max=max_length),
                      details={"fields": {field: [f"{max_length}文字以内"]}})
    return text


# -- the password policy ------------------------------------------------------------------------------
def validate_password(password: str, *, username: str, min_length: int = PASSWORD_MIN_LENGTH) -> None:
    """Invalid (on field ``password``) unless it is long enough, mixes letters and digits and is not the name."""
    problems = []
    if len(password) < min_length:
        problems.append(f"{min_length}文字以上にしてください")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("英字と数字を両方含めてください")
    if username and username.lower() in password.lower():
        problems.append("ユーザー名を含めないでください")
    if problems:
        raise Invalid(N_("パスワードが規則を満たしていません: {problems}", problems="、".join(problems)),
                      details={"fields": {"password": problems}})


# -- sections -----------------------------------------------------------------------------------------
def upsert_section(*, code: str, name: str, lane: str, sort_order: int = 0) -> Section:
    """Create or rename a section; its lane name is what BPMN lanes must say (set-up and demo, not logged)."""
    section = db.session.get(Section, code) or Section(code=code)
    section.name, section.lane, section.sort_order = name, lane, sort_order
    db.session.add(section)
    db.session.flush()
    return section


def list_sections() -> list[Section]:
    return list(db.session.scalars(db.select(Section).order_by(Section.sort_order, Section.code)))


def section_by_lane() -> dict[str, Section]:
    return {s.lane: s for s in list_sections()}


def update_section(*, actor: Actor, code: str, name: str, lane: str) -> Section:
    """Rename a section or its BPMN lane; Conflict when another section already uses the lane name."""
    _require_admin(actor)
    section = db.session.get(Section, code)
    if section is None:
        raise NotFound(N_("課 {section} はありません", section=code), details={"code": code})
    lane = _required(lane, "lane", 100)
    other = section_by_lane().get(lane)
    if other is not None and other.code != code:
        raise Conflict(N_("レーン名「{lane}」は既に{section}に使われています", lane=lane, section=other.name),
                       details={"lane": lane})
    before = {"name": section.name, "lane": section.lane}
    section.name, section.lane = _required(name, "name", 100), lane
    db.session.flush()
    audit.record(actor=actor, action="admin.section.update", target_type="section", target_id=code,
                 details={"before": before, "after": {"name": section.name, "lane": lane}})
    return section


def _sections(codes: list[str] | tuple[str, ...]) -> list[Section]:
    found = []
    for code in codes:
        section = db.session.get(Section, code)
        if section is None:
            raise Invalid(N_("課 {section} はありません", section=code), details={"fields": {"sections": [code]}})
        found.append(section)
    return found


# -- users --------------------------------------------------------------------------------------------
def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("ユーザー {user} はありません", user=user_id), details={"user_id": user_id})
    return user


def get_by_username(username: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.username == username))


def list_users() -> list[User]:
    return list(db.session.scalars(db.select(User).order_by(User.username)))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Invalid(N_("役割 {role} はありません", role=role),
                      details={"fields": {"role": [f"{', '.join(ROLES)} のいずれか"]}})


def _new_user(*, username: str, password: str, role: str, display_name: str,
              sections: list[str] | tuple[str, ...]) -> User:
    _check_role(role)
    if get_by_username(username) is not None:
        raise Invalid(N_("ユーザー名 {username} は使われています", username=username),
                      details={"fields": {"username": ["使用済み"]}})
    user = User(username=username, display_name=display_name, role=role,
                password_hash=hash_password(password), sections=_sections(sections))
    db.session.add(user)
    db.session.flush()
    return user


def create_user(*, actor: Actor, username: str, display_name: str, role: str, password: str,
                sections: list[str] | tuple[str, ...], min_length: int = PASSWORD_MIN_LENGTH) -> User:
    """A new active user whose password meets the policy; Invalid names the field. Logged."""
    _require_admin(actor)
    username = _required(username, "username", 64)
    validate_password(password, username=username, min_length=min_length)
    user = _new_user(username=username, password=password, role=role,
                     display_name=_required(display_name, "display_name", 100), sections=sections)
    audit.record(actor=actor, action="admin.user.create", target_type="user", target_id=username,
                 details={"role": role, "sections": list(sections)})
    return user


def create_demo_user(*, username: str, password: str, role: str, display_name: str,
                     sections: list[str] | tuple[str, ...] = ()) -> User:
    """A user of the demo and the tests, whose documented password need not meet the policy (demo mode only)."""
    return _new_user(username=username, password=password, role=role, display_name=display_name, sections=sections)


def update_user(*, actor: Actor, user_id: int, display_name: str, role: str, sections: list[str]) -> User:
    """Change a user's name, role and section membership."""
    _require_admin(actor)
    user = get_user(user_id)
    _check_role(role)
    if user.id == actor.user_id and role != "admin":
        raise Conflict(N_("自分の管理者権限は外せません"), details={"role": role})
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
        raise Conflict(N_("自分自身は停止できません"), details={"user_id": user_id})
    user.active = active
    db.session.flush()
    audit.record(actor=actor, action="admin.user.activate" if active else "admin.user.deactivate",
                 target_type="user", target_id=user.username)
    return user


def reset_password(*, actor: Actor, user_id: int, password: str, min_length: int = PASSWORD_MIN_LENGTH) -> User:
    """Set a new password chosen by the administrator (the same policy as every password)."""
    _require_admin(actor)
    user = get_user(user_id)
    validate_password(password, username=user.username, min_length=min_length)
    user.password_hash = hash_password(password)
    user.password_changed_at = None
    db.session.flush()
    audit.record(actor=actor, action="admin.user.reset_password", target_type="user", target_id=user.username)
    return user


def change_password(*, actor: Actor, user: User, password: str, min_length: int = PASSWORD_MIN_LENGTH) -> None:
    """Set a new password that meets the policy; unlocks the account; logged (never the password)."""
    validate_password(password, username=user.username, min_length=min_length)
    user.password_hash = hash_password(password)
    user.password_changed_at, user.failed_logins, user.locked_until = utcnow(), 0, None
    db.session.flush()
    audit.record(actor=actor, action="user.password", target_type="user", target_id=user.username)


def unlock(*, actor: Actor, user: User) -> None:
    """Clear a lockout before it expires; logged."""
    user.failed_logins, user.locked_until = 0, None
    db.session.flush()
    audit.record(actor=actor, action="user.unlock", target_type="user", target_id=user.username)


# -- authentication and tokens ------------------------------------------------------------------------
# Checked against unknown usernames too, so a miss takes as long as a wrong password.
_DUMMY_HASH = hash_password("madoguchi-no-such-user")


def authenticate(*, username: str, password: str, terminal: str | None = None, ip: str | None = None,
                 max_failures: int = 5, lockout_minutes: int = 15, now: datetime | None = None) -> User | None:
    """The user if the password matches, the account is active and not locked; every attempt is logged.

    ``max_failures`` consecutive failures lock the account for ``lockout_minutes``. A failure's log entry and
    counter are committed in a transaction of their own, so they stay whatever the caller does next.
    """
    now = now or utcnow()
    user = get_by_username(username)
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    ok = verify(user.password_hash if user else _DUMMY_HASH, password)
    ok = ok and user is not None and user.active and not locked
    if ok and user is not None:
        user.failed_logins, user.locked_until = 0, None
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        audit.record(actor=actor_for(user, terminal=terminal, ip=ip), action="auth.login", target_type="user",
                     target_id=username)
        return user
    _record_failure(username=username, terminal=terminal, ip=ip, locked=locked, now=now,
                    max_failures=max_failures, lockout_minutes=lockout_minutes)
    return None


def _record_failure(*, username: str, terminal: str | None, ip: str | None, locked: bool, now: datetime,
                    max_failures: int, lockout_minutes: int) -> None:
    """Count the failure, lock the account at the limit and log it, committed on its own."""
    with Session(db.engine) as s:
        user = s.scalar(select(User).where(User.username == username).with_for_update())
        details: dict[str, object] = {"reason": "locked" if locked else "bad_credentials"}
        if user is not None and not locked:
            user.failed_logins = (user.failed_logins or 0) + 1
            details["failures"] = user.failed_logins
            if user.failed_logins >= max_failures:
                user.locked_until = now + timedelta(minutes=lockout_minutes)
                details["locked_until"] = user.locked_until.isoformat()
        actor = Actor(username=username[:64], role=user.role if user else "", terminal=terminal, ip=ip)
        audit.record(actor=actor, action="auth.login", target_type="user", target_id=username,
                     outcome="locked" if locked or "locked_until" in details else "denied", details=details,
                     session=s)
        s.commit()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, user: User, ttl_seconds: int, now: datetime | None = None) -> tuple[str, datetime]:
    """A new random bearer token and its expiry; only the hash is kept."""
    token = secrets.token_urlsafe(32)
    expires_at = (now or utcnow()) + timedelta(seconds=ttl_seconds)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), expires_at=expires_at))
    db.session.flush()
    return token, expires_at


def user_for_token(token: str, *, now: datetime | None = None) -> User | None:
    """The active user a live token belongs to, else None."""
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if row is None:
        return None
    if row.expires_at <= (now or utcnow()) or not row.user.active:
        return None
    return row.user
