"""Races on real PostgreSQL for volunteer shifts: many volunteers for the last slots never overbook, one
volunteer tapping two overlapping shifts at once gets one, and two staff approving the same hours
decide them once. Each has a control run with the guard turned off that shows the race happening; the
controls hold the engine's window open until every volunteer is in it (tests/race.py), so all of them read
before any writes (a pause lost the race under load).

Run with DATABASE_URL=postgres://... (skipped on SQLite, which serialises writers anyway).
"""

import datetime

import pytest

from events.models import Shift, ShiftSignup
from events.services import _pool
from events.services.shifts import shift_signup
from portal.accounts.models import Role, User
from portal.community.models import Person
from portal.volunteers import services as volunteer_services
from portal.volunteers.models import HoursEntry, VolunteerProfile
from portal.volunteers.services import hours_approve, hours_credit
from tests.community.factories import UserFactory
from tests.race import hold_the_engine_window_open

from .factories import SessionFactory
from .test_concurrency import race  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VOLUNTEERS = 20
OVERLAPPING_TAPS = 10  # five on each of two overlapping shifts


def _volunteers(n):
    start = User.objects.count()
    users = User.objects.bulk_create(
        [
            User(phone=f"+86136{start + i:08d}", name=f"志愿者{start + i}", password="!", role=Role.VOLUNTEER)
            for i in range(n)
        ]
    )
    people = Person.objects.bulk_create([Person(name=u.name, user=u) for u in users])
    VolunteerProfile.objects.bulk_create([VolunteerProfile(person=p) for p in people])
    return users


def _shift(session, *, offset_hours=0, slots=3):
    start = session.starts_at + datetime.timedelta(hours=offset_hours)
    return Shift.objects.create(
        session=session,
        role=f"岗位{offset_hours}",
        slots=slots,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
    )


def _taken(shift) -> int:
    return ShiftSignup.objects.filter(shift=shift, status="signed_up").count()


def _last_slots(race):  # noqa: F811
    shift = _shift(SessionFactory(), slots=3)
    users = _volunteers(VOLUNTEERS)
    outcomes = race(
        lambda i: shift_signup(actor=users[i], shift=Shift.objects.get(pk=shift.pk)), n=VOLUNTEERS
    )
    return shift, outcomes


def test_twenty_volunteers_for_the_last_three_slots(race):  # noqa: F811
    shift, outcomes = _last_slots(race)
    assert outcomes.count("ok") == 3, outcomes
    assert outcomes.count("refused") == VOLUNTEERS - 3, outcomes
    assert _taken(shift) == 3


def test_control_without_the_lock_the_slots_are_overbooked(race, monkeypatch):  # noqa: F811
    monkeypatch.setattr(_pool, "LOCKING", False)
    hold_the_engine_window_open(monkeypatch, n=VOLUNTEERS)
    shift, _outcomes = _last_slots(race)
    assert _taken(shift) > 3, (
        "without the lock the race should overbook; the guarded test proves nothing otherwise"
    )


def _two_overlapping_at_once(race):  # noqa: F811
    session = SessionFactory()
    a, b = _shift(session, slots=5), _shift(session, offset_hours=1, slots=5)
    [user] = _volunteers(1)
    shifts = [a, b] * (OVERLAPPING_TAPS // 2)
    outcomes = race(
        lambda i: shift_signup(actor=user, shift=Shift.objects.get(pk=shifts[i].pk)), n=len(shifts)
    )
    return user, outcomes


def test_one_volunteer_two_overlapping_shifts_at_once_gets_one(race):  # noqa: F811
    user, outcomes = _two_overlapping_at_once(race)
    assert outcomes.count("ok") == 1, outcomes
    assert ShiftSignup.objects.filter(volunteer__person__user=user, status="signed_up").count() == 1


def test_control_without_the_lock_she_gets_both(race, monkeypatch):  # noqa: F811
    monkeypatch.setattr(_pool, "LOCKING", False)
    hold_the_engine_window_open(monkeypatch, n=OVERLAPPING_TAPS)  # a tap on each shift among them
    user, _outcomes = _two_overlapping_at_once(race)
    assert ShiftSignup.objects.filter(volunteer__person__user=user, status="signed_up").count() > 1


def _approve_at_once(race):  # noqa: F811
    [user] = _volunteers(1)
    entry = hours_credit(
        volunteer=user.person.volunteer_profile,
        date=datetime.date(2026, 5, 1),
        hours=2,
        description="补给站",
        source_key="test:1",
    )
    staff = [UserFactory(role=Role.COMMUNITY_STAFF) for _ in range(10)]
    outcomes = race(lambda i: hours_approve(actor=staff[i], entry=HoursEntry.objects.get(pk=entry.pk)), n=10)
    return entry, outcomes


def test_double_approve_decides_once(race):  # noqa: F811
    entry, outcomes = _approve_at_once(race)
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("refused") == 9, outcomes
    entry.refresh_from_db()
    assert entry.status == "approved" and entry.decided_by is not None


def test_control_without_the_claim_it_is_decided_many_times(race, monkeypatch):  # noqa: F811
    monkeypatch.setattr(volunteer_services, "CLAIMING", False)
    _entry, outcomes = _approve_at_once(race)
    assert outcomes.count("ok") > 1, outcomes
