"""Races on real PostgreSQL: many connections at once never oversell, never offer a seat twice, never
accept one offer twice. Each guarantee has a control run with the pool lock turned off that shows the
race happening, so the guarded test would fail if the lock did nothing.

Run with DATABASE_URL=postgres://... (skipped on SQLite, which serialises writers anyway).
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from events.models import Activity, Offer, Registration, RegistrationStatus, Session
from events.services import _pool, pool_counters_drift, pools_recount
from events.services.booking import booking_create
from events.services.waitlist import offer_accept, waitlist_promote_next
from portal.accounts.models import User
from portal.community.models import Person
from tests.race import hold_the_engine_window_open

from .factories import ActivityFactory, SessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50
PAUSE = 0.02  # seconds between reading and writing, to widen the window for the race


@pytest.fixture
def race(monkeypatch):
    """Run ``fn(i)`` in THREADS threads released at once, each with its own connection."""
    monkeypatch.setattr(_pool, "RACE_PAUSE_SECONDS", PAUSE)

    def run(fn, n=THREADS):
        barrier = threading.Barrier(n)
        outcomes: list[str] = []
        guard = threading.Lock()

        def worker(i):
            try:
                barrier.wait()
                try:
                    fn(i)
                    result = "ok"
                except ValidationError:
                    result = "refused"
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
        return outcomes

    return run


def _bookers(n):
    """n residents, each with an account, booking herself (made in bulk: setup is not what is tested)."""
    start = User.objects.count()
    users = User.objects.bulk_create(
        [User(phone=f"+86137{start + i:08d}", name=f"居民{start + i}", password="!") for i in range(n)]
    )
    people = Person.objects.bulk_create([Person(name=u.name, user=u) for u in users])
    return list(zip(users, people, strict=True))


def _seated(session: Session) -> int:
    return Registration.objects.filter(session=session, status__in=["confirmed", "offered"]).count()


def _book_the_last_seats(race, capacity=5, **activity_fields):
    activity = ActivityFactory(**activity_fields)
    session = SessionFactory(activity=activity, capacity=capacity)
    people = _bookers(THREADS)

    def book(i):
        user, person = people[i]
        booking_create(
            actor=user,
            activity=Activity.objects.get(pk=activity.pk),
            session=Session.objects.get(pk=session.pk),
            persons=[person],
        )

    outcomes = race(book)
    return session, outcomes


def test_fifty_bookings_for_the_last_seats_never_oversell(race):
    session, outcomes = _book_the_last_seats(race)
    assert outcomes.count("ok") == THREADS, outcomes
    assert _seated(session) == 5
    waiting = list(
        Registration.objects.filter(session=session, status="waitlisted").values_list("queue_no", flat=True)
    )
    assert sorted(waiting) == list(range(1, THREADS - 5 + 1))  # arrival order, no gaps, no duplicates
    # the counters the decision was made from, recomputed from the registrations
    assert pool_counters_drift() == []
    session.refresh_from_db()
    assert (session.pool_seats_taken, session.pool_waitlisted) == (5, THREADS - 5)


def test_fifty_bookings_without_a_waitlist_seat_five_and_refuse_the_rest(race):
    session, outcomes = _book_the_last_seats(race, waitlist_enabled=False)
    assert outcomes.count("ok") == 5, outcomes
    assert outcomes.count("refused") == THREADS - 5, outcomes
    assert _seated(session) == 5
    assert not Registration.objects.filter(session=session, status="waitlisted").exists()
    assert pool_counters_drift() == []


def test_control_without_the_lock_the_race_oversells(race, monkeypatch):
    monkeypatch.setattr(_pool, "LOCKING", False)
    # every worker reads the counters before any writes: more than the five seats are given
    hold_the_engine_window_open(monkeypatch, n=6)
    session, outcomes = _book_the_last_seats(race)
    assert _seated(session) > 5, (
        "without the lock the race should oversell; the guarded test proves nothing otherwise"
    )


def _waitlist_with_a_free_seat():
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=1)
    people = _bookers(11)
    for user, person in people:
        booking_create(actor=user, activity=activity, session=session, persons=[person])
    # the seat frees without a promotion (as if a cancellation had been made in the admin)
    Registration.objects.filter(session=session, status="confirmed").update(
        status=RegistrationStatus.CANCELLED
    )
    pools_recount(Registration.objects.filter(session=session))  # a bulk write recounts its pools
    return activity, session


def _promote_concurrently(race):
    activity, session = _waitlist_with_a_free_seat()
    race(
        lambda i: waitlist_promote_next(
            activity=Activity.objects.get(pk=activity.pk), session=Session.objects.get(pk=session.pk)
        ),
        n=20,
    )
    return session


def test_concurrent_promotions_offer_a_free_seat_once(race):
    session = _promote_concurrently(race)
    assert Offer.objects.count() == 1
    assert _seated(session) == 1
    assert pool_counters_drift() == []


def test_control_without_the_lock_promotions_offer_it_twice(race, monkeypatch):
    monkeypatch.setattr(_pool, "LOCKING", False)
    session = _promote_concurrently(race)
    assert Offer.objects.count() > 1 or _seated(session) > 1


def _accept_concurrently(race):
    activity, session = _waitlist_with_a_free_seat()
    [offer] = waitlist_promote_next(activity=activity, session=session)
    user = offer.booking.booked_by
    return race(lambda i: offer_accept(actor=user, offer=Offer.objects.get(pk=offer.pk)), n=20)


def test_double_accept_of_one_offer_succeeds_once(race):
    outcomes = _accept_concurrently(race)
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("refused") == 19, outcomes


def test_control_without_the_lock_one_offer_is_accepted_twice(race, monkeypatch):
    monkeypatch.setattr(_pool, "LOCKING", False)
    outcomes = _accept_concurrently(race)
    assert outcomes.count("ok") > 1, outcomes


def _tap_many_times(race, n=10):
    """One mother's booking form sent n times at once (a double tap, two phones): the same child."""
    from events.services.booking import booking_create_by_ids

    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=5)
    [(user, person)] = _bookers(1)

    def book(i):
        booking_create_by_ids(
            actor=user,
            activity=Activity.objects.get(pk=activity.pk),
            session=Session.objects.get(pk=session.pk),
            person_ids=[person.pk],
        )

    return session, person, race(book, n=n)


def test_the_same_person_sent_at_once_is_booked_once(race):
    """The form's POST does not look for her place before the lock: the one-place constraint, checked
    under it, lets one through and the others are refused (by name), with nothing of them kept."""
    session, person, outcomes = _tap_many_times(race)
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("refused") == 9, outcomes
    assert Registration.objects.filter(session=session, person=person).count() == 1
    assert pool_counters_drift() == []
    session.refresh_from_db()
    assert (session.pool_seats_taken, session.pool_waitlisted) == (1, 0)


def test_control_the_taps_do_meet_at_the_constraint(race, monkeypatch):
    """Control: with the constraint's refusal not recognised, the other taps end in the database's
    IntegrityError: they did reach the insert at the same moment, so the guarded test tests the race."""
    from events.services import booking as booking_module

    monkeypatch.setattr(booking_module, "_one_place_violated", lambda exc: False)
    session, person, outcomes = _tap_many_times(race)
    assert outcomes.count("ok") == 1, outcomes
    assert sum(o.startswith("error: IntegrityError") for o in outcomes) >= 1, outcomes
    assert Registration.objects.filter(session=session, person=person).count() == 1
