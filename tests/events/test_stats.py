"""events/stats.py: the figures the staff dashboard reports, from aggregate queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import stats
from events.models import Area, CapacityUnit
from events.services import booking_create, booking_create_on_behalf, checkin_ticket, session_cancel
from portal.reports import registry
from portal.volunteers.models import HoursEntry, HoursStatus, VolunteerProfile
from tests.community.factories import HouseholdFactory, PersonFactory

from .factories import ActivityFactory, SessionFactory


def _day(session):
    return session.local_date


def figures_after(**kwargs):
    """The figures as they read once every session made here (at most five weeks ahead) has been held:
    a session counts as held only once it has started (tests/events/test_stats_held.py)."""
    return stats.figures(now=timezone.now() + datetime.timedelta(days=90), **kwargs)


def _values(figures, area=""):
    return {f.key.removeprefix("events."): f.value for f in figures if f.area == area}


@pytest.fixture
def marathon(world):
    """A family-unit activity: mum books herself and her two children (one family, three people) and
    the neighbour books himself and his boy; both families come."""
    activity = ActivityFactory(
        organiser_user=world.staff,
        title="亲子迷你马拉松",
        capacity_unit=CapacityUnit.FAMILY,
        area=Area.COMMUNITY,
    )
    session = SessionFactory(activity=activity, capacity=300)
    mums = booking_create(
        actor=world.mum_user,
        activity=activity,
        session=session,
        persons=[world.mum, world.son, world.daughter],
    )
    dads = booking_create(
        actor=world.dad_user, activity=activity, session=session, persons=[world.dad, world.kid]
    )
    checkin_ticket(actor=world.staff, session=session, token=mums.token)
    checkin_ticket(actor=world.staff, session=session, token=dads.token)
    return activity, session


def test_a_family_check_in_counts_each_person_present(world, marathon):
    _activity, session = marathon
    figures = figures_after(start=_day(session), end=_day(session))
    whole = _values(figures)
    assert whole["activities"] == 1
    assert whole["sessions"] == 1
    assert whole["bookings"] == 2
    assert whole["registered"] == 5
    assert whole["attendance"] == 5  # person-times: three of mum's family, two of the neighbour's
    assert _values(figures, Area.COMMUNITY)["attendance"] == 5
    assert _values(figures, Area.ELDERS) == {}  # nothing held there: no group for the area


def test_a_course_counts_each_meeting_attended(world):
    activity = ActivityFactory(
        organiser_user=world.staff, area=Area.ELDERS, registration_scope="course", capacity=20
    )
    first = SessionFactory(activity=activity)
    second = SessionFactory(activity=activity, starts_at=first.starts_at + datetime.timedelta(days=7))
    booking = booking_create(actor=world.mum_user, activity=activity, persons=[world.granny])
    for s in (first, second):
        checkin_ticket(actor=world.staff, session=s, token=booking.token)
    both = _values(figures_after(start=_day(first), end=_day(second)), Area.ELDERS)
    assert both == {"activities": 1, "sessions": 2, "bookings": 1, "registered": 1, "attendance": 2}
    only_first = _values(figures_after(start=_day(first), end=_day(first)), Area.ELDERS)
    assert only_first["attendance"] == 1 and only_first["sessions"] == 1 and only_first["registered"] == 1


def test_the_period_includes_both_ends_and_leaves_out_the_rest(world, marathon):
    _activity, session = marathon
    day = _day(session)
    assert _values(figures_after(start=day - datetime.timedelta(days=3), end=day))["attendance"] == 5
    assert _values(figures_after(start=day, end=day + datetime.timedelta(days=3)))["attendance"] == 5
    before = _values(
        figures_after(start=day - datetime.timedelta(days=5), end=day - datetime.timedelta(days=1))
    )
    after = _values(
        figures_after(start=day + datetime.timedelta(days=1), end=day + datetime.timedelta(days=5))
    )
    assert set(before.values()) == {0} and set(after.values()) == {0}


def test_a_cancelled_session_was_not_held(world):
    activity = ActivityFactory(organiser_user=world.staff)
    session = SessionFactory(activity=activity)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.mum])
    session_cancel(actor=world.staff, session=session, reason="暴雨")
    whole = _values(figures_after(start=_day(session), end=_day(session)))
    assert whole["sessions"] == 0 and whole["registered"] == 0 and whole["activities"] == 0


def test_a_grid_counts_only_its_own_residents(world, marathon):
    _activity, session = marathon
    day = _day(session)
    mums_grid = world.mum.household.building.grid
    dads_grid = world.dad.household.building.grid
    assert mums_grid != dads_grid
    mine = _values(figures_after(start=day, end=day, grid=mums_grid))
    assert mine["bookings"] == 1 and mine["registered"] == 3 and mine["attendance"] == 3
    assert mine["activities"] == 1 and mine["sessions"] == 1
    theirs = _values(figures_after(start=day, end=day, grid=dads_grid))
    assert theirs["registered"] == 2 and theirs["attendance"] == 2
    nobody = _values(figures_after(start=day, end=day, grid=HouseholdFactory().building.grid))
    assert set(nobody.values()) == {0}


def test_volunteer_hours_approved_in_the_period_and_grid(world):
    today = datetime.date(2026, 3, 30)
    mine = VolunteerProfile.objects.create(person=world.mum)
    theirs = VolunteerProfile.objects.create(person=world.dad)
    HoursEntry.objects.create(
        volunteer=mine, date=today, hours=Decimal("2.5"), description="补给站", status=HoursStatus.APPROVED
    )
    HoursEntry.objects.create(
        volunteer=mine, date=today, hours=Decimal("1"), description="签到", status=HoursStatus.PENDING
    )
    HoursEntry.objects.create(
        volunteer=theirs, date=today, hours=Decimal("3"), description="终点", status=HoursStatus.APPROVED
    )
    HoursEntry.objects.create(
        volunteer=theirs,
        date=today - datetime.timedelta(days=40),
        hours=Decimal("4"),
        description="去年",
        status=HoursStatus.APPROVED,
    )
    whole = _values(figures_after(start=today.replace(day=1), end=today))
    assert whole["hours"] == Decimal("5.5") and whole["hours_pending"] == Decimal("1")
    grid = _values(
        figures_after(start=today.replace(day=1), end=today, grid=world.mum.household.building.grid)
    )
    assert grid["hours"] == Decimal("2.5")


def _many_families(world, activity, session, n):
    for i in range(n):
        home = HouseholdFactory()
        persons = [
            PersonFactory(household=home, name=f"家长{i}"),
            PersonFactory(household=home, name=f"孩子{i}"),
        ]
        booking = booking_create_on_behalf(
            staff=world.staff, activity=activity, session=session, persons=persons
        )
        checkin_ticket(actor=world.staff, session=session, token=booking.token)


def test_the_number_of_queries_does_not_grow_with_the_rows(world, marathon):
    activity, session = marathon
    day = _day(session)
    other = ActivityFactory(organiser_user=world.staff, area=Area.YOUTH)
    other_session = SessionFactory(
        activity=other, capacity=100, starts_at=session.starts_at + datetime.timedelta(hours=3)
    )
    _many_families(world, other, other_session, 1)
    with CaptureQueriesContext(connection) as few:
        figures_after(start=day, end=day)
    _many_families(world, other, other_session, 12)
    with CaptureQueriesContext(connection) as many:
        figures = figures_after(start=day, end=day)
    assert len(many) == len(few) <= 5
    assert _values(figures, Area.YOUTH)["attendance"] == 26


def test_the_dashboard_registry_finds_events_stats(world, marathon):
    _activity, session = marathon
    providers = registry.discover(refresh=True)
    assert providers["events"] is stats.figures
    keys = {f.key for f in registry.figures_for(start=_day(session), end=_day(session))}
    assert {"events.attendance", "events.hours", "events.registered"} <= keys
