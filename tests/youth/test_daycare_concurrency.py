"""Families booking the whole day-care at once, on real PostgreSQL: no week is ever oversold, the waitlist
numbers of a week are never given twice, and booking every week in one transaction never deadlocks (each
booking locks the weeks in the same order). The control run turns the engine's pool lock off and shows
the race overselling, so the guarded test would fail if the lock did nothing: its window is held open until
every family is in it (tests/race.py), so all of them read the places left before any writes.

Run with DATABASE_URL=postgres://... (skipped on SQLite, which serialises writers anyway).
"""

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from events.models import SEATED_STATUSES, Registration, RegistrationStatus
from events.services import _pool
from portal.notify import services as notify_services
from tests.race import hold_the_engine_window_open
from youth.services.daycare import daycare_book

from ._f_daycare import make_programme
from .conftest import ensure_youth_data
from .factories import ChildFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FAMILIES = 10
CAPACITY = 7  # places a day: 10 families of two children want 20
PAUSE = 0.05  # seconds between reading the seats left and writing, to widen the window for the race


@pytest.fixture
def world(monkeypatch):
    ensure_youth_data()
    monkeypatch.setattr(_pool, "RACE_PAUSE_SECONDS", PAUSE)
    monkeypatch.setattr(notify_services, "_queue_send", lambda ids, urgent=False: None)  # no broker here
    programme = make_programme(capacity=CAPACITY)
    weeks = list(programme.weeks.select_related("activity").order_by("number"))
    families = []
    for _i in range(FAMILIES):
        first = ChildFactory()
        families.append(
            (first.guardian_for_tests.user, [first, ChildFactory(guardian=first.guardian_for_tests)])
        )
    return programme, weeks, families


def _race(world):
    programme, weeks, families = world
    barrier = threading.Barrier(len(families))
    outcomes, guard = [], threading.Lock()

    def worker(user, children):
        try:
            barrier.wait()
            try:
                daycare_book(actor=user, programme=programme, weeks=weeks, children=children)
                result = "ok"
            except ValidationError as exc:
                result = f"refused: {exc.messages}"
            except Exception as exc:  # noqa: BLE001 - reported in the assertion
                result = f"error: {type(exc).__name__}: {exc}"
            with guard:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=family) for family in families]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _seated(week) -> int:
    return Registration.objects.filter(activity=week.activity, status__in=SEATED_STATUSES).count()


def test_concurrent_whole_programme_bookings_never_oversell_a_week(world):
    _programme, weeks, _families = world
    outcomes = _race(world)
    assert outcomes == ["ok"] * FAMILIES, outcomes
    for week in weeks:
        assert _seated(week) == CAPACITY
        waiting = list(
            Registration.objects.filter(
                activity=week.activity, status=RegistrationStatus.WAITLISTED
            ).values_list("queue_no", flat=True)
        )
        assert len(waiting) == 2 * FAMILIES - CAPACITY
        assert max(Counter(waiting).values()) == 1  # no waitlist number given twice


def test_control_without_the_pool_lock_the_race_oversells(world, monkeypatch):
    monkeypatch.setattr(_pool, "LOCKING", False)
    hold_the_engine_window_open(monkeypatch, n=FAMILIES)  # a 50 ms pause can lose the race under load
    _programme, weeks, _families = world
    _race(world)
    assert any(_seated(week) > CAPACITY for week in weeks), (
        "the race did not show: the guarded test proves nothing"
    )
