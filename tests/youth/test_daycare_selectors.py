"""The day-care reads other pieces call: the programme of a session, today's sessions a staff member runs."""

import datetime

import pytest
from django.utils import timezone

from events.models import Session
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.events.factories import ActivityFactory
from youth.selectors.daycare import programme_of_session, sessions_on

from .factories import DaycareProgrammeFactory, OrganizationFactory, today_session

pytestmark = pytest.mark.django_db


def test_programme_of_session_is_the_weeks_programme():
    programme = DaycareProgrammeFactory(weeks=2)
    other = DaycareProgrammeFactory(weeks=1)
    session = today_session(programme)
    assert programme_of_session(session) == programme
    assert programme_of_session(today_session(other)) == other
    last = Session.objects.filter(activity__daycare_week__programme=programme).order_by("starts_at").last()
    assert programme_of_session(last) == programme


def test_programme_of_session_is_none_for_a_class():
    activity = ActivityFactory()
    session = Session.objects.create(
        activity=activity, starts_at=timezone.now(), ends_at=timezone.now() + datetime.timedelta(hours=1)
    )
    assert programme_of_session(session) is None


def test_sessions_on_community_staff_sees_every_programmes_day_in_start_order():
    first = DaycareProgrammeFactory(weeks=1)
    second = DaycareProgrammeFactory(weeks=1)
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    today = timezone.localdate()
    sessions = list(sessions_on(day=today, user=staff))
    assert sessions == sorted(
        [today_session(first), today_session(second)], key=lambda s: (s.starts_at, s.pk)
    )
    # The programme comes with it, no extra query.
    assert {s.activity.daycare_week.programme for s in sessions} == {first, second}
    assert list(sessions_on(day=datetime.date(2026, 11, 21), user=staff)) == []  # a Saturday


def test_sessions_on_partner_staff_sees_only_her_organisations_programmes():
    org = OrganizationFactory(name="永兴小学")
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org)
    own = DaycareProgrammeFactory(
        weeks=1, organiser_org=org, organiser=UserFactory(role=Role.COMMUNITY_STAFF)
    )
    for week in own.weeks.all():
        week.activity.organiser_org = org
        week.activity.save(update_fields=["organiser_org"])
    DaycareProgrammeFactory(weeks=1)  # someone else's
    assert list(sessions_on(day=timezone.localdate(), user=partner)) == [today_session(own)]


def test_sessions_on_leaves_out_cancelled_days_classes_and_strangers():
    programme = DaycareProgrammeFactory(weeks=1)
    session = today_session(programme)
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    cls = ActivityFactory(area="youth")
    Session.objects.create(activity=cls, starts_at=session.starts_at, ends_at=session.ends_at)
    assert list(sessions_on(day=timezone.localdate(), user=staff)) == [session]
    assert list(sessions_on(day=timezone.localdate(), user=UserFactory())) == []
    session.cancelled = True
    session.save(update_fields=["cancelled"])
    assert list(sessions_on(day=timezone.localdate(), user=staff)) == []
