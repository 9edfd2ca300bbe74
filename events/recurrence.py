"""Weekly and fortnightly recurrence on the official calendar the portal keeps (``portal.holidays``).

A weekly rule ("every Tuesday morning") is held on the listed weekdays (0 = Monday ... 6 = Sunday), every
week (``every=1``) or every other week (``every=2``, counted from the week of ``first``), skipping the
official public holidays (法定节假日, e.g. the National Day week). The holidays and the make-up working days
(调休上班日: a Saturday or Sunday worked in exchange for a holiday) are read from the portal's data with
one query per range (``portal.holidays.selectors.calendar_days``): seeded from chinesecalendar for the
years it knows, entered by staff from the State Council notice for the others. A year the portal holds no
arrangement for is *unknown*: its dates are not skipped, and callers warn staff
(``portal.holidays.selectors.unknown_years_warning``).

Planning a schedule (the preview staff see before saving)::

    plan = schedule_plan(first=date(2027, 1, 1), last=date(2027, 6, 30), weekdays=[1], every=1)
    plan.candidates      # tuple of PlannedDate(date, included, festival) in date order; a skipped date
                         # has ``included=False`` and ``holiday_name`` (translated, e.g. 春节)
    plan.skipped         # the candidates skipped for a public holiday
    plan.makeup_days     # tuple of MakeupDay(date, festival) in range that are not already candidates:
                         # staff may choose to add some (``name`` is the translated holiday name)
    plan.unknown_years   # tuple of years in range with no holiday data (nothing skipped there)
    plan.dates(makeup_days={date(2027, 2, 20)})   # the final sorted dates: included candidates plus
                         # the chosen make-up days (dates that are not make-up days of the plan are
                         # refused with ValueError)

``schedule_plan`` is pure apart from that one read: it writes nothing. ``weekly_dates`` is the older
entry point (kept for ``sessions_generate_weekly`` and the demo) with rules for make-up days
(``MakeupRule``):

* ``IGNORE``: make-up days get no session (a weekend is a weekend for the class);
* ``ALL``: every make-up working day gets a session (a service open on working days, such as the
  committee's clinic or office hours);
* ``STAND_IN``: a make-up day gets a session when the weekday it stands in for (调休按周X安排, from the
  official notice, given as ``stand_in={date: weekday}``) is one of the rule's weekdays.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.holidays.models import DayKind, Festival
from portal.holidays.selectors import calendar_days, unknown_years


class MakeupRule(models.TextChoices):
    IGNORE = "ignore", _("No session on make-up working days")
    ALL = "all", _("A session on every make-up working day")
    STAND_IN = "stand_in", _("A session when the make-up day stands in for one of the weekdays")


def is_public_holiday(day: datetime.date) -> bool:
    """True on an official public holiday (the days off of 法定节假日), not on an ordinary weekend."""
    found = calendar_days(day, day).get(day)
    return bool(found and found.kind == DayKind.HOLIDAY)


def is_makeup_workday(day: datetime.date) -> bool:
    """True on an official make-up working day: a Saturday or Sunday that is a working day."""
    found = calendar_days(day, day).get(day)
    return bool(found and found.kind == DayKind.WORKDAY)


def _festival_label(code: str) -> str:
    try:
        return Festival(code).label
    except ValueError:
        return code


@dataclass(frozen=True)
class PlannedDate:
    """A date the rule falls on; ``included`` is False when it is skipped for a public holiday."""

    date: datetime.date
    included: bool
    festival: str = ""  # the Festival code of the holiday it is skipped for

    @property
    def holiday_name(self) -> str:
        return _festival_label(self.festival) if self.festival else ""


@dataclass(frozen=True)
class MakeupDay:
    """An official make-up working day in the range, which staff may choose to add."""

    date: datetime.date
    festival: str

    @property
    def name(self) -> str:
        return _festival_label(self.festival)


@dataclass(frozen=True)
class SchedulePlan:
    first: datetime.date
    last: datetime.date
    weekdays: tuple[int, ...]
    every: int
    candidates: tuple[PlannedDate, ...]
    makeup_days: tuple[MakeupDay, ...]
    unknown_years: tuple[int, ...]

    @property
    def skipped(self) -> tuple[PlannedDate, ...]:
        return tuple(c for c in self.candidates if not c.included)

    @property
    def included(self) -> tuple[datetime.date, ...]:
        return tuple(c.date for c in self.candidates if c.included)

    def dates(self, makeup_days: Iterable[datetime.date] = ()) -> list[datetime.date]:
        """The dates to hold: the included candidates and the chosen make-up working days."""
        chosen = set(makeup_days)
        offered = {m.date for m in self.makeup_days}
        if stray := chosen - offered:
            raise ValueError(
                "not make-up working days of this schedule: "
                + ", ".join(f"{d:%Y-%m-%d}" for d in sorted(stray))
            )
        return sorted(set(self.included) | chosen)


def _check_rule(first: datetime.date, last: datetime.date, weekdays: Iterable[int], every: int) -> set[int]:
    days = set(weekdays)
    if not days or not days <= set(range(7)):
        raise ValueError("weekdays must be a non-empty list of numbers from 0 (Monday) to 6 (Sunday)")
    if last < first:
        raise ValueError("the last date comes before the first")
    if every not in (1, 2):
        raise ValueError("every must be 1 (weekly) or 2 (fortnightly)")
    return days


def _rule_days(first: datetime.date, last: datetime.date, days: set[int], every: int):
    monday = first - datetime.timedelta(days=first.weekday())
    day = first
    while day <= last:
        if day.weekday() in days and ((day - monday).days // 7) % every == 0:
            yield day
        day += datetime.timedelta(days=1)


def schedule_plan(
    *,
    first: datetime.date,
    last: datetime.date,
    weekdays: Iterable[int],
    every: int = 1,
    skip_holidays: bool = True,
) -> SchedulePlan:
    """Plan a weekly (``every=1``) or fortnightly (``every=2``) schedule from ``first`` to ``last``
    (inclusive) on ``weekdays``: see the module docstring. Raises ``ValueError`` for a bad rule."""
    days = _check_rule(first, last, weekdays, every)
    official = calendar_days(first, last)
    candidates = []
    for day in _rule_days(first, last, days, every):
        entry = official.get(day)
        if skip_holidays and entry is not None and entry.kind == DayKind.HOLIDAY:
            candidates.append(PlannedDate(date=day, included=False, festival=entry.festival))
        else:
            candidates.append(PlannedDate(date=day, included=True))
    taken = {c.date for c in candidates if c.included}
    makeup = tuple(
        MakeupDay(date=day, festival=entry.festival)
        for day, entry in sorted(official.items())
        if entry.kind == DayKind.WORKDAY and day not in taken
    )
    return SchedulePlan(
        first=first,
        last=last,
        weekdays=tuple(sorted(days)),
        every=every,
        candidates=tuple(candidates),
        makeup_days=makeup,
        unknown_years=tuple(unknown_years(first, last)),
    )


def weekly_dates(
    *,
    first: datetime.date,
    last: datetime.date,
    weekdays: Iterable[int],
    skip_holidays: bool = True,
    makeup: str = MakeupRule.IGNORE,
    stand_in: Mapping[datetime.date, int] | None = None,
    every: int = 1,
) -> list[datetime.date]:
    """The dates from ``first`` to ``last`` (inclusive) on ``weekdays`` (0 = Monday ... 6 = Sunday),
    every week or every other week, public holidays skipped, make-up days per ``makeup``.

    Raises ``ValueError`` for an empty or out-of-range weekday list, a reversed range or a bad ``every``.
    Years the portal holds no arrangement for are not checked (see ``schedule_plan().unknown_years``).
    """
    plan = schedule_plan(first=first, last=last, weekdays=weekdays, every=every, skip_holidays=skip_holidays)
    stand_in = dict(stand_in or {})
    days = set(plan.weekdays)
    if makeup == MakeupRule.ALL:
        extra = {m.date for m in plan.makeup_days}
    elif makeup == MakeupRule.STAND_IN:
        extra = {m.date for m in plan.makeup_days if stand_in.get(m.date) in days}
    else:
        extra = set()
    return plan.dates(makeup_days=extra)
