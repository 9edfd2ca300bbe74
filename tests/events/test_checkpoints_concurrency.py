"""Races on real PostgreSQL at a checkpoint and at the venue.

* 20 phones at one station read the same ticket at once: exactly one stamp, 19 translated refusals, no
  error. The control run turns the row lock off: several phones then get past the "already stamped?"
  check and reach the insert (so the guarded run's single insert is the lock's doing); the unique
  constraint still keeps one stamp, and each loser gets the same refusal through the IntegrityError path.
* A resident checking in at the venue while staff scan her at the entrance: one CheckIn.

Run with DATABASE_URL=postgres://... (skipped on SQLite, which serialises writers anyway).
"""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from events.models import CapacityUnit, CheckIn, CheckInMethod, Checkpoint, Stamp
from events.services import _pool, booking_create, checkin_record, checkin_self_at_venue, venue_code_for
from events.services import checkpoints as checkpoints_module
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.community.factories import PersonFactory
from tests.race import hold_the_engine_window_open

from .conftest import ensure_message_templates
from .factories import ActivityFactory, SessionFactory, soon_today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def _race(fns):
    """Run each callable in its own thread (own connection), released at once; the outcomes."""
    barrier = threading.Barrier(len(fns))
    outcomes: list[str] = []
    guard = threading.Lock()

    def worker(fn):
        try:
            barrier.wait()
            try:
                fn()
                result = "ok"
            except ValidationError as exc:
                result = exc.code
            except Exception as exc:  # noqa: BLE001 - reported in the assertion
                result = f"error: {type(exc).__name__}: {exc}"
            with guard:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _marathon():
    ensure_message_templates()
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    activity = ActivityFactory(organiser_user=staff, capacity_unit=CapacityUnit.FAMILY)
    now = timezone.now()
    session = SessionFactory(
        activity=activity, capacity=10, starts_at=soon_today(), ends_at=now + datetime.timedelta(hours=3)
    )
    water = Checkpoint.objects.create(activity=activity, name="补给站", position=1)
    parent = UserFactory()
    mum = PersonFactory(user=parent)
    booking = booking_create(actor=parent, activity=activity, session=session, persons=[mum])
    return staff, activity, session, water, parent, booking


@pytest.fixture
def count_inserts(monkeypatch):
    """Count the INSERT attempts of stamps (each phone that got past the "already stamped?" check)."""
    monkeypatch.setattr(_pool, "RACE_PAUSE_SECONDS", 0.05)
    attempts = []
    real = checkpoints_module._create

    def counting(**fields):
        attempts.append(1)
        return real(**fields)

    monkeypatch.setattr(checkpoints_module, "_create", counting)
    return attempts


def _stamp_one_ticket_at_once():
    staff, activity, session, water, parent, booking = _marathon()

    def one():
        checkpoints_module.checkpoint_stamp(
            actor=staff,
            checkpoint=Checkpoint.objects.select_related("activity").get(pk=water.pk),
            session=session,
            token=booking.token,
        )

    return _race([one] * THREADS), water


def test_twenty_phones_at_one_station_record_one_stamp(count_inserts):
    outcomes, water = _stamp_one_ticket_at_once()
    assert sorted(outcomes) == ["already_stamped"] * (THREADS - 1) + ["ok"], outcomes
    assert Stamp.objects.filter(checkpoint=water).count() == 1
    assert len(count_inserts) == 1  # the row lock: only the first phone ever tried to insert


def test_control_without_the_lock_the_race_reaches_the_constraint(count_inserts, monkeypatch):
    """Control: with the row lock off, several phones pass the "already stamped?" check at once (the race
    is real, so the test above can fail); the unique constraint keeps one stamp, no phone sees an error,
    and each loser gets the same translated refusal."""
    monkeypatch.setattr(_pool, "LOCKING", False)
    hold_the_engine_window_open(monkeypatch)  # the window held open until two phones are in
    outcomes, water = _stamp_one_ticket_at_once()
    assert len(count_inserts) > 1
    assert sorted(outcomes) == ["already_stamped"] * (THREADS - 1) + ["ok"], outcomes
    assert Stamp.objects.filter(checkpoint=water).count() == 1


@pytest.mark.parametrize("locking", [True, False])
def test_self_check_in_and_staff_scan_of_one_person_at_once_record_one_check_in(monkeypatch, locking):
    monkeypatch.setattr(_pool, "RACE_PAUSE_SECONDS", 0.05)
    monkeypatch.setattr(_pool, "LOCKING", locking)
    staff, activity, session, water, parent, booking = _marathon()
    reg = booking.registrations.get()
    code = venue_code_for(activity)

    def resident():
        checkin_self_at_venue(
            actor=parent, activity=activity, code=code, session=session, registrations=[reg]
        )

    def scanner():
        checkin_record(actor=staff, session=session, token=booking.token, method=CheckInMethod.STAFF_SCAN)

    outcomes = _race([resident, scanner] * 5)
    assert sorted(outcomes) == ["already_checked_in"] * 9 + ["ok"], outcomes
    assert CheckIn.objects.filter(session=session).count() == 1
