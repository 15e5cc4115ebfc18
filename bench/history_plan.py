"""The plan of bench/history.py's five years: how many residents, cases and log rows at a scale, over which
business days, and when in a day a visit happens (the counters' hours, Japan time)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bench.history_visits import Template
from core import calendar

FULL = {"residents": 200_000, "cases": 1_000_000, "log": 30_000_000}  # scale 1.0: a city of 200,000
OPEN, CLOSE = (8, 30), (17, 15)  # the counters' hours, Japan time


@dataclass
class Plan:
    """How much history, over which days."""

    scale: float = 1.0
    years: int = 5
    seed: int = 2026
    end: date | None = None  # the last day of the history (default: yesterday, Japan time)

    @property
    def cases(self) -> int:
        return max(1, round(FULL["cases"] * self.scale))

    @property
    def log(self) -> int:
        return max(1, round(FULL["log"] * self.scale))

    @property
    def residents(self) -> int:
        return max(2000, round(FULL["residents"] * self.scale))

    def days(self) -> list[date]:
        last = self.end or datetime.now(calendar.JST).date() - timedelta(days=1)
        first = date(last.year - self.years, last.month, min(last.day, 28)) + timedelta(days=1)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)
                if calendar.is_business_day(first + timedelta(days=i))]


def moment(day: date, minutes: float) -> datetime:
    """``minutes`` after the counters open on ``day``, as a UTC instant."""
    opened = datetime(day.year, day.month, day.day, *OPEN, tzinfo=calendar.JST)
    return (opened + timedelta(minutes=minutes)).astimezone(UTC)


DAY_MINUTES = (CLOSE[0] * 60 + CLOSE[1]) - (OPEN[0] * 60 + OPEN[1])


def visit_window(template: Template, rng: random.Random) -> tuple[float, float]:
    """When a visit starts (minutes after opening) and how long to its last row (seconds): a certificate in
    5–20 minutes, a move's procedures over 20 minutes to 3 hours; all before closing."""
    quick = template.event == "shomei" or template.state == "cancelled"
    minutes = rng.uniform(5, 20) if quick else rng.uniform(20, 180)
    begin = rng.uniform(0, max(1.0, DAY_MINUTES - minutes))
    return begin, minutes * 60
