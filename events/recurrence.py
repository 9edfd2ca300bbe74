"""Weekly recurrence on the Chinese official calendar (chinesecalendar).

A weekly rule ("every Tuesday morning") is held on the listed weekdays, skipping official public holidays
(法定节假日, e.g. the National Day week). Official make-up working days (调休上班日: a Saturday or Sunday
worked in exchange for a holiday) are handled by ``MakeupRule``:

* ``IGNORE``: make-up days get no session (a weekend is a weekend for the class);
* ``ALL``: every make-up working day gets a session (a service open on working days, such as the
  committee's clinic or office hours);
* ``STAND_IN``: a make-up day gets a session when the weekday it stands in for (调休按周X安排, from the
  official notice, given as ``stand_in={date: weekday}``) is one of the rule's weekdays. chinesecalendar
  knows which days are make-up days, not which weekday's timetable they follow, so that mapping is given.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

import chinese_calendar
from django.db import models
from django.utils.translation import gettext_lazy as _


class MakeupRule(models.TextChoices):
    IGNORE = "ignore", _("No session on make-up working days")
    ALL = "all", _("A session on every make-up working day")
    STAND_IN = "stand_in", _("A session when the make-up day stands in for one of the weekdays")


def is_public_holiday(day: datetime.date) -> bool:
    """True on an official public holiday (the days off of 法定节假日), not on an ordinary weekend."""
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return bool(on_holiday and name)


def is_makeup_workday(day: datetime.date) -> bool:
    """True on an official make-up working day: a Saturday or Sunday that is a working day."""
    return day.weekday() >= 5 and chinese_calendar.is_workday(day)


def weekly_dates(
    *,
    first: datetime.date,
    last: datetime.date,
    weekdays: Iterable[int],
    skip_holidays: bool = True,
    makeup: str = MakeupRule.IGNORE,
    stand_in: Mapping[datetime.date, int] | None = None,
) -> list[datetime.date]:
    """The dates from ``first`` to ``last`` (inclusive) on ``weekdays`` (0 = Monday ... 6 = Sunday).

    Raises ``ValueError`` for an empty or out-of-range weekday list, a reversed range, or dates outside
    the years chinesecalendar covers (when the calendar is consulted).
    """
    days = set(weekdays)
    if not days or not days <= set(range(7)):
        raise ValueError("weekdays must be a non-empty list of numbers from 0 (Monday) to 6 (Sunday)")
    if last < first:
        raise ValueError("the last date comes before the first")
    stand_in = dict(stand_in or {})
    out = []
    day = first
    while day <= last:
        if day.weekday() in days:
            if not (skip_holidays and is_public_holiday(day)):
                out.append(day)
        elif (
            makeup != MakeupRule.IGNORE
            and is_makeup_workday(day)
            and (makeup == MakeupRule.ALL or (makeup == MakeupRule.STAND_IN and stand_in.get(day) in days))
        ):
            out.append(day)
        day += datetime.timedelta(days=1)
    return out
