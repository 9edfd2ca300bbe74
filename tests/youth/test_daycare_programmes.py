"""Staff create and change a day-care programme: weeks of daily sessions, holidays skipped."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events.models import Activity, LotteryCommitment, Session
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.events.factories import TargetGroupFactory
from youth.models import DaycareProgramme, DaycareWeek
from youth.services.daycare import daycare_programme_update

from ._f_daycare import DEC_7, make_programme
from .factories import ChildFactory, OrganizationFactory, book

pytestmark = pytest.mark.django_db


def _days(week):
    return [s.local_date for s in week.activity.sessions.order_by("starts_at")]


def test_weeks_are_calendar_weeks_with_a_session_each_working_day():
    programme = make_programme(starts_on=datetime.date(2026, 12, 9), ends_on=datetime.date(2026, 12, 22))
    weeks = list(programme.weeks.order_by("number"))
    assert [(w.number, w.starts_on, w.ends_on) for w in weeks] == [
        (1, datetime.date(2026, 12, 9), datetime.date(2026, 12, 11)),  # Wednesday to Friday
        (2, datetime.date(2026, 12, 14), datetime.date(2026, 12, 18)),
        (3, datetime.date(2026, 12, 21), datetime.date(2026, 12, 22)),  # cut by the last day
    ]
    assert [len(_days(w)) for w in weeks] == [3, 5, 2]
    activity = weeks[1].activity
    assert activity.area == "youth" and activity.registration_scope == "course" and activity.is_course
    assert (activity.capacity, activity.min_age, activity.max_age) == (20, 6, 12)
    assert activity.status == "published" and activity.allocation == "fcfs" and activity.waitlist_enabled
    session = activity.sessions.first()
    assert session.local_date == datetime.date(2026, 12, 14)
    assert Session.objects.filter(activity__daycare_week__programme=programme).count() == 10


def test_public_holidays_and_weekends_have_no_day_care():
    # National Day 2026: 1 to 7 October (the portal's calendar knows it).
    programme = make_programme(starts_on=datetime.date(2026, 9, 28), ends_on=datetime.date(2026, 10, 16))
    weeks = list(programme.weeks.order_by("number"))
    assert [_days(w) for w in weeks] == [
        [datetime.date(2026, 9, 28), datetime.date(2026, 9, 29), datetime.date(2026, 9, 30)],
        [datetime.date(2026, 10, 8), datetime.date(2026, 10, 9)],
        [datetime.date(2026, 10, 12) + datetime.timedelta(days=i) for i in range(5)],
    ]
    assert weeks[1].starts_on == datetime.date(2026, 10, 8)


def test_a_programme_of_holidays_only_is_refused_and_saves_nothing():
    with pytest.raises(ValidationError) as exc:
        make_programme(starts_on=datetime.date(2026, 10, 1), ends_on=datetime.date(2026, 10, 7))
    assert "no working day" in str(exc.value.message_dict["ends_on"])
    assert not DaycareProgramme.objects.exists() and not Activity.objects.exists()


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"ends_on": DEC_7 - datetime.timedelta(days=1)}, "ends_on", "before the first day"),
        ({"ends_on": DEC_7 + datetime.timedelta(days=200)}, "ends_on", "at most 16 weeks"),
        ({"day_ends": datetime.time(7, 0)}, "day_ends", "after drop-off"),
        ({"title": "  "}, "title", "title"),
        ({"max_age": 3}, "max_age", "below the minimum"),
        ({"capacity": 0}, "capacity", "between 1 and"),
        ({"booking_closes_at": None, "allocation": "lottery"}, "booking_closes_at", "lottery"),
    ],
)
def test_bad_programmes_are_refused_on_the_field_and_save_nothing(kw, field, words):
    with pytest.raises(ValidationError) as exc:
        make_programme(**kw)
    assert words in " ".join(exc.value.message_dict[field])
    assert not DaycareProgramme.objects.exists() and not Activity.objects.exists()


def test_a_resident_may_not_create_a_programme():
    with pytest.raises(PermissionDenied):
        make_programme(actor=UserFactory(role=Role.RESIDENT))
    assert not DaycareProgramme.objects.exists()


def test_partner_staff_create_for_their_own_organisation_only():
    school = OrganizationFactory(name="永兴小学")
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=school)
    programme = make_programme(actor=partner)
    assert programme.organiser_org == school
    assert {w.activity.organiser_org_id for w in programme.weeks.select_related("activity")} == {school.pk}
    other = OrganizationFactory(name="南通大学志愿者协会")
    with pytest.raises(ValidationError) as exc:
        make_programme(actor=partner, organiser_org=other, title="别家的")
    assert "永兴小学" in " ".join(exc.value.message_dict["organiser_org"])
    assert DaycareProgramme.objects.count() == 1


def test_lottery_weeks_commit_their_seed_and_the_early_window_is_the_engines():
    from django.utils import timezone

    group = TargetGroupFactory(name="双职工家庭")
    now = timezone.now()
    programme = make_programme(
        allocation="lottery",
        early_opens_at=now - datetime.timedelta(hours=1),
        booking_opens_at=now + datetime.timedelta(days=2),
        early_group=group,
    )
    for week in programme.weeks.select_related("activity"):
        assert week.activity.is_lottery
        assert week.activity.early_for == "group" and week.activity.early_group == group
        assert LotteryCommitment.objects.filter(activity=week.activity, session__isnull=True).count() == 1


def test_update_changes_titles_place_and_times_of_the_weeks():
    programme = make_programme()
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    daycare_programme_update(
        actor=staff,
        programme=programme,
        title="寒托班（改）",
        description="",
        place="永兴社区活动室",
        starts_on=programme.starts_on,
        ends_on=programme.ends_on,
        day_starts=datetime.time(8, 30),
        day_ends=datetime.time(17, 0),
    )
    programme.refresh_from_db()
    assert programme.title == "寒托班（改）" and programme.place == "永兴社区活动室"
    week = programme.weeks.select_related("activity").get(number=2)
    assert week.activity.title.startswith("寒托班（改）") and week.activity.place == "永兴社区活动室"
    first = week.activity.sessions.order_by("starts_at").first()
    assert (
        first.starts_at.astimezone(datetime.UTC).hour == 0
        and first.starts_at.astimezone(datetime.UTC).minute == 30
    )


def _update(programme, **kw):
    values = {
        f: getattr(programme, f)
        for f in ("title", "description", "place", "starts_on", "ends_on", "day_starts", "day_ends")
    }
    values.update(kw)
    return daycare_programme_update(
        actor=UserFactory(role=Role.COMMUNITY_STAFF), programme=programme, **values
    )


def test_shortening_is_refused_once_booked_and_nothing_changes():
    programme = make_programme()
    week2 = programme.weeks.get(number=2)
    book(ChildFactory(), week2)
    with pytest.raises(ValidationError) as exc:
        _update(programme, ends_on=DEC_7 + datetime.timedelta(days=4))
    assert "1 child is booked" in " ".join(exc.value.message_dict["ends_on"])
    programme.refresh_from_db()
    assert programme.ends_on == DEC_7 + datetime.timedelta(days=11)
    assert Session.objects.filter(activity__daycare_week__programme=programme).count() == 10


def test_shortening_without_bookings_drops_the_days_and_lengthening_adds_a_week():
    programme = make_programme()
    _update(programme, ends_on=DEC_7 + datetime.timedelta(days=2))  # Monday to Wednesday
    assert list(programme.weeks.values_list("number", "ends_on")) == [(1, DEC_7 + datetime.timedelta(days=2))]
    assert DaycareWeek.objects.count() == 1 and Activity.objects.count() == 1
    book(ChildFactory(), programme.weeks.get())
    _update(programme, ends_on=DEC_7 + datetime.timedelta(days=11))
    weeks = list(programme.weeks.order_by("number"))
    assert [(w.number, len(_days(w))) for w in weeks] == [(1, 5), (2, 5)]
    assert weeks[1].activity.capacity == 20 and weeks[1].activity.registration_scope == "course"
