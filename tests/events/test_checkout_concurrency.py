"""Two staff tablets sign the same child out at once, on real PostgreSQL: exactly one CheckOut, the other
tablet gets the translated "already signed out" refusal. The control turns the registration's row lock off
and shows the race: several tablets pass the "already signed out?" check and reach the insert, where the
unique constraint's IntegrityError is turned into the same refusal (so the guarded test can fail)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from events.models import CheckInMethod, CheckOut
from events.services import _pool, booking_create, checkin_record, checkout_record
from events.services import checkin as checkin_module
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.community.factories import PersonFactory
from tests.race import hold_the_engine_window_open

from .factories import ActivityFactory, SessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TABLETS = 8


@pytest.fixture
def count_inserts(monkeypatch):
    """The INSERT attempts of sign-out rows (each tablet that got past the "already signed out?" check)."""
    monkeypatch.setattr(_pool, "RACE_PAUSE_SECONDS", 0.05)
    attempts = []
    real = checkin_module._create_checkout

    def counting(**fields):
        attempts.append(1)
        return real(**fields)

    monkeypatch.setattr(checkin_module, "_create_checkout", counting)
    return attempts


def _race_one_child(n=TABLETS):
    from .conftest import ensure_message_templates

    ensure_message_templates()
    staff = [UserFactory(role=Role.COMMUNITY_STAFF) for _ in range(n)]
    activity = ActivityFactory(organiser_user=staff[0])
    session = SessionFactory(activity=activity, capacity=5)
    resident = UserFactory()
    person = PersonFactory(name="张小明", user=resident)
    booking = booking_create(actor=resident, activity=activity, session=session, persons=[person])
    reg = booking.registrations.get()
    checkin_record(actor=staff[0], session=session, registration=reg, method=CheckInMethod.STAFF_SEARCH)

    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    guard = threading.Lock()

    def worker(i):
        try:
            barrier.wait()
            try:
                checkout_record(actor=staff[i], session=session, registration=reg, released_to=f"奶奶{i}")
                result = "ok"
            except ValidationError as exc:
                result = exc.code
            except Exception as exc:  # noqa: BLE001 - reported in the assertion
                result = f"error: {type(exc).__name__}: {exc}"
            with guard:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes, session


def test_two_tablets_at_once_sign_the_child_out_once(count_inserts):
    outcomes, session = _race_one_child()
    assert sorted(outcomes) == ["already_signed_out"] * (TABLETS - 1) + ["ok"], outcomes
    assert CheckOut.objects.filter(session=session).count() == 1
    assert len(count_inserts) == 1  # the row lock: only the first tablet ever tried to insert


def test_control_without_the_lock_the_race_reaches_the_constraint(count_inserts, monkeypatch):
    monkeypatch.setattr(_pool, "LOCKING", False)
    hold_the_engine_window_open(monkeypatch)  # the window held open until two tablets are in
    outcomes, session = _race_one_child()
    assert len(count_inserts) > 1, "without the lock several tablets should pass the check at once"
    assert sorted(outcomes) == ["already_signed_out"] * (TABLETS - 1) + ["ok"], outcomes
    assert CheckOut.objects.filter(session=session).count() == 1
