"""Writing the official calendar: seeding from chinesecalendar, and staff entering a year's arrangement the
way the State Council notice reads it ("一、元旦：1月1日至3日放假，共3天。1月4日（周日）上班。"): per holiday a
first and a last day off and the make-up working days (调休上班日).

Every write is one ``transaction.atomic`` block under ``set_actor`` (auditlog records each day added or
removed); a refusal is a ``ValidationError`` with a translated message keyed by the field it concerns.
For a whole year (``calendar_year_set``) the keys are ``"<festival>.<field>"`` (``"spring_festival.last"``),
so a form per holiday can show each message next to its own field.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import chinese_calendar
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.audit import set_actor

from .models import CalendarDay, CalendarYear, DayKind, Festival, YearSource

#: The years staff may enter (a sanity bound on what a form may write).
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class HolidayArrangement:
    """One holiday of a notice: days off from ``first`` to ``last`` and the weekend days worked for it."""

    first: datetime.date
    last: datetime.date
    workdays: tuple[datetime.date, ...] = field(default_factory=tuple)


def _require_calendar_staff(actor) -> None:
    if not (actor is not None and actor.is_active and actor.is_community_staff):
        raise PermissionDenied(_("Only community staff may edit the holiday calendar."))


def _day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def _in_year(day: datetime.date, year: int, festival: str) -> bool:
    """A holiday's days belong to its year; New Year's Day may begin in the last days of the December
    before (元旦：2016年12月31日至2017年1月2日放假调休)."""
    if day.year == year:
        return True
    return festival == Festival.NEW_YEAR and day.year == year - 1 and day.month == 12 and day.day >= 25


def _taken_by_other_years(year: int, dates: Iterable[datetime.date]) -> dict[datetime.date, tuple[str, str]]:
    """Days of other years' rows among ``dates`` (a 元旦 that began in December)."""
    return {
        d.date: (d.kind, d.festival)
        for d in CalendarDay.objects.filter(date__in=list(dates)).exclude(year__year=year)
    }


def _arrangement_dates(arrangement: HolidayArrangement) -> set[datetime.date]:
    first, last = arrangement.first, arrangement.last
    span = min(max((last - first).days + 1, 0), 32)  # a bad range is refused later; never a long loop
    return {first + datetime.timedelta(days=i) for i in range(span)} | set(arrangement.workdays)


def _festival_code(name: str) -> str:
    """chinesecalendar's English holiday name ("National Day") as our code ("national_day")."""
    for holiday in chinese_calendar.Holiday:
        if name in (holiday.value, holiday.name):
            return holiday.name
    raise ValueError(f"unknown holiday {name!r}")


def library_years() -> list[int]:
    return sorted({d.year for d in chinese_calendar.holidays})


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            {
                "year": _("Enter a year from %(first)d to %(last)d.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            },
            code="bad_year",
        )


def _holiday_errors(
    *,
    year: int,
    festival: str,
    arrangement: HolidayArrangement,
    taken: Mapping[datetime.date, tuple[str, str]],
) -> dict[str, list[str]]:
    """What is wrong with one holiday of ``year``; ``taken`` holds the days of the year's other holidays
    (date -> (kind, festival code)). Keys: ``first``, ``last``, ``workdays``."""
    errors: dict[str, list[str]] = {}

    def add(key, message):
        errors.setdefault(key, []).append(message)

    first, last, workdays = arrangement.first, arrangement.last, tuple(arrangement.workdays)
    if festival not in Festival.values:
        add("first", _("Choose a holiday from the list."))
        return errors
    for key, value in (("first", first), ("last", last)):
        if not _in_year(value, year, festival):
            add(key, _("The date %(date)s is not in %(year)d.") % {"date": _day(value), "year": year})
    if "first" not in errors and "last" not in errors and last < first:
        add("last", _("The last day off cannot come before the first."))
    if not errors and (last - first).days > 30:
        add("last", _("A holiday of more than 31 days off is not an official arrangement."))
    days_off = set()
    if not errors:
        days_off = {first + datetime.timedelta(days=i) for i in range((last - first).days + 1)}
        for day in sorted(days_off):
            if day in taken:
                add(
                    "first",
                    _("%(date)s is already a day of %(holiday)s.")
                    % {"date": _day(day), "holiday": Festival(taken[day][1]).label},
                )
                break
    seen = set()
    for day in workdays:
        if day in seen:
            continue
        seen.add(day)
        if not _in_year(day, year, festival):
            add("workdays", _("The date %(date)s is not in %(year)d.") % {"date": _day(day), "year": year})
        elif day.weekday() < 5:
            add(
                "workdays",
                _("%(date)s is not a Saturday or Sunday: a make-up working day is a weekend day worked.")
                % {"date": _day(day)},
            )
        elif day in days_off:
            add(
                "workdays",
                _("%(date)s cannot be both a day off and a working day.") % {"date": _day(day)},
            )
        elif day in taken:
            add(
                "workdays",
                _("%(date)s is already a day of %(holiday)s.")
                % {"date": _day(day), "holiday": Festival(taken[day][1]).label},
            )
    return errors


def _write_holiday(cy: CalendarYear, festival: str, arrangement: HolidayArrangement) -> None:
    first, last = arrangement.first, arrangement.last
    for i in range((last - first).days + 1):
        CalendarDay.objects.create(
            year=cy, date=first + datetime.timedelta(days=i), kind=DayKind.HOLIDAY, festival=festival
        )
    for day in sorted(set(arrangement.workdays)):
        CalendarDay.objects.create(year=cy, date=day, kind=DayKind.WORKDAY, festival=festival)


def _year_row(*, actor, year: int, notice: str | None) -> CalendarYear:
    cy, _created = CalendarYear.objects.select_for_update().get_or_create(
        year=year, defaults={"source": YearSource.STAFF, "updated_by": actor, "notice": notice or ""}
    )
    cy.source = YearSource.STAFF
    cy.updated_by = actor
    if notice is not None:
        cy.notice = notice
    cy.save()
    return cy


def calendar_year_set(
    *,
    actor,
    year: int,
    notice: str = "",
    holidays: Mapping[str, HolidayArrangement],
) -> CalendarYear:
    """Enter (or replace) the whole arrangement of ``year`` from its official notice: ``holidays`` maps a
    ``Festival`` code to its days off and make-up working days. All or nothing."""
    _require_calendar_staff(actor)
    _check_year(year)
    if not holidays:
        raise ValidationError(_("Enter the days off of at least one holiday."), code="empty")
    errors: dict[str, list[str]] = {}
    wanted = set().union(*(_arrangement_dates(a) for a in holidays.values()))
    taken = _taken_by_other_years(year, wanted)
    for festival, arrangement in holidays.items():
        found = _holiday_errors(year=year, festival=festival, arrangement=arrangement, taken=taken)
        for key, messages in found.items():
            errors[f"{festival}.{key}"] = messages
        if not found:
            first = arrangement.first
            for i in range((arrangement.last - first).days + 1):
                taken[first + datetime.timedelta(days=i)] = (DayKind.HOLIDAY, festival)
            for day in arrangement.workdays:
                taken[day] = (DayKind.WORKDAY, festival)
    if errors:
        raise ValidationError(errors, code="bad_arrangement")
    with transaction.atomic(), set_actor(actor):
        cy = _year_row(actor=actor, year=year, notice=notice)
        for day in cy.days.all():
            day.delete()  # one by one, so the audit trail lists each day removed
        for festival, arrangement in holidays.items():
            _write_holiday(cy, festival, arrangement)
    return cy


def calendar_holiday_set(
    *,
    actor,
    year: int,
    festival: str,
    first: datetime.date,
    last: datetime.date,
    workdays: Iterable[datetime.date] = (),
) -> CalendarYear:
    """Add one holiday to ``year`` or replace its days (the year is created when it is not held yet)."""
    _require_calendar_staff(actor)
    _check_year(year)
    arrangement = HolidayArrangement(first=first, last=last, workdays=tuple(workdays))
    with transaction.atomic(), set_actor(actor):
        cy = _year_row(actor=actor, year=year, notice=None)
        others = cy.days.exclude(festival=festival)
        taken = {d.date: (d.kind, d.festival) for d in others}
        taken.update(_taken_by_other_years(year, _arrangement_dates(arrangement)))
        errors = _holiday_errors(year=year, festival=festival, arrangement=arrangement, taken=taken)
        if errors:
            raise ValidationError(errors, code="bad_arrangement")
        for day in cy.days.filter(festival=festival):
            day.delete()
        _write_holiday(cy, festival, arrangement)
    return cy


def calendar_holiday_remove(*, actor, year: int, festival: str) -> int:
    """Remove one holiday (its days off and make-up working days) from ``year``; returns the days removed.
    The year stays held (a year with no holiday at all is still a year staff have entered)."""
    _require_calendar_staff(actor)
    with transaction.atomic(), set_actor(actor):
        cy = CalendarYear.objects.select_for_update().filter(year=year).first()
        if cy is None:
            raise ValidationError(_("The holiday arrangement of %(year)d is not held.") % {"year": year})
        days = list(cy.days.filter(festival=festival))
        if not days:
            raise ValidationError(
                _("%(year)d has no %(holiday)s to remove.")
                % {
                    "year": year,
                    "holiday": Festival(festival).label if festival in Festival.values else festival,
                }
            )
        for day in days:
            day.delete()
        cy.updated_by = actor
        cy.source = YearSource.STAFF
        cy.save()
    return len(days)


@transaction.atomic
def holidays_seed(*, years=None, overwrite: bool = False) -> list[int]:
    """Copy chinesecalendar's holidays and make-up working days for ``years`` (default: all it knows).

    A year already held is left alone (staff may have corrected it) unless ``overwrite``. Returns the
    years written."""
    wanted = set(years) if years is not None else set(library_years())
    written = []
    for year in sorted(wanted & set(library_years())):
        existing = CalendarYear.objects.filter(year=year).first()
        if existing and not overwrite:
            continue
        if existing:
            existing.days.all().delete()
            cy = existing
            cy.source = YearSource.LIBRARY
            cy.save(update_fields=["source", "updated_at"])
        else:
            cy = CalendarYear.objects.create(year=year, source=YearSource.LIBRARY)
        rows = [
            CalendarDay(year=cy, date=day, kind=DayKind.HOLIDAY, festival=_festival_code(name))
            for day, name in chinese_calendar.holidays.items()
            if day.year == year
        ] + [
            CalendarDay(year=cy, date=day, kind=DayKind.WORKDAY, festival=_festival_code(name))
            for day, name in chinese_calendar.workdays.items()
            if day.year == year
        ]
        CalendarDay.objects.bulk_create(rows)
        written.append(year)
    return written
