"""The city's calendar as a service operation: legal deadlines that skip the days city hall is closed."""

from __future__ import annotations

from datetime import date, timedelta

from core.calendar import is_closed_day
from workflows.wiring import Operation


def deadline(*, start: str, days: int) -> str:
    """The legal deadline ``days`` after ``start`` (ISO date), extended past closed days as the law does."""
    due = date.fromisoformat(str(start)) + timedelta(days=int(days))
    while is_closed_day(due):
        due += timedelta(days=1)
    return due.isoformat()


DEADLINE = Operation("calendar.deadline", deadline,
                     description="期限日: start + days; a closed day moves it to the next open day",
                     params={"start": "str", "days": "int"})
