"""Each audience and window rule refuses with its own clear reason."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from events.models import ActivityStatus, EarlyWindowFor
from events.services.booking import booking_create
from events.services.eligibility import WindowState, person_eligible, window_state

from .factories import ActivityFactory, SessionFactory, TargetGroupFactory, in_days


def check(activity, session, person):
    return person_eligible(activity=activity, session=session, person=person)


def test_age_is_checked_on_the_session_date_not_today(world):
    # 张小明 turns 6 ... pick a child who is 5 today and 6 on the session date.
    from tests.community.factories import PersonFactory

    session_day = in_days(30, hour=9)
    birth = (session_day - datetime.timedelta(days=10)).date().replace(year=session_day.year - 6)
    child = PersonFactory(name="小六", household=world.home, birth_date=birth)
    activity = ActivityFactory(min_age=6, max_age=12)
    session = SessionFactory(activity=activity, starts_at=session_day)
    assert child.age_on(session_day.date() - datetime.timedelta(days=30)) == 5
    assert check(activity, session, child).ok


def test_too_young_and_too_old_give_the_age_and_the_rule(world):
    activity = ActivityFactory(min_age=60)
    session = SessionFactory(activity=activity)
    result = check(activity, session, world.son)
    assert not result and result.code == "too_young"
    assert "60" in result.reason and "张小明" in result.reason
    assert check(activity, session, world.granny).ok

    kids = ActivityFactory(min_age=6, max_age=12)
    s2 = SessionFactory(activity=kids)
    result = check(kids, s2, world.mum)
    assert result.code == "too_old" and "12" in result.reason


def test_unknown_birth_date_is_a_reason(world):
    from tests.community.factories import PersonFactory

    p = PersonFactory(household=world.home, birth_date=None)
    activity = ActivityFactory(min_age=60)
    assert check(activity, SessionFactory(activity=activity), p).code == "age_unknown"


def test_residents_only(world):
    activity = ActivityFactory(residents_only=True)
    session = SessionFactory(activity=activity)
    assert check(activity, session, world.stranger).code == "not_resident"
    assert check(activity, session, world.mum).ok


def test_target_group(world):
    women = TargetGroupFactory(code="job-seeking-women", name="求职女性")
    women.members.add(world.mum)
    activity = ActivityFactory(target_group=women)
    session = SessionFactory(activity=activity)
    result = check(activity, session, world.dad)
    assert result.code == "not_in_group" and "求职女性" in result.reason
    assert check(activity, session, world.mum).ok


def test_per_household_maximum_counts_the_whole_booking(world, fcfs):
    fcfs.activity.max_per_household = 2
    fcfs.activity.save()
    with pytest.raises(ValidationError) as exc:
        booking_create(
            actor=world.mum_user,
            activity=fcfs.activity,
            session=fcfs.session,
            persons=[world.mum, world.son, world.daughter],
        )
    assert "At most 2 people per household" in " ".join(exc.value.messages)
    booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    result = check(fcfs.activity, fcfs.session, world.mum)
    assert result.code == "household_full"


def test_window_not_yet_open_and_closed(world):
    later = ActivityFactory(booking_opens_at=in_days(2), booking_closes_at=in_days(4))
    s = SessionFactory(activity=later)
    result = check(later, s, world.mum)
    assert result.code == "window_not_open" and "Booking opens on" in result.reason

    closed = ActivityFactory(booking_opens_at=in_days(-5), booking_closes_at=in_days(-1))
    s = SessionFactory(activity=closed)
    assert check(closed, s, world.mum).code == "window_closed"
    assert window_state(activity=closed) == WindowState.CLOSED


def test_draft_cancelled_and_started_sessions_are_refused(world):
    draft = ActivityFactory(status=ActivityStatus.DRAFT)
    assert check(draft, SessionFactory(activity=draft), world.mum).code == "not_published"
    activity = ActivityFactory()
    cancelled = SessionFactory(activity=activity, cancelled=True)
    assert check(activity, cancelled, world.mum).code == "session_cancelled"
    started = SessionFactory(activity=activity, starts_at=in_days(-0.01))
    assert check(activity, started, world.mum).code == "session_started"


def test_early_window_only_for_its_priority_group(world):
    group = TargetGroupFactory(code="not-placed", name="暑期尚未安排的家庭")
    group.members.add(world.kid)
    activity = ActivityFactory(
        early_opens_at=in_days(-1),
        booking_opens_at=in_days(1),
        booking_closes_at=in_days(3),
        early_for=EarlyWindowFor.GROUP,
        early_group=group,
    )
    session = SessionFactory(activity=activity)
    assert window_state(activity=activity) == WindowState.EARLY
    assert check(activity, session, world.kid).ok
    result = check(activity, session, world.son)
    assert result.code == "early_window_only"

    residents_first = ActivityFactory(
        early_opens_at=in_days(-1),
        booking_opens_at=in_days(1),
        booking_closes_at=in_days(3),
        early_for=EarlyWindowFor.RESIDENTS,
    )
    s2 = SessionFactory(activity=residents_first)
    assert check(residents_first, s2, world.son).ok
    assert check(residents_first, s2, world.stranger).code == "early_window_only"


def test_refusal_saves_nothing_and_lists_every_reason(world):
    from events.models import Booking, Registration

    activity = ActivityFactory(min_age=6, max_age=12)
    session = SessionFactory(activity=activity)
    with pytest.raises(ValidationError) as exc:
        booking_create(
            actor=world.mum_user,
            activity=activity,
            session=session,
            persons=[world.son, world.mum, world.granny],
        )
    assert len(exc.value.messages) == 2
    assert not Booking.objects.exists() and not Registration.objects.exists()


def test_a_course_without_sessions_to_come_is_not_bookable(world):
    from events.models import RegistrationScope

    course = ActivityFactory(registration_scope=RegistrationScope.COURSE, capacity=5)
    assert person_eligible(activity=course, session=None, person=world.mum).code == "no_sessions"
    SessionFactory(activity=course)
    assert person_eligible(activity=course, session=None, person=world.mum).ok
