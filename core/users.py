"""Users, sections and API tokens: create, authenticate, issue and resolve tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

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


def authenticate(*, username: str, password: str, terminal: str | None = None, ip: str | None = None) -> User | None:
    """The user if the password matches and the account is active; every attempt is logged."""
    user = get_by_username(username)
    ok = user is not None and user.active and check_password_hash(user.password_hash, password)
    actor = actor_for(user, terminal=terminal, ip=ip) if ok and user else Actor(
        username=username, role="", terminal=terminal, ip=ip)
    audit.record(actor=actor, action="auth.login", target_type="user", target_id=username,
                 outcome="ok" if ok else "denied")
    return user if ok else None


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
