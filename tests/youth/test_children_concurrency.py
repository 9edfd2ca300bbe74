"""Two taps on "Authorise" (or two guardians at once) authorise grandma once: the duplicate check and
the insert are serialised on the child's row. The control run without the lock (``_pool.LOCKING``) shows
the race: every request passes the check and each inserts her, so the guarded test would fail without it
(its window held open until every request is in it, tests/race.py: a pause lost the race under load).

PostgreSQL only (SQLite serialises writers anyway)."""

import threading

import pytest
from django.db import connections

from events.services import _pool
from tests.race import hold_the_pause_open
from youth.models import PickupPerson, PickupRelation
from youth.services import children as services

from .factories import ChildFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 4


def _race(fn, n=THREADS):
    barrier = threading.Barrier(n)
    outcomes, guard = [], threading.Lock()

    def worker():
        try:
            barrier.wait()
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - reported in the assertion
                result = f"error: {type(exc).__name__}: {exc}"
            with guard:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.fixture
def child(monkeypatch, youth_data):
    monkeypatch.setattr(services, "RACE_PAUSE_SECONDS", 0.3)
    return ChildFactory()


def _add(child):
    def run():
        return services.pickup_person_add(
            actor=child.guardian_for_tests.user,
            child=child,
            name="王秀英",
            relation=PickupRelation.GRANDMOTHER_MATERNAL,
            phone="+8613711112222",
        )

    return run


def test_concurrent_authorisations_of_the_same_person_make_one(child):
    outcomes = _race(_add(child))
    assert PickupPerson.objects.filter(child=child).count() == 1
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(refused) == THREADS - 1 and all("ValidationError" in o for o in refused), outcomes


def test_control_without_the_lock_shows_the_race(child, monkeypatch):
    monkeypatch.setattr(_pool, "LOCKING", False)
    hold_the_pause_open(monkeypatch, services, n=THREADS)
    _race(_add(child))
    assert PickupPerson.objects.filter(child=child).count() > 1
