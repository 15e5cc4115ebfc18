"""和暦: era boundaries (the day before and the first day of each era), 元年, partial dates, 西暦 for foreigners."""

from __future__ import annotations

from datetime import date

import pytest

from forms import wareki


@pytest.mark.parametrize(("day", "expected"), [
    (date(1868, 10, 23), "明治元年10月23日"),
    (date(1912, 7, 29), "明治45年7月29日"),
    (date(1912, 7, 30), "大正元年7月30日"),
    (date(1926, 12, 24), "大正15年12月24日"),
    (date(1926, 12, 25), "昭和元年12月25日"),
    (date(1989, 1, 7), "昭和64年1月7日"),
    (date(1989, 1, 8), "平成元年1月8日"),
    (date(2019, 4, 30), "平成31年4月30日"),
    (date(2019, 5, 1), "令和元年5月1日"),
    (date(2026, 11, 26), "令和8年11月26日"),
])
def test_era_boundaries(day: date, expected: str) -> None:
    assert wareki.to_wareki(day) == expected
    assert wareki.to_wareki(day.isoformat()) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1985-00-00", "昭和60年"),
    ("1985-03-00", "昭和60年3月"),
    ("19850300", "昭和60年3月"),
    ("1989-00-00", "平成元年"),        # the era in force at the end of the period
    ("1989-01-00", "平成元年1月"),
    ("2019-04-00", "平成31年4月"),
    ("2019-00-00", "令和元年"),
    ("0000-00-00", "不詳"),
    ("", ""),
])
def test_partial_dates_are_kept_as_partial(text: str, expected: str) -> None:
    assert wareki.to_wareki(text) == expected


def test_foreign_residents_get_western_dates_and_fullwidth_digits() -> None:
    assert wareki.to_wareki("1990-04-01", foreign=True) == "1990年4月1日"
    assert wareki.to_wareki("2024-04-01", digits="fullwidth") == "令和６年４月１日"
    assert wareki.wareki_parts("1989-01-08") == {"era": "平成", "year": "元", "month": "1", "day": "8"}


@pytest.mark.parametrize("bad", ["2023-02-30", "1985-13-00", "1985-00-05", "abc", "2023-1-1"])
def test_impossible_dates_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        wareki.to_wareki(bad)


def test_before_meiji_is_western() -> None:
    assert wareki.to_wareki("1868-01-01") == "1868年1月1日"
    with pytest.raises(ValueError):
        wareki.era_of(date(1868, 10, 22))
