"""Weekly and fortnightly schedules on the calendar the portal keeps: a staff-entered 2027 holiday is
skipped, a year not entered is reported (and not skipped), make-up working days are offered, not forced."""

import datetime

import pytest

from events.recurrence import MakeupRule, schedule_plan, weekly_dates
from events.services.sessions import sessions_generate_weekly
from portal.holidays.models import CalendarYear, Festival
from portal.holidays.services import HolidayArrangement, calendar_year_set

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db
D = datetime.date
TUESDAY, SATURDAY = 1, 5


@pytest.fixture
def year_2027(world):
    """2027 as staff entered it: 春节 Friday 5 to Friday 12 February, worked Sunday 31 January and
    Saturday 20 February."""
    CalendarYear.objects.filter(year=2027).delete()
    return calendar_year_set(
        actor=world.staff,
        year=2027,
        holidays={
            Festival.SPRING: HolidayArrangement(
                first=D(2027, 2, 5), last=D(2027, 2, 12), workdays=(D(2027, 1, 31), D(2027, 2, 20))
            )
        },
    )


def test_a_staff_entered_2027_holiday_is_skipped(year_2027):
    plan = schedule_plan(first=D(2027, 1, 26), last=D(2027, 2, 23), weekdays=[TUESDAY], every=1)
    assert [(c.date, c.included) for c in plan.candidates] == [
        (D(2027, 1, 26), True),
        (D(2027, 2, 2), True),
        (D(2027, 2, 9), False),
        (D(2027, 2, 16), True),
        (D(2027, 2, 23), True),
    ]
    assert plan.skipped[0].holiday_name == "Spring Festival"
    assert [(m.date, m.name) for m in plan.makeup_days] == [
        (D(2027, 1, 31), "Spring Festival"),
        (D(2027, 2, 20), "Spring Festival"),
    ]
    assert plan.unknown_years == ()
    assert D(2027, 2, 9) not in plan.dates()
    assert plan.dates(makeup_days={D(2027, 2, 20)}) == [
        D(2027, 1, 26),
        D(2027, 2, 2),
        D(2027, 2, 16),
        D(2027, 2, 20),
        D(2027, 2, 23),
    ]
    with pytest.raises(ValueError, match="not make-up working days"):
        plan.dates(makeup_days={D(2027, 2, 13)})


def test_a_year_not_entered_is_reported_and_not_skipped():
    CalendarYear.objects.filter(year__gte=2027).delete()
    plan = schedule_plan(first=D(2026, 12, 22), last=D(2027, 2, 16), weekdays=[TUESDAY])
    assert plan.unknown_years == (2027,)
    assert D(2027, 2, 9) in plan.dates() and plan.skipped == ()
    assert D(2027, 2, 9) in weekly_dates(first=D(2027, 2, 1), last=D(2027, 2, 28), weekdays=[TUESDAY])


def test_fortnightly_counts_from_the_first_week(year_2027):
    plan = schedule_plan(first=D(2027, 1, 25), last=D(2027, 3, 9), weekdays=[TUESDAY], every=2)
    assert [c.date for c in plan.candidates] == [D(2027, 1, 26), D(2027, 2, 9), D(2027, 2, 23), D(2027, 3, 9)]
    assert plan.dates() == [D(2027, 1, 26), D(2027, 2, 23), D(2027, 3, 9)]
    assert weekly_dates(first=D(2027, 1, 25), last=D(2027, 3, 9), weekdays=[TUESDAY], every=2) == plan.dates()
    # Two weekdays a fortnight: both in the same week, then none the next.
    both = schedule_plan(first=D(2027, 3, 1), last=D(2027, 3, 21), weekdays=[TUESDAY, SATURDAY], every=2)
    assert both.dates() == [D(2027, 3, 2), D(2027, 3, 6), D(2027, 3, 16), D(2027, 3, 20)]


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="every must be 1"):
        schedule_plan(first=D(2027, 1, 1), last=D(2027, 2, 1), weekdays=[1], every=3)
    with pytest.raises(ValueError, match="non-empty"):
        schedule_plan(first=D(2027, 1, 1), last=D(2027, 2, 1), weekdays=[7])
    with pytest.raises(ValueError, match="comes before"):
        schedule_plan(first=D(2027, 2, 1), last=D(2027, 1, 1), weekdays=[1])


def test_one_query_for_the_range(django_assert_max_num_queries, year_2027):
    with django_assert_max_num_queries(2):  # the days, and the years held
        schedule_plan(first=D(2026, 1, 1), last=D(2027, 12, 31), weekdays=range(7))


def test_make_up_rules_of_weekly_dates_on_2027(year_2027):
    stand_in = weekly_dates(
        first=D(2027, 1, 25),
        last=D(2027, 2, 28),
        weekdays=[TUESDAY],
        makeup=MakeupRule.STAND_IN,
        stand_in={D(2027, 2, 20): TUESDAY, D(2027, 1, 31): 3},
    )
    assert D(2027, 2, 20) in stand_in and D(2027, 1, 31) not in stand_in
    every_workday = weekly_dates(
        first=D(2027, 1, 25), last=D(2027, 2, 28), weekdays=range(5), makeup=MakeupRule.ALL
    )
    assert {D(2027, 1, 31), D(2027, 2, 20)} <= set(every_workday) and D(2027, 2, 8) not in every_workday


def test_sessions_generated_in_2027_skip_the_entered_holiday(world, year_2027):
    opera = ActivityFactory(title="周二戏曲班", organiser_user=world.staff)
    sessions = sessions_generate_weekly(
        actor=world.staff,
        activity=opera,
        first=D(2027, 2, 1),
        last=D(2027, 2, 28),
        weekdays=[TUESDAY],
        start_time=datetime.time(9),
        end_time=datetime.time(11),
        capacity=20,
    )
    assert [
        s.starts_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).date() for s in sessions
    ] == [
        D(2027, 2, 2),
        D(2027, 2, 16),
        D(2027, 2, 23),
    ]
