"""What every template may use: times in Japan time, states in Japanese, the helpers that mark 支援措置 residents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from core.calendar import JST
from residents import protection

CASE_STATES = {"running": "処理中", "completed": "完了", "cancelled": "取消"}
TASK_STATES = {"ready": "処理待ち", "completed": "完了", "cancelled": "取消"}


def jst(value: datetime | None) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else ""


def protection_helpers() -> dict[str, Any]:
    """Every page marks protected residents and masks their address with these."""
    return {"protection_status": protection.status, "protected_address": protection.shown_address,
            "case_protection": protection.case_status, "case_marks": protection.case_marks,
            "household_protected": protection.household_protected, "protection_purposes": protection.PURPOSES}


def register_filters(app: Flask) -> None:
    app.add_template_filter(jst, "jst")
    app.add_template_filter(lambda s: CASE_STATES.get(s, s), "case_state")
    app.add_template_filter(lambda s: TASK_STATES.get(s, s), "task_state")
    app.context_processor(protection_helpers)
