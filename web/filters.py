"""Jinja filters: times in Japan time, states in Japanese."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from core.calendar import JST

CASE_STATES = {"running": "処理中", "completed": "完了", "cancelled": "取消"}
TASK_STATES = {"ready": "処理待ち", "completed": "完了", "cancelled": "取消"}


def jst(value: datetime | None) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else ""


def register_filters(app: Flask) -> None:
    app.add_template_filter(jst, "jst")
    app.add_template_filter(lambda s: CASE_STATES.get(s, s), "case_state")
    app.add_template_filter(lambda s: TASK_STATES.get(s, s), "task_state")
