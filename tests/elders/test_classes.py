"""The elder classes and clinics page (elders:classes): the sessions to come of the activities for elders,
with the way to book (the activity's page), and for those who manage them attendance per session held."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import ActivityStatus, Area
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.community.factories import GridFactory, OrganizationFactory
from tests.events.factories import SessionFactory, in_days

from ._f_demo import elder_class, held_session

URL = "/elders/classes/"


def _page(client, user=None, **params):
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("elders:classes"), params)
    assert response.status_code == 200
    return response


@pytest.mark.django_db
def test_the_url_is_the_areas():
    assert reverse("elders:classes") == URL


@pytest.mark.django_db
def test_everyone_sees_the_classes_and_clinics_to_come_with_the_way_to_book(client):
    phone = elder_class(title="智能手机课堂·移动支付")
    SessionFactory(activity=phone, starts_at=in_days(3, hour=14), ends_at=in_days(3, hour=16))
    clinic = elder_class(title="便民服务驿站义诊", area=Area.COMMUNITY, min_age=60)  # audience 60+
    SessionFactory(activity=clinic, starts_at=in_days(9, hour=9), ends_at=in_days(9, hour=11))
    kids = elder_class(title="小古文阅读", area=Area.YOUTH, min_age=6, max_age=12)
    SessionFactory(activity=kids)
    draft = elder_class(title="还没发布的课", status=ActivityStatus.DRAFT)
    SessionFactory(activity=draft)
    past = elder_class(title="上个月的讲座")
    held_session(past, days_ago=20, booked=2, came=1)

    html = _page(client).content.decode()
    assert "智能手机课堂·移动支付" in html and "便民服务驿站义诊" in html
    assert "小古文阅读" not in html and "还没发布的课" not in html and "上个月的讲座" not in html
    assert f'href="{reverse("events:detail", args=[phone.pk])}"' in html
    assert html.index("智能手机课堂·移动支付") < html.index("便民服务驿站义诊")  # soonest first
    assert 'data-testid="attendance"' not in html  # anonymous: no attendance


@pytest.mark.django_db
def test_places_left_are_the_sessions_or_the_courses(client):
    course = elder_class(title="太极拳班", course=True, capacity=10)
    held_session(course, days_ago=7, booked=3, came=2)
    SessionFactory(activity=course, starts_at=in_days(2, hour=9), ends_at=in_days(2, hour=10))
    response = _page(client)
    (group,) = response.context["groups"]
    assert group["sessions"][0].places_left == 7
    html = response.content.decode()
    course_note = html[html.index('data-testid="course-places"') :][:300]
    assert "7" in course_note


@pytest.mark.django_db
def test_staff_see_booked_against_checked_in_for_each_session_held(client):
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    clinic = elder_class(title="健康义诊")
    older = held_session(clinic, days_ago=40, booked=5, came=5)
    recent = held_session(clinic, days_ago=10, booked=4, came=3)
    course = elder_class(title="手机课", course=True)
    lesson = held_session(course, days_ago=3, booked=6, came=4)
    held_session(course, days_ago=10, booked=6, came=5)
    cancelled = held_session(clinic, days_ago=5, booked=1, came=0)
    cancelled.cancelled = True
    cancelled.save()

    response = _page(client, staff)
    rows = [(s.pk, s.booked, s.checked_in) for s in response.context["attendance"].object_list]
    assert rows[0] == (lesson.pk, 6, 4)  # latest first; a course's places are the course's
    assert (recent.pk, 4, 3) in rows and (older.pk, 5, 5) in rows
    assert cancelled.pk not in [r[0] for r in rows]
    totals = {t["title"]: (t["sessions"], t["visits"]) for t in response.context["totals"]}
    assert totals == {"健康义诊": (2, 8), "手机课": (2, 9)}
    html = response.content.decode()
    assert f'href="{reverse("events:roster", args=[lesson.pk])}"' in html


@pytest.mark.django_db
def test_partner_staff_see_the_attendance_of_their_own_organisations_clinics_only(client):
    centre = OrganizationFactory(name="中兴街道社区卫生服务中心")
    nurse = UserFactory(role=Role.PARTNER_STAFF, organization=centre)
    ours = elder_class(title="我们的义诊", organiser_org=centre)
    theirs = elder_class(title="别人的课", organiser_org=OrganizationFactory(name="别的单位"))
    mine = held_session(ours, days_ago=5, booked=3, came=3)
    held_session(theirs, days_ago=5, booked=3, came=1)
    response = _page(client, nurse)
    assert [s.pk for s in response.context["attendance"].object_list] == [mine.pk]
    assert "别人的课" not in response.content.decode()


@pytest.mark.django_db
def test_residents_and_volunteers_see_no_attendance(client):
    clinic = elder_class(title="健康义诊")
    held_session(clinic, days_ago=5, booked=3, came=3)
    for user in (
        UserFactory(role=Role.RESIDENT),
        UserFactory(role=Role.VOLUNTEER),
        UserFactory(role=Role.GRID_WORKER, grid=GridFactory()),
    ):
        response = _page(client, user)
        assert response.context["attendance"] is None
        assert 'data-testid="attendance"' not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999999999", "", "²"])
def test_a_hostile_page_number_shows_a_page(client, page):
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    held_session(elder_class(), days_ago=3, booked=1, came=1)
    response = _page(client, staff, page=page)
    assert response.context["attendance"].number == 1


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_few_or_many_sessions_and_people(client):
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    client.force_login(staff)

    def grow(n):
        for i in range(n):
            activity = elder_class(title=f"课程{i}-{timezone.now().timestamp()}", course=bool(i % 2))
            held_session(activity, days_ago=2 + i, booked=2, came=1)
            SessionFactory(activity=activity)

    def queries() -> int:
        client.get(URL)  # warm
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    small = queries()
    grow(12)
    assert queries() == small


@pytest.mark.django_db
def test_a_session_more_than_three_months_ahead_waits_for_its_turn(client):
    later = elder_class(title="明年的课")
    start = timezone.now() + datetime.timedelta(days=120)
    SessionFactory(activity=later, starts_at=start, ends_at=start + datetime.timedelta(hours=1))
    assert "明年的课" not in _page(client).content.decode()


@pytest.mark.django_db
def test_the_sessions_to_come_read_in_sql_agree_with_the_engines_seat_counts():
    """The one written-once read of the sessions to come gives what the engine's ``sessions_with_seats``
    (and its course places) give: a session with places, a course, a family-counted session, a session
    without a limit; each with its organiser loaded (no query more)."""
    from django.db.models import Count

    from elders.selectors.classes import upcoming_sessions
    from events.models import SEATED_STATUSES, Booking, CapacityUnit, Registration, RegistrationStatus
    from events.selectors import course_seats_left, sessions_with_seats
    from tests.elders.factories import ElderFactory

    from ._f_demo import _book

    centre = OrganizationFactory(name="社区卫生服务中心")
    clinic = elder_class(title="义诊", capacity=30, organiser_org=centre)
    clinic_day = SessionFactory(activity=clinic, starts_at=in_days(2, hour=9), ends_at=in_days(2, hour=11))
    clinic_day.capacity = 5
    clinic_day.save()
    for _ in range(2):
        _book(clinic, clinic_day)
    course = elder_class(title="太极", course=True, capacity=10)
    lesson = SessionFactory(activity=course, starts_at=in_days(3, hour=9), ends_at=in_days(3, hour=10))
    for _ in range(3):
        _book(course, None)
    family = elder_class(title="亲子", capacity_unit=CapacityUnit.FAMILY)
    outing = SessionFactory(activity=family, starts_at=in_days(4, hour=9), ends_at=in_days(4, hour=10))
    outing.capacity = 4
    outing.save()
    booking = Booking.objects.create(activity=family, session=outing, booked_by=UserFactory(), on_behalf=True)
    for _ in range(2):
        Registration.objects.create(
            booking=booking,
            activity=family,
            session=outing,
            person=ElderFactory(),
            status=RegistrationStatus.CONFIRMED,
        )
    talk = elder_class(title="讲座")
    open_talk = SessionFactory(activity=talk, starts_at=in_days(5, hour=9), ends_at=in_days(5, hour=10))
    open_talk.capacity = 0  # anyone who comes
    open_talk.save()

    with CaptureQueriesContext(connection) as ctx:
        found = upcoming_sessions()
        shown = [(s.pk, s.places_left, s.activity.organiser_display) for s in found]
    assert len(ctx.captured_queries) == 1
    engine = {s.pk: s for s in sessions_with_seats()}
    expected = []
    for s in (clinic_day, lesson, outing, open_talk):
        s.refresh_from_db()
        a = s.activity
        if a.is_course:
            taken = Registration.objects.filter(
                activity=a, session__isnull=True, status__in=SEATED_STATUSES
            ).aggregate(n=Count("pk"))["n"]
            left = max((a.capacity or 0) - taken, 0)
            assert left == course_seats_left(activity=a)
        elif s.capacity:
            left = engine[s.pk].seats_left
        else:
            left = None
        expected.append((s.pk, left, a.organiser_display))
    assert shown == expected
    assert [left for _pk, left, _who in shown] == [3, 7, 3, None]
