"""Weekly sessions on the official calendar the portal keeps (seeded from chinesecalendar by the
holidays migrations): National Day 2026 skipped, make-up days followed."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.recurrence import MakeupRule, is_makeup_workday, is_public_holiday, weekly_dates
from events.services.sessions import session_create, sessions_generate_weekly

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TUESDAY = 1


def test_tuesday_class_skips_the_national_day_week():
    dates = weekly_dates(first=D(2026, 9, 15), last=D(2026, 10, 20), weekdays=[TUESDAY])
    assert D(2026, 10, 6) not in dates  # Tuesday in the 1-7 October holiday
    assert dates == [D(2026, 9, 15), D(2026, 9, 22), D(2026, 9, 29), D(2026, 10, 13), D(2026, 10, 20)]
    assert D(2026, 10, 6) in weekly_dates(
        first=D(2026, 10, 1), last=D(2026, 10, 7), weekdays=[TUESDAY], skip_holidays=False
    )


def test_calendar_facts_2026():
    assert is_public_holiday(D(2026, 10, 6))
    assert not is_public_holiday(D(2026, 10, 11))  # an ordinary Sunday is not a public holiday
    assert is_makeup_workday(D(2026, 9, 20)) and is_makeup_workday(D(2026, 10, 10))
    assert not is_makeup_workday(D(2026, 10, 17))


def test_make_up_working_days():
    working_days = weekly_dates(
        first=D(2026, 9, 14), last=D(2026, 10, 16), weekdays=range(5), makeup=MakeupRule.ALL
    )
    assert (
        D(2026, 9, 20) in working_days and D(2026, 10, 10) in working_days
    )  # the make-up Sunday and Saturday
    assert not any(D(2026, 10, d) in working_days for d in range(1, 8))
    assert D(2026, 10, 17) not in working_days

    ignored = weekly_dates(first=D(2026, 9, 14), last=D(2026, 10, 16), weekdays=range(5))
    assert D(2026, 9, 20) not in ignored

    stand_in = weekly_dates(
        first=D(2026, 9, 14),
        last=D(2026, 10, 16),
        weekdays=[TUESDAY],
        makeup=MakeupRule.STAND_IN,
        stand_in={D(2026, 10, 10): TUESDAY, D(2026, 9, 20): 3},
    )
    assert D(2026, 10, 10) in stand_in and D(2026, 9, 20) not in stand_in


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        weekly_dates(first=D(2026, 1, 1), last=D(2026, 2, 1), weekdays=[])
    with pytest.raises(ValueError):
        weekly_dates(first=D(2026, 2, 1), last=D(2026, 1, 1), weekdays=[1])


def test_generating_sessions_is_idempotent(world):
    opera = ActivityFactory(title="周二戏曲班", organiser_user=world.staff)
    kwargs = dict(
        actor=world.staff,
        activity=opera,
        first=D(2026, 9, 15),
        last=D(2026, 10, 20),
        weekdays=[TUESDAY],
        start_time=datetime.time(9),
        end_time=datetime.time(11),
        capacity=20,
    )
    sessions = sessions_generate_weekly(**kwargs)
    assert len(sessions) == 5
    first = timezone.localtime(sessions[0].starts_at)
    assert (first.date(), first.hour, str(first.tzinfo)) == (D(2026, 9, 15), 9, "Asia/Shanghai")
    assert sessions_generate_weekly(**kwargs) == []
    with pytest.raises(PermissionDenied):
        sessions_generate_weekly(**{**kwargs, "actor": world.mum_user})
    with pytest.raises(ValidationError):
        sessions_generate_weekly(**{**kwargs, "end_time": datetime.time(8)})


def test_session_create_validates(world):
    activity = ActivityFactory(organiser_user=world.staff)
    start = timezone.now() + datetime.timedelta(days=3)
    with pytest.raises(ValidationError) as exc:
        session_create(actor=world.staff, activity=activity, starts_at=start, ends_at=start, capacity=5)
    assert "ends_at" in exc.value.message_dict
    s = session_create(
        actor=world.staff,
        activity=activity,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        capacity=5,
    )
    with pytest.raises(ValidationError):
        session_create(
            actor=world.staff,
            activity=activity,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            capacity=5,
        )
    assert s.capacity == 5
