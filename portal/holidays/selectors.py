"""Reading the official calendar: one query for a range of days, and the years it does not know."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import ngettext, pgettext

from .models import CalendarDay, CalendarYear, DayKind, Festival


def known_years() -> set[int]:
    return set(CalendarYear.objects.values_list("year", flat=True))


def unknown_years(first: datetime.date, last: datetime.date) -> list[int]:
    """The years from ``first`` to ``last`` whose holiday arrangement the portal does not hold."""
    known = known_years()
    return [y for y in range(first.year, last.year + 1) if y not in known]


def calendar_days(first: datetime.date, last: datetime.date) -> dict[datetime.date, CalendarDay]:
    """Every holiday and make-up working day from ``first`` to ``last`` (inclusive), by date."""
    return {d.date: d for d in CalendarDay.objects.filter(date__range=(first, last))}


def is_public_holiday(day: datetime.date) -> bool:
    return CalendarDay.objects.filter(date=day, kind=DayKind.HOLIDAY).exists()


def is_makeup_workday(day: datetime.date) -> bool:
    return CalendarDay.objects.filter(date=day, kind=DayKind.WORKDAY).exists()


@dataclass(frozen=True)
class YearRow:
    """A line of the staff's list of years: a year held (``held`` set) or a year soon needed but missing."""

    year: int
    held: CalendarYear | None
    holidays: int = 0
    workdays: int = 0


def calendar_years_overview(*, today: datetime.date) -> list[YearRow]:
    """Every year held (newest first), with the years from this year to the year after next shown as
    missing when unknown. Two queries."""
    counts = {
        (row["year__year"], row["kind"]): row["n"]
        for row in CalendarDay.objects.values("year__year", "kind").annotate(n=Count("pk")).order_by()
    }
    held = {cy.year: cy for cy in CalendarYear.objects.select_related("updated_by")}
    years = set(held) | set(range(today.year, today.year + 3))
    return [
        YearRow(
            year=y,
            held=held.get(y),
            holidays=counts.get((y, DayKind.HOLIDAY), 0),
            workdays=counts.get((y, DayKind.WORKDAY), 0),
        )
        for y in sorted(years, reverse=True)
    ]


@dataclass(frozen=True)
class HolidaySpan:
    """One holiday of a year as the notice reads it: days off from ``first`` to ``last``, and the
    make-up working days."""

    festival: str
    first: datetime.date
    last: datetime.date
    days_off: int
    workdays: tuple[datetime.date, ...]

    @property
    def name(self) -> str:
        return Festival(self.festival).label if self.festival in Festival.values else self.festival

    @property
    def contiguous(self) -> bool:
        return (self.last - self.first).days + 1 == self.days_off


def year_holidays(*, year: CalendarYear) -> list[HolidaySpan]:
    """The holidays of ``year`` in date order, each with its days off and make-up working days. One query."""
    off: dict[str, list[datetime.date]] = {}
    worked: dict[str, list[datetime.date]] = {}
    for day in year.days.order_by("date"):
        (off if day.kind == DayKind.HOLIDAY else worked).setdefault(day.festival, []).append(day.date)
    spans = []
    for festival in set(off) | set(worked):
        dates = off.get(festival) or worked[festival]
        spans.append(
            HolidaySpan(
                festival=festival,
                first=dates[0],
                last=dates[-1],
                days_off=len(off.get(festival, [])),
                workdays=tuple(worked.get(festival, [])),
            )
        )
    return sorted(spans, key=lambda s: s.first)


def calendar_year_get(year: int) -> CalendarYear | None:
    return CalendarYear.objects.select_related("updated_by").filter(year=year).first()


def unknown_years_warning(
    first: datetime.date, last: datetime.date, *, missing: list[int] | None = None
) -> str | None:
    """For the manage pages: a translated warning when a schedule from ``first`` to ``last`` runs into
    years whose holiday arrangement the portal does not hold (link it to ``holidays:year_add``, with
    ``?year=<year>``), or None. ``missing``: those years, when the caller has read them already."""
    missing = unknown_years(first, last) if missing is None else missing
    if not missing:
        return None
    years = pgettext("list separator", ", ").join(str(y) for y in missing)
    return ngettext(
        "The holiday arrangement of %(years)s has not been entered yet: sessions generated in that year "
        "will not skip its public holidays. Please enter it first.",
        "The holiday arrangements of %(years)s have not been entered yet: sessions generated in those "
        "years will not skip public holidays. Please enter them first.",
        len(missing),
    ) % {"years": years}
