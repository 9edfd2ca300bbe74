"""Staff enter a year's arrangement as the State Council notice reads it; every refusal says why, next to
the field, and leaves the calendar as it was; each day written is in the audit trail."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError

from portal.holidays.models import CalendarDay, CalendarYear, DayKind, Festival, YearSource
from portal.holidays.selectors import (
    calendar_years_overview,
    unknown_years,
    unknown_years_warning,
    year_holidays,
)
from portal.holidays.services import (
    HolidayArrangement,
    calendar_holiday_remove,
    calendar_holiday_set,
    calendar_year_set,
    holidays_seed,
)

pytestmark = pytest.mark.django_db
D = datetime.date

#: 2027's notice as staff would type it (元旦 and 春节; the real notice is published in the winter before).
NEW_YEAR_2027 = HolidayArrangement(first=D(2027, 1, 1), last=D(2027, 1, 3))
SPRING_2027 = HolidayArrangement(
    first=D(2027, 2, 5), last=D(2027, 2, 12), workdays=(D(2027, 1, 31), D(2027, 2, 20))
)


def _days(year=2027):
    return sorted(CalendarDay.objects.filter(year__year=year).values_list("date", "kind", "festival"))


def _year_2027(staff):
    return calendar_year_set(
        actor=staff,
        year=2027,
        notice="国务院办公厅关于2027年部分节假日安排的通知",
        holidays={Festival.NEW_YEAR: NEW_YEAR_2027, Festival.SPRING: SPRING_2027},
    )


def test_staff_enter_2027_and_it_is_known(staff):
    assert unknown_years(D(2026, 12, 1), D(2027, 3, 1)) == [2027]
    cy = _year_2027(staff)
    assert (cy.source, cy.updated_by) == (YearSource.STAFF, staff)
    assert unknown_years(D(2026, 12, 1), D(2027, 3, 1)) == []
    days = _days()
    assert len([d for d in days if d[1] == DayKind.HOLIDAY]) == 3 + 8
    assert (D(2027, 2, 20), DayKind.WORKDAY, Festival.SPRING) in days
    spans = year_holidays(year=cy)
    assert [(s.festival, s.first, s.last, s.days_off, s.workdays) for s in spans] == [
        (Festival.NEW_YEAR, D(2027, 1, 1), D(2027, 1, 3), 3, ()),
        (Festival.SPRING, D(2027, 2, 5), D(2027, 2, 12), 8, (D(2027, 1, 31), D(2027, 2, 20))),
    ]
    # auditlog: every day created, with the acting staff member
    entries = LogEntry.objects.get_for_model(CalendarDay).filter(action=LogEntry.Action.CREATE)
    assert entries.count() == 13 and set(entries.values_list("actor", flat=True)) == {staff.pk}


@pytest.mark.parametrize(
    ("holiday", "key", "message"),
    [
        (
            HolidayArrangement(first=D(2027, 2, 12), last=D(2027, 2, 5)),
            "spring_festival.last",
            "The last day off cannot come before the first.",
        ),
        (
            HolidayArrangement(first=D(2028, 2, 5), last=D(2028, 2, 6)),
            "spring_festival.first",
            "is not in 2027.",
        ),
        (
            HolidayArrangement(first=D(2027, 2, 5), last=D(2027, 2, 12), workdays=(D(2027, 2, 22),)),
            "spring_festival.workdays",
            "is not a Saturday or Sunday",
        ),
        (
            HolidayArrangement(first=D(2027, 2, 5), last=D(2027, 2, 12), workdays=(D(2027, 2, 6),)),
            "spring_festival.workdays",
            "cannot be both a day off and a working day.",
        ),
        (
            HolidayArrangement(first=D(2027, 1, 2), last=D(2027, 1, 4)),
            "spring_festival.first",
            "is already a day of New Year's Day.",
        ),
    ],
)
def test_a_bad_holiday_is_refused_with_its_reason_and_nothing_written(staff, holiday, key, message):
    with pytest.raises(ValidationError) as exc:
        calendar_year_set(
            actor=staff, year=2027, holidays={Festival.NEW_YEAR: NEW_YEAR_2027, Festival.SPRING: holiday}
        )
    assert key in exc.value.message_dict
    assert message in exc.value.message_dict[key][0]
    assert not CalendarYear.objects.filter(year=2027).exists() and _days() == []


def test_changing_one_holiday_keeps_the_others_and_refuses_a_clash(staff):
    _year_2027(staff)
    before = _days()
    with pytest.raises(ValidationError) as exc:
        calendar_holiday_set(
            actor=staff,
            year=2027,
            festival=Festival.NEW_YEAR,
            first=D(2027, 1, 1),
            last=D(2027, 1, 3),
            workdays=[D(2027, 1, 31)],  # already the Spring Festival's make-up day
        )
    assert "is already a day of Spring Festival." in exc.value.message_dict["workdays"][0]
    assert _days() == before

    calendar_holiday_set(
        actor=staff, year=2027, festival=Festival.NEW_YEAR, first=D(2027, 1, 1), last=D(2027, 1, 1)
    )
    assert [d for d in _days() if d[2] == Festival.NEW_YEAR] == [(D(2027, 1, 1), "holiday", "new_years_day")]
    assert len([d for d in _days() if d[2] == Festival.SPRING]) == 10


def test_new_years_day_may_begin_in_the_december_before(staff):
    """元旦：2016年12月31日至2017年1月2日放假调休 — but a day another year holds is refused."""
    calendar_holiday_set(
        actor=staff, year=2028, festival=Festival.NEW_YEAR, first=D(2027, 12, 30), last=D(2028, 1, 1)
    )
    assert CalendarDay.objects.get(date=D(2027, 12, 31)).year.year == 2028
    with pytest.raises(ValidationError) as exc:
        calendar_holiday_set(
            actor=staff, year=2027, festival=Festival.NATIONAL, first=D(2027, 12, 31), last=D(2027, 12, 31)
        )
    assert "is already a day of New Year's Day." in exc.value.message_dict["first"][0]


def test_removing_a_holiday(staff):
    _year_2027(staff)
    assert calendar_holiday_remove(actor=staff, year=2027, festival=Festival.NEW_YEAR) == 3
    assert {d[2] for d in _days()} == {Festival.SPRING}
    with pytest.raises(ValidationError) as exc:
        calendar_holiday_remove(actor=staff, year=2027, festival=Festival.NEW_YEAR)
    assert exc.value.messages == ["2027 has no New Year's Day to remove."]
    deleted = LogEntry.objects.get_for_model(CalendarDay).filter(action=LogEntry.Action.DELETE)
    assert deleted.count() == 3


def test_only_community_staff_may_write(partner, resident):
    for actor in (partner, resident):
        with pytest.raises(PermissionDenied):
            calendar_year_set(actor=actor, year=2027, holidays={Festival.NEW_YEAR: NEW_YEAR_2027})
        with pytest.raises(PermissionDenied):
            calendar_holiday_set(
                actor=actor, year=2027, festival=Festival.NEW_YEAR, first=D(2027, 1, 1), last=D(2027, 1, 1)
            )
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_the_library_years_are_seeded_and_reseeding_respects_staff_edits(staff):
    """The migration seeded chinesecalendar's years; a re-seed leaves a corrected year alone unless
    asked to overwrite."""
    holidays_seed()
    national_2026 = CalendarDay.objects.filter(year__year=2026, festival=Festival.NATIONAL).count()
    assert CalendarYear.objects.get(year=2026).source == YearSource.LIBRARY and national_2026 >= 7
    calendar_holiday_remove(actor=staff, year=2026, festival=Festival.NATIONAL)
    assert holidays_seed(years=[2026]) == []
    assert not CalendarDay.objects.filter(year__year=2026, festival=Festival.NATIONAL).exists()
    assert holidays_seed(years=[2026], overwrite=True) == [2026]
    assert CalendarDay.objects.filter(year__year=2026, festival=Festival.NATIONAL).count() == national_2026


def test_unknown_years_warning_and_overview(staff):
    holidays_seed()
    assert unknown_years_warning(D(2026, 9, 1), D(2026, 12, 31)) is None
    warning = unknown_years_warning(D(2026, 9, 1), D(2027, 6, 30))
    assert warning.startswith("The holiday arrangement of 2027 has not been entered yet")
    from django.utils import translation

    with translation.override("zh-hans"):
        assert unknown_years_warning(D(2026, 9, 1), D(2027, 6, 30)) == (
            "2027年的节假日安排尚未录入，生成的课次不会避开节假日。请先录入。"
        )
    rows = {r.year: r for r in calendar_years_overview(today=D(2026, 12, 1))}
    assert rows[2026].held and rows[2026].holidays > 20
    assert rows[2027].held is None and rows[2028].held is None and 2029 not in rows
