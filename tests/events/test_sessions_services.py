"""Sessions services: a weekly or fortnightly schedule planned on the portal's calendar (holidays entered by
staff for 2027 skipped, make-up days chosen), a course, drop-in days, the refusals (nothing saved), and a
session changed: everyone booked told through the outbox, reminders moved, a raised capacity offering the
seats to the waitlist after commit, a lowered one refused with the count."""

import datetime
import importlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from events.models import (
    Offer,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Reminder,
    ReminderState,
    Session,
)
from events.services.booking import booking_create
from events.services.reminders import reminder_due_at
from events.services.sessions import (
    course_dates,
    schedule_plan_for,
    schedule_plan_token,
    session_cancel,
    session_create,
    session_update,
    sessions_create_course,
    sessions_create_on_dates,
    sessions_generate_weekly,
)
from events.views_sessions import unknown_years_notice
from portal.holidays.models import CalendarDay, CalendarYear, DayKind, YearSource
from portal.notify.models import Message, MessageTemplate

from .factories import ActivityFactory, SessionFactory

D = datetime.date
TUESDAY = 1
TZ = datetime.timezone(datetime.timedelta(hours=8))
#: A Wednesday morning before the schedules of these tests (2026-12-01 is a Tuesday).
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _change_template(db):
    """The "session changed" template comes from events/migrations/0012 (put back after a flush)."""
    for data in importlib.import_module("events.migrations.0012_sessions").TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


def enter_2027(*, makeup: bool = True) -> CalendarYear:
    """Staff enter 2027 from the notice: 春节 2-6..2-12 off, Saturday 2-20 worked (test data)."""
    year = CalendarYear.objects.create(year=2027, source=YearSource.STAFF)
    for n in range(7):
        CalendarDay.objects.create(
            year=year,
            date=D(2027, 2, 6) + datetime.timedelta(days=n),
            kind=DayKind.HOLIDAY,
            festival="spring_festival",
        )
    if makeup:
        CalendarDay.objects.create(
            year=year, date=D(2027, 2, 20), kind=DayKind.WORKDAY, festival="spring_festival"
        )
    return year


@pytest.fixture
def opera(world):
    return ActivityFactory(title="周二越剧班", organiser_user=world.staff, place="永兴社区活动室")


def weekly(world, opera, **kw):
    args = dict(
        actor=world.staff,
        activity=opera,
        first=D(2026, 12, 1),
        last=D(2027, 12, 31),
        weekdays=[TUESDAY],
        start_time=datetime.time(9),
        end_time=datetime.time(11),
        capacity=30,
        now=timezone.now(),
    )
    args.update(kw)
    return sessions_generate_weekly(**args)


def local_days(activity):
    return [timezone.localtime(s.starts_at).date() for s in activity.sessions.order_by("starts_at")]


# --- schedules ------------------------------------------------------------------------------------


def test_weekly_schedule_through_2027_skips_the_staff_entered_spring_festival(world, opera):
    enter_2027()
    plan = schedule_plan_for(first=D(2026, 12, 1), last=D(2027, 12, 31), weekdays=[TUESDAY])
    assert [(c.date, c.festival) for c in plan.skipped] == [(D(2027, 2, 9), "spring_festival")]
    assert plan.unknown_years == ()
    assert [m.date for m in plan.makeup_days] == [D(2027, 2, 20)]

    created = weekly(world, opera, plan_token=schedule_plan_token(plan), makeup_days=set())
    # 5 Tuesdays in December 2026 and 52 in 2027, less 2027-02-09 (春节).
    assert len(created) == 56
    days = local_days(opera)
    assert D(2027, 2, 9) not in days and D(2027, 2, 2) in days and D(2027, 2, 16) in days
    first = timezone.localtime(created[0].starts_at)
    assert (first.date(), first.hour, first.tzinfo.key) == (D(2026, 12, 1), 9, "Asia/Shanghai")
    assert {s.capacity for s in created} == {30}


def test_a_make_up_day_ticked_in_the_preview_gets_a_session(world, opera):
    enter_2027()
    plan = schedule_plan_for(first=D(2027, 2, 1), last=D(2027, 2, 28), weekdays=[TUESDAY])
    weekly(
        world,
        opera,
        first=D(2027, 2, 1),
        last=D(2027, 2, 28),
        plan_token=schedule_plan_token(plan),
        makeup_days={D(2027, 2, 20)},
    )
    assert local_days(opera) == [D(2027, 2, 2), D(2027, 2, 16), D(2027, 2, 20), D(2027, 2, 23)]


def test_a_date_that_is_no_make_up_day_is_refused(world, opera):
    enter_2027()
    with pytest.raises(ValidationError) as exc:
        weekly(world, opera, first=D(2027, 2, 1), last=D(2027, 2, 28), makeup_days={D(2027, 2, 21)})
    assert exc.value.messages == ["Only the make-up working days of this schedule can be added."]
    assert not opera.sessions.exists()


def test_fortnightly_counts_from_the_week_of_the_first_date(world, opera):
    weekly(world, opera, first=D(2026, 12, 1), last=D(2026, 12, 31), every=2)
    assert local_days(opera) == [D(2026, 12, 1), D(2026, 12, 15), D(2026, 12, 29)]


def test_the_save_refuses_a_plan_that_changed_since_the_preview(world, opera):
    plan = schedule_plan_for(first=D(2026, 12, 1), last=D(2027, 12, 31), weekdays=[TUESDAY])
    assert plan.unknown_years == (2027,)
    token = schedule_plan_token(plan)
    enter_2027()  # someone enters the 2027 holidays between the preview and the save
    with pytest.raises(ValidationError) as exc:
        weekly(world, opera, plan_token=token, makeup_days=set())
    assert exc.value.code == "plan_changed"
    assert "changed since the preview" in exc.value.messages[0]
    assert not opera.sessions.exists()


def test_more_than_200_sessions_are_refused_with_the_count(world, opera):
    with pytest.raises(ValidationError) as exc:
        weekly(world, opera, weekdays=range(7))
    assert exc.value.message_dict["last"] == ["That makes 396 sessions: at most 200 can be created at once."]
    assert not opera.sessions.exists()


def test_a_schedule_into_a_year_without_holiday_data_is_warned_about(world, opera):
    notice = unknown_years_notice(D(2026, 12, 1), D(2027, 12, 31))
    assert notice is not None and "2027" in notice["text"]
    enter_2027()
    assert unknown_years_notice(D(2026, 12, 1), D(2027, 12, 31)) is None


def test_bad_rules_are_refused_next_to_their_field(world, opera):
    with pytest.raises(ValidationError) as exc:
        weekly(world, opera, weekdays=[])
    assert exc.value.message_dict == {"weekdays": ["Choose at least one weekday."]}
    with pytest.raises(ValidationError) as exc:
        weekly(world, opera, last=D(2026, 11, 30))
    assert exc.value.message_dict == {"last": ["The end date comes before the start date."]}
    with pytest.raises(ValidationError) as exc:
        weekly(world, opera, first=D(2026, 11, 10), last=D(2026, 12, 31))
    assert "2026-11-10、2026-11-17" in exc.value.message_dict["first"][0]
    with pytest.raises(PermissionDenied):
        weekly(world, opera, actor=world.mum_user)
    assert not opera.sessions.exists()


# --- a course, drop-in days, one session ------------------------------------------------------------


def test_a_course_of_n_meetings_skips_holidays_and_keeps_its_count(world, opera):
    enter_2027()
    assert course_dates(first=D(2027, 2, 2), weekdays=[TUESDAY], count=3) == [
        D(2027, 2, 2),
        D(2027, 2, 16),
        D(2027, 2, 23),
    ]
    created = sessions_create_course(
        actor=world.staff,
        activity=opera,
        first=D(2027, 2, 2),
        weekdays=[TUESDAY, 3],
        count=4,
        start_time=datetime.time(14),
        end_time=datetime.time(15, 30),
        capacity=12,
        place="二楼教室",
        now=timezone.now(),
    )
    assert local_days(opera) == [D(2027, 2, 2), D(2027, 2, 4), D(2027, 2, 16), D(2027, 2, 18)]
    assert {(s.capacity, s.place) for s in created} == {(12, "二楼教室")}


def test_drop_in_days_are_created_together_or_not_at_all(world, opera):
    kw = dict(
        actor=world.staff,
        activity=opera,
        start_time=datetime.time(8, 30),
        end_time=datetime.time(11),
        capacity=40,
        now=timezone.now(),
    )
    sessions_create_on_dates(dates=[D(2026, 12, 5), D(2026, 12, 19)], **kw)
    assert local_days(opera) == [D(2026, 12, 5), D(2026, 12, 19)]
    with pytest.raises(ValidationError) as exc:
        sessions_create_on_dates(dates=[D(2027, 1, 9), D(2026, 12, 19)], **kw)
    assert exc.value.message_dict["dates"] == ["These dates already have a session at that time: 2026-12-19."]
    assert opera.sessions.count() == 2  # 2027-01-09 was not created either
    with pytest.raises(ValidationError) as exc:
        sessions_create_on_dates(dates=[D(2026, 11, 1)], **kw)
    assert exc.value.message_dict["dates"] == ["A session cannot start in the past: 2026-11-01."]


def test_one_session_of_a_course_activity_takes_the_course_capacity(world):
    course = ActivityFactory(
        organiser_user=world.staff, registration_scope=RegistrationScope.COURSE, capacity=25
    )
    starts = timezone.now() + datetime.timedelta(days=10)
    s = session_create(
        actor=world.staff,
        activity=course,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        capacity=3,
        now=timezone.now(),
    )
    assert s.capacity == 25


# --- changing a session --------------------------------------------------------------------------


@pytest.fixture
def booked(world, fcfs):
    """4 seats: mum's two children, dad and his boy; then mum waits."""
    fcfs.session.capacity = 4
    fcfs.session.save()
    fcfs.mums = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    fcfs.dads = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum])
    fcfs.session.refresh_from_db()
    return fcfs


def change(world, session, **kw):
    args = dict(
        actor=world.staff,
        session=session,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        place=session.place,
        capacity=session.capacity,
        now=timezone.now(),
    )
    args.update(kw)
    return session_update(**args)


def changed_messages():
    return Message.objects.filter(template__code="events.session_changed")


def test_a_new_time_tells_each_booking_once_and_moves_its_reminders(world, booked):
    session = booked.session
    assert (
        Reminder.objects.filter(session=session, state=ReminderState.PENDING).count() == 4
    )  # 2 bookings x 2
    new_start = session.starts_at + datetime.timedelta(days=1, hours=5)
    change(world, session, starts_at=new_start, ends_at=new_start + datetime.timedelta(hours=2))

    keys = set(changed_messages().values_list("key", flat=True))
    by_booking = {k.split(":booking:")[1].split(":")[0] for k in keys}
    assert by_booking == {str(booked.mums.pk), str(booked.dads.pk)}
    mum_msg = changed_messages().filter(user=world.mum_user).first()
    assert (
        "张小明" in mum_msg.body and timezone.localtime(new_start).strftime("%Y-%m-%d %H:%M") in mum_msg.body
    )
    assert not changed_messages().filter(body__contains="李秀英").exists()
    for r in Reminder.objects.filter(session=session, state=ReminderState.PENDING):
        assert r.due_at == reminder_due_at(starts_at=new_start, lead_minutes=r.lead_minutes)


def test_a_new_place_is_told_but_a_capacity_change_alone_is_not(world, booked):
    session = booked.session
    change(world, session, capacity=5)
    assert not changed_messages().exists()
    change(world, Session.objects.get(pk=session.pk), place="三楼多功能厅")
    body = changed_messages().filter(user=world.dad_user).first().body
    assert "三楼多功能厅" in body and "永兴社区活动室" in body


def test_a_raised_capacity_offers_the_seat_to_the_first_waitlisted_after_commit(
    world, booked, django_capture_on_commit_callbacks
):
    kid = Registration.objects.get(person=world.kid, session=booked.session)
    assert kid.status == RegistrationStatus.CONFIRMED  # dad and kid both seated
    first_waiting = Registration.objects.get(person=world.mum, session=booked.session)
    assert first_waiting.status == RegistrationStatus.WAITLISTED
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        change(world, booked.session, capacity=5)
        assert not Offer.objects.exists()  # nothing offered before the change commits
    assert len(callbacks) >= 1
    first_waiting.refresh_from_db()
    assert first_waiting.status == RegistrationStatus.OFFERED
    assert Message.objects.filter(
        key__startswith=f"events.offer:{first_waiting.offer_id}:user:{world.mum_user.pk}"
    ).exists()


def test_a_capacity_below_the_places_booked_is_refused_with_the_count(world, booked):
    session = booked.session
    with pytest.raises(ValidationError) as exc:
        change(world, session, capacity=3, place="别处")
    assert exc.value.message_dict == {
        "capacity": ["4 people have booked: the capacity cannot be less than 4."]
    }
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        change(world, session, capacity=2)
    assert exc.value.message_dict == {"capacity": ["已有 4 人预约，名额不能少于 4。"]}
    session.refresh_from_db()
    assert (session.capacity, session.place) == (4, "")
    assert not changed_messages().exists()


def test_a_cancelled_or_started_session_cannot_be_changed(world, fcfs):
    started = SessionFactory(
        activity=fcfs.activity,
        starts_at=timezone.now() - datetime.timedelta(minutes=5),
        ends_at=timezone.now() + datetime.timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as exc:
        change(world, started, place="别处")
    assert exc.value.messages == ["This session has started or is over: it can no longer be changed."]
    session_cancel(actor=world.staff, session=fcfs.session, reason="停电")
    with pytest.raises(ValidationError) as exc:
        change(world, Session.objects.get(pk=fcfs.session.pk), place="别处")
    assert exc.value.messages == ["This session is cancelled: it can no longer be changed."]
    assert Session.objects.get(pk=fcfs.session.pk).place == ""
    with pytest.raises(PermissionDenied):
        change(world, fcfs.session, actor=world.mum_user)


def test_a_course_session_keeps_the_course_capacity(world):
    course = ActivityFactory(
        organiser_user=world.staff, registration_scope=RegistrationScope.COURSE, capacity=2
    )
    meeting = SessionFactory(activity=course, capacity=0)
    booking_create(actor=world.mum_user, activity=course, persons=[world.son, world.daughter])
    later = meeting.starts_at + datetime.timedelta(hours=1)
    change(world, meeting, capacity=1, starts_at=later, ends_at=later + datetime.timedelta(hours=2))
    meeting.refresh_from_db()
    assert (meeting.capacity, meeting.starts_at) == (0, later)
    assert changed_messages().filter(user=world.mum_user).exists()


def test_an_open_offer_is_held_no_later_than_the_new_start(world, booked, django_capture_on_commit_callbacks):
    booked.activity.offer_hold_hours = 48
    booked.activity.save()
    with django_capture_on_commit_callbacks(execute=True):
        change(world, booked.session, capacity=5)
    offer = Offer.objects.get()
    sooner = timezone.now() + datetime.timedelta(hours=20)
    change(
        world,
        Session.objects.get(pk=booked.session.pk),
        starts_at=sooner,
        ends_at=sooner + datetime.timedelta(hours=2),
    )
    offer.refresh_from_db()
    assert offer.expires_at == sooner


# --- a lottery's sessions are committed before anyone can apply ------------------------------------


def test_new_sessions_of_a_lottery_each_get_their_seed_commitment(world):
    from events.models import AllocationMode, LotteryCommitment
    from events.services.lottery import lottery_commitment_for

    lottery = ActivityFactory(
        title="寒假书法班",
        organiser_user=world.staff,
        allocation=AllocationMode.LOTTERY,
        booking_closes_at=NOW + datetime.timedelta(days=5),
    )
    one = session_create(
        actor=world.staff,
        activity=lottery,
        starts_at=NOW + datetime.timedelta(days=10),
        ends_at=NOW + datetime.timedelta(days=10, hours=2),
        capacity=20,
        now=timezone.now(),
    )
    two = sessions_create_on_dates(
        actor=world.staff,
        activity=lottery,
        dates=[D(2026, 12, 8), D(2026, 12, 15)],
        start_time=datetime.time(9),
        end_time=datetime.time(11),
        capacity=20,
        now=timezone.now(),
    )
    for session in [one, *two]:
        commitment = lottery_commitment_for(activity=lottery, session=session)
        assert commitment is not None and len(commitment.seed_sha256) == 64
    assert LotteryCommitment.objects.filter(activity=lottery).count() == 3


def test_sessions_of_a_first_come_activity_get_no_commitment(world, opera):
    from events.models import LotteryCommitment

    weekly(world, opera, last=D(2026, 12, 31))
    assert not LotteryCommitment.objects.filter(activity=opera).exists()
