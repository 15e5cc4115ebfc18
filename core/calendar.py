"""Japan time and the city hall's calendar.

Every date a person reads is a Japan-time date, whatever the server's zone; city hall is closed on weekends,
national holidays and 29 Dec – 3 Jan (地方自治法 4条の2). Deadlines skip closed days; business-day jobs do not run
on them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

JST = ZoneInfo("Asia/Tokyo")


def is_closed_day(day: date) -> bool:
    """A weekend, a national holiday or 年末年始 (29 Dec – 3 Jan)."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or year_end or jpholiday.is_holiday(day)


def is_business_day(day: date) -> bool:
    """A day city hall is open."""
    return not is_closed_day(day)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants that bound a Japan-time day."""
    start = datetime.combine(day, time.min, tzinfo=JST)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
