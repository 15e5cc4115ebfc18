"""Dates as people type them: ISO, 和暦 and full-width digits — the one parser of pages, the API and imports.

Accepted (after NFKC, so ``２０２６－０４－０１`` and ``令和８年４月１日`` read as their ASCII forms):

- 西暦: ``2026-04-01``, ``2026/4/1``, ``2026.4.1``, ``20260401``, ``2026年4月1日``;
- 和暦: the era's name, first character or initial (``令和8年4月1日``, ``令8.4.1``, ``R8.4.1``, ``r08/04/01``),
  元年 for the first year (``令和元年5月1日``), a date inside the era only (``平成31年5月1日`` is refused: 令和元年).

Partial dates (不詳日 of the register) are read by :func:`parse_partial` only: ``1985-00-00``, ``1985-06-00``,
``昭和60年``, ``昭和60年3月``, with ``頃`` allowed at the end; they are kept as ``YYYY-MM-DD`` with ``00``.

Nothing before 1868-01-25 is a date here: 明治 was made to begin on 慶応4年1月1日 (旧暦), which is that day of
the Gregorian calendar; the register has no earlier dates. Every refusal is a :class:`DateError` whose message
says, in Japanese, why.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

# (name, initial, first day), newest first. 明治's first day here is the day of the 改元の詔 (the day 和暦 are shown
# from); :data:`EARLIEST` is where the retroactive 明治 begins for reading a date.
ERAS: tuple[tuple[str, str, date], ...] = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
    ("大正", "T", date(1912, 7, 30)),
    ("明治", "M", date(1868, 10, 23)),
)
EARLIEST = date(1868, 1, 25)
EXAMPLES = "例：令和8年4月1日、R8.4.1、2026-04-01"
_ERA_BY_TOKEN = {token: name for name, initial, _ in ERAS for token in (name, name[0], initial, initial.lower())}
_ERA_TOKENS = "|".join(sorted(map(re.escape, _ERA_BY_TOKEN), key=len, reverse=True))
_SEP = r"\s*[-/.年月日\s]\s*"
_WAREKI = re.compile(rf"^(?P<era>{_ERA_TOKENS})\s*(?P<y>元|\d{{1,2}})\s*(?:{_SEP}(?P<m>\d{{1,2}})"
                     rf"(?:{_SEP}(?P<d>\d{{1,2}}))?)?\s*[年月日]?\s*(?:頃)?$")
_SEIREKI = re.compile(rf"^(?P<y>\d{{4}})(?:{_SEP}(?P<m>\d{{1,2}})(?:{_SEP}(?P<d>\d{{1,2}}))?)?\s*[年月日]?\s*(?:頃)?$")
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")


class DateError(ValueError):
    """A text that is not a date we accept; ``message`` says why, in Japanese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _normalise(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().replace("ー", "-").replace("−", "-")


def _era_span(name: str) -> tuple[date, date | None]:
    """The first and last day of an era as dates are read (明治 from :data:`EARLIEST`)."""
    index = next(i for i, era in enumerate(ERAS) if era[0] == name)
    first = EARLIEST if name == "明治" else ERAS[index][2]
    last = ERAS[index - 1][2] - timedelta(days=1) if index > 0 else None
    return first, last


def era_of(day: date) -> tuple[str, int]:
    """(era name, year of the era) of ``day``; ValueError before 明治 (shown in 西暦)."""
    for name, _initial, start in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"{day.isoformat()} is before 明治; use 西暦")


def _wareki(text: str) -> str:
    """A whole date as 令和8年4月1日 (forms.wareki builds the forms' variants on :func:`era_of`)."""
    day = date.fromisoformat(text)
    try:
        era, year = era_of(day)
    except ValueError:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def _year_of(match: re.Match[str], text: str) -> tuple[int, str | None]:
    """(西暦 year, era name or None) of a match."""
    groups = match.groupdict()
    if "era" not in groups:
        return int(groups["y"]), None
    era = _ERA_BY_TOKEN[groups["era"]]
    number = 1 if groups["y"] == "元" else int(groups["y"])
    if number < 1:
        raise DateError(f"「{text}」：{era}の年は元年（1年）からです")
    return _era_span(era)[0].year + number - 1, era


def _check_in_era(day: date, era: str | None, text: str) -> None:
    if era is None:
        return
    first, last = _era_span(era)
    if day < first:
        raise DateError(f"「{text}」：{era}は{first.year}年{first.month}月{first.day}日からです")
    if last is not None and day > last:
        raise DateError(f"「{text}」：{era}は{_wareki(last.isoformat())}までです")


def _match(text: str) -> re.Match[str]:
    match = _COMPACT.match(text) or _WAREKI.match(text) or _SEIREKI.match(text)
    if match is None:
        raise DateError(f"「{text}」は日付として読めません（{EXAMPLES}）")
    return match


def _valid_day(year: int, month: int, day: int, text: str) -> date:
    if not 1 <= month <= 12:
        raise DateError(f"「{text}」：月は1〜12で入力してください")
    try:
        return date(year, month, day)
    except ValueError:
        last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
        raise DateError(f"「{text}」：{year}年{month}月の日は1〜{last}日です") from None


def _not_too_early(day: date, text: str) -> None:
    if day < EARLIEST:
        raise DateError(f"「{text}」：1868年1月25日（明治元年）より前の日付は入力できません")


def parse_date(text: object) -> date:
    """A whole date as typed (ISO, 和暦, full-width; see the module); DateError with the reason otherwise."""
    if isinstance(text, date):
        _not_too_early(text, text.isoformat())
        return text
    typed = _normalise(text)
    if not typed:
        raise DateError(f"日付を入力してください（{EXAMPLES}）")
    match = _match(typed)
    if match.group("m") is None or match.group("d") is None:
        raise DateError(f"「{typed}」：年・月・日まで入力してください（{EXAMPLES}）")
    year, era = _year_of(match, typed)
    day = _valid_day(year, int(match.group("m")), int(match.group("d")), typed)
    _not_too_early(day, typed)
    _check_in_era(day, era, typed)
    return day


def parse_partial(text: object) -> tuple[date | None, str]:
    """A date that may lack its day or month (不詳日): (the date or None, ``YYYY-MM-DD`` with 00 for unknown)."""
    typed = _normalise(text)
    if not typed:
        raise DateError(f"日付を入力してください（{EXAMPLES}）")
    zeros = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", typed)
    if zeros and (zeros.group(2) == "00" or zeros.group(3) == "00"):
        year, month, day = (int(g) for g in zeros.groups())
        if (month == 0 and day != 0) or month > 12:
            raise DateError(f"「{typed}」：不詳日は 1985-00-00（年のみ）か 1985-06-00（年月のみ）の形です")
        if year < EARLIEST.year:
            raise DateError(f"「{typed}」：1868年（明治元年）より前の日付は入力できません")
        return None, f"{year:04d}-{month:02d}-00"
    match = _match(typed)
    if match.group("d") is not None:
        day_ = parse_date(typed)
        return day_, day_.isoformat()
    year, era = _year_of(match, typed)
    month = int(match.group("m")) if match.group("m") else 0
    if month:
        _valid_day(year, month, 1, typed)
    _not_too_early(date(year, month or 12, 28 if month else 31), typed)
    if era is not None:  # the period must overlap the era
        first, last = _era_span(era)
        end = date(year, month or 12, 28 if month else 31)
        if end < first or (last is not None and date(year, month or 1, 1) > last):
            raise DateError(f"「{typed}」：{era}の期間にない年月です")
    return None, f"{year:04d}-{month:02d}-00"


def shown(value: date | str | None) -> str:
    """A whole date as people read it back on a screen (和暦); "" for none."""
    if value in (None, ""):
        return ""
    return _wareki(value.isoformat() if isinstance(value, date) else str(value))
