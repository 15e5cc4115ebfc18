"""What every template may use: times in Japan time, dates in 和暦, states in Japanese, the helpers that mark
支援措置 residents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask

from core import dates
from core.calendar import JST
from core.i18n import N_, RUN_STATUS
from forms import wareki
from residents import protection
from web.i18n import language, translate
from workflows import incidents

CASE_STATES = {"running": N_("処理中"), "completed": N_("完了"), "cancelled": N_("取消")}
TASK_STATES = {"ready": N_("処理待ち"), "completed": N_("完了"), "cancelled": N_("取消")}


def jst(value: datetime | str | None) -> str:
    """A moment as people read it: Japan time, whatever the server's zone (an ISO text is read first), its day
    in 和暦 on a Japanese page (令和8年12月21日 17:15: a 期限 in the inbox is read, not parsed), 西暦 on an
    English one."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not value:
        return ""
    moment = value.astimezone(JST)
    if language() == "ja":
        return f"{wareki.to_wareki(moment.date())} {moment:%H:%M}"
    return moment.strftime("%Y-%m-%d %H:%M")


def wareki_date(value: date | str | None, foreign: bool = False) -> str:
    """A date (or a partial date of the register) in 和暦 — 西暦 for a foreign resident; "" for none."""
    if value in (None, ""):
        return ""
    try:
        return wareki.to_wareki(value, foreign=foreign)
    except ValueError:
        return str(value)


def date_input(value: Any) -> str:
    """What a date box shows: a known date in 和暦 (read back the same way), anything else as it was typed."""
    if value in (None, ""):
        return ""
    try:
        return dates.shown(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def protection_helpers() -> dict[str, Any]:
    """Every page marks protected residents and masks their address with these."""
    return {"protection_status": protection.status, "protected_address": protection.shown_address,
            "case_protection": protection.case_status, "case_marks": protection.case_marks,
            "household_protected": protection.household_protected, "protection_purposes": protection.PURPOSES}


def register_filters(app: Flask) -> None:
    app.add_template_filter(jst, "jst")
    app.add_template_filter(wareki_date, "wareki")
    app.add_template_filter(date_input, "date_input")
    app.add_template_filter(lambda s: translate(CASE_STATES.get(s, s)), "case_state")
    app.add_template_filter(lambda s: translate(TASK_STATES.get(s, s)), "task_state")
    app.add_template_filter(lambda s: translate(RUN_STATUS.get(s, s)), "run_status")
    app.add_template_filter(lambda i: translate(incidents.message_of(i)), "incident_message")
    app.context_processor(protection_helpers)
