"""Users, sections and API tokens: create, authenticate, issue and resolve tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Invalid
from core.models import ROLES, ApiToken, Section, User


def actor_for(user: User, *, terminal: str | None = None, ip: str | None = None) -> Actor:
    return Actor(username=user.username, role=user.role, sections=tuple(user.section_codes),
                 user_id=user.id, terminal=terminal, ip=ip)


def upsert_section(*, code: str, name: str, lane: str, sort_order: int = 0) -> Section:
    """Create or rename a section; its lane name is what BPMN lanes must say."""
    section = db.session.get(Section, code) or Section(code=code)
    section.name, section.lane, section.sort_order = name, lane, sort_order
    db.session.add(section)
    db.session.flush()
    return section


def list_sections() -> list[Section]:
    return list(db.session.scalars(db.select(Section).order_by(Section.sort_order, Section.code)))


def section_by_lane() -> dict[str, Section]:
    return {s.lane: s for s in list_sections()}


def create_user(*, username: str, password: str, role: str, display_name: str | None = None,
                sections: list[str] | tuple[str, ...] = ()) -> User:
    """Create a user with a hashed password; raises Invalid for an unknown role or section."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}", details={"role": f"one of {', '.join(ROLES)}"})
    if db.session.scalar(db.select(User).where(User.username == username)):
        raise Invalid(f"user {username!r} exists", details={"username": "already taken"})
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=generate_password_hash(password))
    for code in sections:
        section = db.session.get(Section, code)
        if section is None:
            raise Invalid(f"unknown section {code!r}", details={"sections": code})
        user.sections.append(section)
    db.session.add(user)
    db.session.flush()
    return user


def get_by_username(username: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.username == username))


# Checked against unknown usernames too, so a miss takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("madoguchi-no-such-user")


def authenticate(*, username: str, password: str, terminal: str | None = None, ip: str | None = None,
                 max_failures: int = 5, lockout_minutes: int = 15, now: datetime | None = None) -> User | None:
    """The user if the password matches, the account is active and not locked; every attempt is logged.

    ``max_failures`` consecutive failures lock the account for ``lockout_minutes``. A failure's log entry and
    counter are committed in a transaction of their own, so they stay whatever the caller does next.
    """
    now = now or utcnow()
    user = get_by_username(username)
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    ok = ok and user is not None and user.active and not locked
    if ok and user is not None:
        user.failed_logins, user.locked_until = 0, None
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


def validate_password(password: str, *, username: str, min_length: int = 10) -> None:
    """Invalid (on field ``password``) unless it is long enough, mixes letters and digits and is not the name."""
    problems = []
    if len(password) < min_length:
        problems.append(f"{min_length}文字以上にしてください")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("英字と数字を両方含めてください")
    if username and username.lower() in password.lower():
        problems.append("ユーザー名を含めないでください")
    if problems:
        raise Invalid("パスワードが規則を満たしていません: " + "、".join(problems), details={"password": problems})


def change_password(*, actor: Actor, user: User, password: str, min_length: int = 10) -> None:
    """Set a new password that meets the policy; unlocks the account; logged (never the password)."""
    validate_password(password, username=user.username, min_length=min_length)
    user.password_hash = generate_password_hash(password)
    user.password_changed_at, user.failed_logins, user.locked_until = utcnow(), 0, None
    db.session.flush()
    audit.record(actor=actor, action="user.password", target_type="user", target_id=user.username)


def unlock(*, actor: Actor, user: User) -> None:
    """Clear a lockout before it expires; logged."""
    user.failed_logins, user.locked_until = 0, None
    db.session.flush()
    audit.record(actor=actor, action="user.unlock", target_type="user", target_id=user.username)


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


def list_users() -> list[User]:
    return list(db.session.scalars(db.select(User).order_by(User.username)))
