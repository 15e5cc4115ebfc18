"""Demo set-up: the default sections and one user per role and per section (demo mode only)."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from core import users
from core.db import db
from core.models import Counter, Section, User

DEFAULT_SECTIONS = Path(__file__).resolve().parent / "default_sections.yaml"
ROLE_USERS = {"counter": ("総合窓口 職員", ["madoguchi"]), "manager": ("管理者（課長）", []),
              "designer": ("業務設計担当", []), "admin": ("システム管理者", [])}


def load_sections(path: Path = DEFAULT_SECTIONS) -> list[Section]:
    """Create or update the sections listed in ``path``."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [users.upsert_section(code=r["code"], name=r["name"], lane=r["lane"], sort_order=i)
            for i, r in enumerate(rows)]


def create_demo_users(*, password: str) -> list[User]:
    """One user per role (named after it) and one section user per section (named after its code)."""
    created = []
    for username, (display, sections) in ROLE_USERS.items():
        if users.get_by_username(username) is None:
            created.append(users.create_demo_user(username=username, password=password, role=username,
                                                  display_name=display, sections=sections))
    for section in users.list_sections():
        if section.code != "madoguchi" and users.get_by_username(section.code) is None:
            created.append(users.create_demo_user(username=section.code, password=password, role="section",
                                                  display_name=f"{section.name} 職員",
                                                  sections=[section.code]))
    return created


def create_demo_counters() -> list[Counter]:
    """Two counters of 総合窓口 (1, 2) and one per other section (3 …), where none is numbered yet: the tickets'
    call panel and the board need them (the administrator edits them on システム管理)."""
    if db.session.scalar(select(Counter.id).limit(1)) is not None:
        return []
    codes = ["madoguchi", "madoguchi", *(s.code for s in users.list_sections() if s.code not in ("madoguchi", "shien"))]
    counters = [Counter(number=str(i), name=f"{i}番窓口", section_code=code, active=True)
                for i, code in enumerate(codes, start=1)]
    db.session.add_all(counters)
    db.session.flush()
    return counters
