"""The city's calendar as a service operation: legal deadlines that skip the days city hall is closed."""

from __future__ import annotations

from datetime import date, timedelta

import jpholiday

from workflows.wiring import Operation


def is_closed_day(day: date) -> bool:
    """City hall is closed on weekends, national holidays and 29 Dec – 3 Jan (地方自治法 4条の2)."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or year_end or jpholiday.is_holiday(day)


def deadline(*, start: str, days: int) -> str:
    """The legal deadline ``days`` after ``start`` (ISO date), extended past closed days as the law does."""
    due = date.fromisoformat(str(start)) + timedelta(days=int(days))
    while is_closed_day(due):
        due += timedelta(days=1)
    return due.isoformat()


DEADLINE = Operation("calendar.deadline", deadline,
                     description="期限日: start + days; a closed day moves it to the next open day",
                     params={"start": "str", "days": "int"})
