"""What the administrator sets about the city at run time (管理 → システム設定), read where it matters.

- ``city_name``: printed on every application form and on the procedure guide (「山口市長 様」);
- ``office_hours``: printed on the procedure guide;
- ``display_board_message``: shown on the waiting-area display board.

Deployment settings (database, keys, retention, session timeout) are environment settings (:mod:`core.settings`),
not these: one value has one home. Changes are checked field by field and logged; functions only flush.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Forbidden, Invalid
from core.i18n import N_
from core.models import SystemSetting

MAX_LENGTH = 1000


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    default: str
    help: str = ""
    max_length: int = MAX_LENGTH


SETTINGS = (
    SettingSpec("city_name", N_("自治体名"), "山口市", max_length=40,
                help=N_("申請書と手続案内書に印字されます（例: 山口市 → 山口市長 様）")),
    SettingSpec("office_hours", N_("開庁時間"), "08:30-17:15", help=N_("手続案内書に印字されます"), max_length=100),
    SettingSpec("display_board_message", N_("呼出表示板のお知らせ"), "",
                help=N_("待合の表示板に表示されます（個人情報は書かないでください）")),
)
_BY_KEY = {s.key: s for s in SETTINGS}


def values() -> dict[str, str]:
    """Every setting's current value (stored or default)."""
    stored = {s.key: s.value for s in db.session.scalars(db.select(SystemSetting))}
    return {spec.key: stored.get(spec.key, spec.default) for spec in SETTINGS}


def get(key: str) -> str:
    """One setting's current value."""
    spec = _BY_KEY[key]
    row = db.session.get(SystemSetting, key)
    return row.value if row is not None else spec.default


def update(*, actor: Actor, changes: dict[str, str]) -> dict[str, str]:
    """Check every value first (Invalid lists each bad field), then store the changed ones."""
    if actor.role != "admin":
        raise Forbidden(N_("システム設定を変更できるのはシステム管理者だけです"))
    errors: dict[str, list[str]] = {k: ["この設定はありません"] for k in sorted(set(changes) - set(_BY_KEY))}
    for key, raw in changes.items():
        spec = _BY_KEY.get(key)
        if spec is not None and len((raw or "").strip()) > spec.max_length:
            errors[key] = [f"{spec.max_length}文字以内で入力してください"]
    if errors:
        raise Invalid(N_("設定に誤りがあります: {fields}", fields=", ".join(sorted(errors))),
                      details={"fields": errors})
    current = values()
    changed = {k: v.strip() for k, v in changes.items() if v.strip() != current[k]}
    for key, value in changed.items():
        row = db.session.get(SystemSetting, key) or SystemSetting(key=key)
        row.value, row.updated_by, row.updated_at = value, actor.username, utcnow()
        db.session.add(row)
    db.session.flush()
    if changed:
        audit.record(actor=actor, action="admin.settings.update", target_type="settings",
                     details={"before": {k: current[k] for k in changed}, "after": changed})
    return values()
