"""The one date parser: dates as staff type them (ISO, 和暦, full-width), refused with the reason otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from core import dates
from integrations.imports import parsing
from residents import normalize


@pytest.mark.parametrize(("typed", "day"), [
    ("2026-04-01", date(2026, 4, 1)), ("2026/4/1", date(2026, 4, 1)), ("2026.4.1", date(2026, 4, 1)),
    ("20260401", date(2026, 4, 1)), ("2026年4月1日", date(2026, 4, 1)), ("令和8年4月1日", date(2026, 4, 1)),
    ("R8.4.1", date(2026, 4, 1)), ("r08/04/01", date(2026, 4, 1)), ("令8.4.1", date(2026, 4, 1)),
    ("令和８年４月１日", date(2026, 4, 1)), ("２０２６－０４－０１", date(2026, 4, 1)),
    (" 2026ー04ー01 ", date(2026, 4, 1)),
    ("令和元年5月1日", date(2019, 5, 1)), ("平成31年4月30日", date(2019, 4, 30)), ("H1.1.8", date(1989, 1, 8)),
    ("昭和64年1月7日", date(1989, 1, 7)), ("S60.3.3", date(1985, 3, 3)), ("大正15年12月24日", date(1926, 12, 24)),
    ("明治元年1月25日", date(1868, 1, 25)), ("M45.7.29", date(1912, 7, 29)),
])
def test_dates_as_staff_type_them(typed: str, day: date) -> None:
    assert dates.parse_date(typed) == day


@pytest.mark.parametrize(("typed", "why"), [
    ("0001-08-04", "1868年1月25日"), ("1868-01-24", "1868年1月25日"), ("令和8年13月1日", "1〜12"),
    ("令和8年2月30日", "1〜28日"), ("平成31年5月1日", "平成は平成31年4月30日まで"),
    ("令和元年4月30日", "令和は2019年5月1日から"), ("昭和0年1月1日", "元年"), ("2026-04", "年・月・日まで"),
    ("あした", "日付として読めません"), ("", "入力してください"),
    ("大正15年12月25日", "大正は大正15年12月24日まで"),
])
def test_what_is_not_a_date_is_refused_with_the_reason(typed: str, why: str) -> None:
    with pytest.raises(dates.DateError) as refused:
        dates.parse_date(typed)
    assert why in refused.value.message


@pytest.mark.parametrize(("typed", "kept"), [("1985-00-00", "1985-00-00"), ("1985-06-00", "1985-06-00"),
                                              ("昭和60年", "1985-00-00"), ("昭和60年6月頃", "1985-06-00"),
                                              ("19850600", "1985-06-00"), ("1985-06-15", "1985-06-15")])
def test_partial_dates_of_the_register_are_kept_as_such(typed: str, kept: str) -> None:
    assert dates.parse_partial(typed)[1] == kept


def test_imports_and_pages_read_dates_with_the_same_parser() -> None:
    assert normalize.parse_date("R2.1.1") == (date(2020, 1, 1), "2020-01-01")
    assert normalize.parse_date("昭和60年", partial=True) == (None, "1985-00-00")
    assert parsing._date("２０２０－０１－０１") == (date(2020, 1, 1), "2020-01-01")
    with pytest.raises(ValueError, match="1〜12"):
        normalize.parse_date("2020-13-01")
    assert dates.shown(date(2019, 5, 1)) == "令和元年5月1日" and dates.shown("") == ""
