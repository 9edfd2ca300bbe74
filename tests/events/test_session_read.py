"""The booking POST's read of the session with its activity (``session_of_activity_get``, SQL written
once and turned into instances by ``portal.db``) gives what the ORM's ``select_related`` gives: every
field of both, with the database's conversions (SQLite's booleans and datetimes too), and no further
query when the activity is used."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Activity, ActivityStatus, Session
from events.selectors import session_of_activity_get

from .factories import ActivityFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_same_session_and_activity_as_the_orm(world):
    activity = ActivityFactory(
        organiser_user=world.staff, waitlist_enabled=False, capacity=None, max_per_household=2
    )
    session = SessionFactory(activity=activity, capacity=12, cancelled=True, place="永兴社区活动室二楼")
    Session.objects.filter(pk=session.pk).update(pool_seats_taken=3, pool_waitlisted=1, pool_last_queue_no=4)
    with CaptureQueriesContext(connection) as queries:
        got = session_of_activity_get(user=world.mum_user, activity_id=activity.pk, session_id=session.pk)
        title = got.activity.title
    assert len(queries) == 1
    expected = Session.objects.select_related("activity").get(pk=session.pk)
    assert _fields(got) == _fields(expected)
    assert _fields(got.activity) == _fields(expected.activity)
    assert title == expected.activity.title
    assert got.cancelled is True and got.activity.waitlist_enabled is False
    assert isinstance(got.starts_at, datetime.datetime) and timezone.is_aware(got.starts_at)
    assert got.activity.booking_opens_at == expected.activity.booking_opens_at
    assert not got._state.adding and not got.activity._state.adding  # loaded rows: save() updates


def test_no_session_of_that_activity(world):
    activity = ActivityFactory(organiser_user=world.staff)
    other = SessionFactory(activity=ActivityFactory(organiser_user=world.staff))
    assert session_of_activity_get(user=world.mum_user, activity_id=activity.pk, session_id=other.pk) is None
    assert session_of_activity_get(user=world.mum_user, activity_id=activity.pk, session_id=10**12) is None


def test_an_unpublished_activity_only_for_those_who_manage_it(world):
    activity = ActivityFactory(organiser_user=world.staff, status=ActivityStatus.DRAFT)
    session = SessionFactory(activity=activity)
    assert (
        session_of_activity_get(user=world.mum_user, activity_id=activity.pk, session_id=session.pk) is None
    )
    got = session_of_activity_get(user=world.staff, activity_id=activity.pk, session_id=session.pk)
    assert got.pk == session.pk and isinstance(got.activity, Activity)
