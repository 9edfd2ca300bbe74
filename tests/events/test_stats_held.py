"""The dashboard counts a session "held" only once it has started (not cancelled, started before now), and
family activities count their waitlist in families, the unit their places are counted in (loose end of
issue 10). Figures are compared with counts made from the database, on a frozen day in the middle of the
period."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from events import stats
from events.models import Area, CapacityUnit, Registration, RegistrationStatus, Session
from events.selectors import pool_counts, sessions_with_seats
from events.selectors.roster import managed_activities
from events.services import booking_create, booking_create_on_behalf, checkin_ticket, session_cancel
from portal.community.models import RelationKind
from tests.community.factories import PersonFactory, RelationFactory, UserFactory

from .factories import ActivityFactory, SessionFactory

D = datetime.timedelta(days=1)


def _values(figures, area=""):
    return {f.key.removeprefix("events."): f.value for f in figures if f.area == area}


@pytest.fixture
def period(world):
    """Three sessions of one activity: one that will be over, one cancelled, one still to come when the
    clock is frozen ``later`` (the middle of a fortnight that holds all three)."""
    t0 = timezone.now()
    activity = ActivityFactory(organiser_user=world.staff, area=Area.COMMUNITY, title="社区书画班")
    past = SessionFactory(
        activity=activity, starts_at=t0 + 1 * D, ends_at=t0 + 1 * D + 2 * datetime.timedelta(hours=1)
    )
    dropped = SessionFactory(
        activity=activity, starts_at=t0 + 2 * D, ends_at=t0 + 2 * D + datetime.timedelta(hours=2)
    )
    coming = SessionFactory(
        activity=activity, starts_at=t0 + 9 * D, ends_at=t0 + 9 * D + datetime.timedelta(hours=2)
    )
    for session in (past, dropped, coming):
        booking_create(
            actor=world.mum_user, activity=activity, session=session, persons=[world.mum, world.son]
        )
    booking_create(actor=world.dad_user, activity=activity, session=coming, persons=[world.dad])
    session_cancel(actor=world.staff, session=dropped, reason="暴雨")
    later = t0 + 5 * D
    day = timezone.localtime(later).date()
    return activity, past, coming, later, day - 7 * D, day + 7 * D


def _held_from_the_database(start, end, now):
    tz = timezone.get_current_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    hi = datetime.datetime.combine(end + D, datetime.time.min, tzinfo=tz)
    held = Session.objects.filter(starts_at__gte=lo, starts_at__lt=hi, starts_at__lte=now, cancelled=False)
    regs = Registration.objects.filter(session__in=held, status=RegistrationStatus.CONFIRMED)
    return {
        "sessions": held.count(),
        "activities": held.values("activity").distinct().count(),
        "bookings": regs.values("booking").distinct().count(),
        "registered": regs.count(),
    }


def test_a_session_still_to_come_is_not_held(world, period):
    activity, past, coming, later, start, end = period
    with time_machine.travel(later, tick=False):
        whole = _values(stats.figures(start=start, end=end))
        expected = _held_from_the_database(start, end, timezone.now())
    assert expected == {"sessions": 1, "activities": 1, "bookings": 1, "registered": 2}
    for key, value in expected.items():
        assert whole[key] == value, key
    # once the last one has started, it is held too
    with time_machine.travel(coming.starts_at + datetime.timedelta(minutes=5), tick=False):
        assert _values(stats.figures(start=start, end=end))["sessions"] == 2
        assert _values(stats.figures(start=start, end=end))["registered"] == 5


def test_the_dashboard_page_shows_the_held_sessions_only(client, world, period):
    activity, past, coming, later, start, end = period
    client.force_login(world.staff)
    with time_machine.travel(later, tick=False):
        response = client.get("/reports/", {"start": start.isoformat(), "end": end.isoformat()})
        expected = _held_from_the_database(start, end, timezone.now())
    assert response.status_code == 200
    [whole] = [g for g in response.context["groups"] if g.area == ""]
    shown = {f.key.removeprefix("events."): f.value for f in whole.figures}
    assert shown["sessions"] == expected["sessions"] == 1


def test_attendance_is_the_check_ins_of_the_period(world, period):
    activity, past, coming, later, start, end = period
    booking = past.registrations.first().booking
    with time_machine.travel(past.starts_at, tick=False):
        checkin_ticket(actor=world.staff, session=past, token=booking.token)
    with time_machine.travel(later, tick=False):
        assert _values(stats.figures(start=start, end=end))["attendance"] == 2


# --- the waitlist of a family activity is counted in families --------------------------------------------


@pytest.fixture
def families(world):
    """One place, counted in families: mum's family of three has it; the neighbour's two and the 孙 family's
    two wait (two families, four people)."""
    activity = ActivityFactory(
        organiser_user=world.staff, title="竹风铃亲子手工", capacity_unit=CapacityUnit.FAMILY
    )
    session = SessionFactory(activity=activity, capacity=1)
    booking_create(
        actor=world.mum_user,
        activity=activity,
        session=session,
        persons=[world.mum, world.son, world.daughter],
    )
    booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.dad, world.kid])
    sun_user = UserFactory(name="孙燕")
    sun = PersonFactory(name="孙燕", user=sun_user)
    child = PersonFactory(name="孙小宇", household=sun.household, birth_date=datetime.date(2017, 5, 1))
    RelationFactory(subject=sun, relative=child, kind=RelationKind.GUARDIAN)
    booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[sun, child])
    return activity, session


def _waiting_from_the_database(session):
    waiting = Registration.objects.filter(session=session, status=RegistrationStatus.WAITLISTED)
    return waiting.values("booking").distinct().count(), waiting.count()


def test_the_waitlist_of_a_family_activity_is_counted_in_families(world, families):
    activity, session = families
    assert _waiting_from_the_database(session) == (2, 4)
    s = sessions_with_seats(Session.objects.filter(pk=session.pk)).get()
    assert (s.seats_taken, s.capacity, s.waitlisted, s.waitlisted_persons) == (1, 1, 2, 4)
    counts = pool_counts(activity=activity, session=session)
    assert (counts["waitlisted_units"], counts["waitlisted"]) == (2, 4)
    assert (counts["confirmed_units"], counts["confirmed"]) == (1, 3)
    [a] = [a for a in managed_activities(user=world.staff) if a.pk == activity.pk]
    assert a.waitlisted == 2


def test_an_activity_counted_in_persons_counts_persons_waiting(world, fcfs):
    booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.mum, world.son, world.daughter],
    )
    booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    s = sessions_with_seats(Session.objects.filter(pk=fcfs.session.pk)).get()
    assert (s.seats_taken, s.waitlisted, s.waitlisted_persons) == (3, 2, 2)
    counts = pool_counts(activity=fcfs.activity, session=fcfs.session)
    assert counts["waitlisted_units"] == counts["waitlisted"] == 2


def test_staff_pages_say_the_unit_of_the_waitlist(client, world, families):
    activity, session = families
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.staff)
    manage = client.get(reverse("events:manage", args=[activity.pk])).content.decode()
    assert "waitlist: 2 families" in manage
    roster = client.get(reverse("events:roster", args=[session.pk])).content.decode()
    assert "Waitlist: 2 families (4 persons)" in roster
    listing = client.get(reverse("events:staff_activities")).content.decode()
    assert "2 families" in listing
    detail = client.get(reverse("events:detail", args=[activity.pk])).content.decode()
    assert "2 families waiting" in detail
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    manage = client.get(reverse("events:manage", args=[activity.pk])).content.decode()
    assert "候补：2户" in manage
    roster = client.get(reverse("events:roster", args=[session.pk])).content.decode()
    assert "候补：2户（4人）" in roster
