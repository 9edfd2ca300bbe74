"""Festival dates computed on the lunar calendar (lunar_python), checked against dates known from
elsewhere: the State Council's holiday notices as chinesecalendar holds them (春节, 端午, 中秋 fall in
their holidays) and the published almanac dates of 2025–2027."""

import datetime

import chinese_calendar
import pytest
from django.utils import translation

from portal.holidays.festivals import FestivalDay, LunarFestival, festival_date, festivals_between

D = datetime.date
F = LunarFestival


@pytest.mark.parametrize(
    ("code", "year", "expected"),
    [
        (F.MID_AUTUMN, 2026, D(2026, 9, 25)),
        (F.DOUBLE_NINTH, 2027, D(2027, 10, 8)),
        (F.SPRING, 2027, D(2027, 2, 6)),
        (F.WINTER_SOLSTICE, 2026, D(2026, 12, 22)),
        (F.WINTER_SOLSTICE, 2025, D(2025, 12, 21)),
        (F.SPRING, 2026, D(2026, 2, 17)),
        (F.LANTERN, 2026, D(2026, 3, 3)),
        (F.DRAGON_BOAT, 2026, D(2026, 6, 19)),
        (F.QIXI, 2026, D(2026, 8, 19)),
        (F.DOUBLE_NINTH, 2026, D(2026, 10, 18)),
        (F.MID_AUTUMN, 2025, D(2025, 10, 6)),
        (F.SPRING, 2025, D(2025, 1, 29)),
        # a year with a leap month (闰六月 2025): the festivals after it are still on the right day
        (F.DOUBLE_NINTH, 2025, D(2025, 10, 29)),
    ],
)
def test_known_dates(code, year, expected):
    assert festival_date(code, year) == expected


@pytest.mark.parametrize("year", range(2015, 2027))
def test_the_official_holidays_hold_the_lunar_festivals(year):
    """chinesecalendar (the official notices) has 春节, 端午 and 中秋 as days off on the computed dates."""
    for code, holiday in (
        (F.SPRING, chinese_calendar.Holiday.spring_festival),
        (F.DRAGON_BOAT, chinese_calendar.Holiday.dragon_boat_festival),
        (F.MID_AUTUMN, chinese_calendar.Holiday.mid_autumn_festival),
    ):
        day = festival_date(code, year)
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        # 2020: 中秋 fell on 1 October, a day of the National Day holiday
        expected = {holiday.value} | ({"National Day"} if day.month == 10 and day.day <= 8 else set())
        assert on_holiday and name in expected, (code, year, day)


def test_festivals_between_in_order_and_translated():
    days = festivals_between(D(2026, 9, 1), D(2027, 2, 28))
    assert days == [
        FestivalDay(D(2026, 9, 25), "mid_autumn"),
        FestivalDay(D(2026, 10, 18), "double_ninth"),
        FestivalDay(D(2026, 12, 22), "winter_solstice"),
        FestivalDay(D(2027, 2, 6), "spring"),
        FestivalDay(D(2027, 2, 20), "lantern"),
    ]
    with translation.override("zh-hans"):
        assert [str(d.name) for d in days] == ["中秋节", "重阳节", "冬至", "春节", "元宵节"]


def test_an_unknown_festival_is_refused():
    with pytest.raises(ValueError):
        festival_date("labour", 2026)


def test_the_demos_festival_events_take_their_dates_from_the_lunar_calendar():
    from events.demo import festivals_around

    last, nxt = festivals_around(D(2026, 10, 1))
    assert (last[0], last[1]) == (D(2026, 9, 25), "中秋")
    assert (nxt[0], nxt[1]) == (D(2026, 10, 18), "重阳")
    last, nxt = festivals_around(D(2031, 1, 5))  # far beyond any table: still computed
    assert (last[0], last[1]) == (D(2030, 12, 22), "冬至") and nxt[1] == "元宵"
    assert nxt[0] == festival_date(F.LANTERN, 2031)
