"""Midnight as the day's end: a deadline at 00:00 is written as 24:00 of the day before, in the pages
(the ``deadline`` filter) and in the messages (``DeadlineText``). Dates are fixed, not today's."""

import datetime
import zoneinfo

from django.template import Context, Template
from django.utils import translation

from events.deadline import DeadlineText, deadline_text

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 11, 18)
MIDNIGHT = datetime.datetime(2026, 12, 25, 0, 0, tzinfo=SH)  # the night from Thursday 24 to Friday 25
EVENING = datetime.datetime(2026, 12, 24, 18, 30, tzinfo=SH)


def test_midnight_is_the_end_of_the_day_before_in_english():
    with translation.override("en"):
        assert deadline_text(MIDNIGHT, today=TODAY) == "Thu 24 Dec, 24:00"
        assert deadline_text(MIDNIGHT, by=True, today=TODAY) == "by 24:00 on Thu 24 Dec"
        assert deadline_text(EVENING, today=TODAY) == "Thu 24 Dec, 18:30"
        # in UTC the same midnight is 16:00 the day before: the local time decides
        assert deadline_text(MIDNIGHT.astimezone(datetime.UTC), today=TODAY) == "Thu 24 Dec, 24:00"


def test_another_year_is_named():
    with translation.override("en"):
        new_year = datetime.datetime(2027, 1, 1, 0, 0, tzinfo=SH)
        assert deadline_text(new_year, today=TODAY) == "Thu 31 Dec, 24:00"  # still this year
        assert deadline_text(datetime.datetime(2027, 1, 2, 0, 0, tzinfo=SH), today=TODAY) == (
            "Fri 1 Jan 2027, 24:00"
        )
    assert deadline_text(None) == ""


def test_the_filter_in_a_template():
    with translation.override("en"):
        page = Template('{% load deadline %}{{ t|deadline }} / {{ t|deadline:"by" }}').render(
            Context({"t": MIDNIGHT})
        )
    assert page.startswith("Thu 24 Dec") and "24:00" in page and "by 24:00 on Thu 24 Dec" in page
    assert "25" not in page and "00:00" not in page


def test_a_message_context_value_renders_in_the_messages_language():
    value = DeadlineText(MIDNIGHT)
    assert str.__str__(value) == "2026-12-24 24:00"  # the neutral plain value
    with translation.override("en"):
        assert Template("{{ v }}").render(Context({"v": value})).startswith("Thu 24 Dec")


def test_in_chinese_needs_the_merged_catalogue():
    """zh: needs helper forms' strings merged into locale/ (or ZHAOXI_EXTRA_LOCALE)."""
    with translation.override("zh-hans"):
        assert deadline_text(MIDNIGHT, by=True, today=TODAY) == "12月24日（周四）24:00前"
        assert deadline_text(MIDNIGHT, today=TODAY) == "12月24日（周四）24:00"
        assert (
            translation.gettext("Open for booking until %(when)s")
            % {"when": deadline_text(MIDNIGHT, today=TODAY)}
            == "可预约，12月24日（周四）24:00截止"
        )
