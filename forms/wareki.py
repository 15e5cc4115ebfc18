"""和暦 (Japanese era) dates for forms: exact era boundaries, 元年, partial (不詳) dates, full-width digits.

Era boundaries are the first day of each era (明治 from 1868-10-23, the day of the 改元の詔; earlier dates are
shown in 西暦). A partial date is ``YYYY-MM-DD`` with ``00`` for unknown parts (the resident DB's
``birth_date_text``). When only the year (or year and month) is known and an era changed within that period,
the era in force at the **end** of the period is used (1989-00-00 → 平成元年), because that is the era the
register's later entries use; an entirely unknown date gives 「不詳」.
"""

from __future__ import annotations

from datetime import date

from core.dates import era_of  # the era table is core.dates.ERAS (one table for reading and printing)

UNKNOWN = "不詳"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def fullwidth(text: object) -> str:
    """ASCII digits as full-width digits (forms that print 全角数字)."""
    return "" if text is None else str(text).translate(_FULLWIDTH)


def _year(n: int) -> str:
    return "元" if n == 1 else str(n)


def parse_partial(text: str | date | None) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) with None for unknown parts, from ISO ``YYYY-MM-DD``/``YYYYMMDD`` with 00 as unknown."""
    if text is None or text == "":
        return None, None, None
    if isinstance(text, date):
        return text.year, text.month, text.day
    digits = str(text).replace("-", "").replace("/", "").strip()
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"not a date: {text!r} (YYYY-MM-DD, 00 for unknown parts)")
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if year and month and day:
        date(year, month, day)  # raises on 2月30日
    elif (month and not 1 <= month <= 12) or (day and not month):
        raise ValueError(f"not a partial date: {text!r}")
    return year or None, month or None, day or None


def _last_day(year: int, month: int | None) -> date:
    if month is None:
        return date(year, 12, 31)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def to_wareki(value: str | date | None, *, digits: str = "ascii", foreign: bool = False) -> str:
    """The date as 「令和6年4月1日」 (partial: 「昭和60年3月」, 「平成元年」); 西暦 for foreign residents."""
    year, month, day = parse_partial(value)
    if year is None:
        return UNKNOWN if value not in (None, "") else ""
    if foreign:
        text = f"{year}年" + (f"{month}月" if month else "") + (f"{day}日" if day else "")
    else:
        when = date(year, month, day) if month and day else _last_day(year, month)
        try:
            era, n = era_of(when)
        except ValueError:
            era, n = "", year
        text = f"{era}{_year(n) if era else n}年" + (f"{month}月" if month else "") + (f"{day}日" if day else "")
    return fullwidth(text) if digits == "fullwidth" else text


def wareki_parts(value: str | date | None, *, foreign: bool = False) -> dict[str, str]:
    """The parts a form's boxes print separately: era, year, month, day (empty when unknown)."""
    year, month, day = parse_partial(value)
    if year is None:
        return {"era": "", "year": "", "month": "", "day": ""}
    if foreign:
        return {"era": "西暦", "year": str(year), "month": str(month or ""), "day": str(day or "")}
    when = date(year, month, day) if month and day else _last_day(year, month)
    era, n = era_of(when)
    return {"era": era, "year": _year(n), "month": str(month or ""), "day": str(day or "")}
